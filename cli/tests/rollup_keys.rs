//! `proof rollup keys ...` against the built binary, in a temporary home.

mod common;

use common::Env;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// What `ABANDON` derives at index 0 and 1. A change here moves every user's rollup key, so
/// their accounts would be out of reach of their own mnemonic: never change it silently.
const ABANDON_PUBKEY_0: &str = "4efae0d8b6608ebd0959202ce6aac2cb6321726f1bba7895983ade5c339d4a16:8ddf958e6505b9b893b06e1318757ffa9450d1228bba5130fc29fc6324fc533e";
const ABANDON_PUBKEY_1: &str = "82b7bbe1348a41ea2e65d8b81b0110bb13b82e17f6d43bd0cfcd1b9fadbcfc11:84f6058cd6dc6502b69195e52a810cfc10ca4b6c7cee1bec7363c35d8335d43f";

#[test]
fn a_recovered_rollup_key_derives_the_pinned_key_per_index() {
    let env = Env::new();
    let k0 = env.json_stdin(&["rollup", "keys", "add", "k0", "--recover"], ABANDON);
    assert_eq!(k0["pubkey"], ABANDON_PUBKEY_0);
    assert_eq!(k0["type"], "schnorr-vesta");
    assert!(
        k0.get("mnemonic").is_none(),
        "recover does not echo the phrase"
    );
    let k1 = env.json_stdin(
        &["rollup", "keys", "add", "k1", "--recover", "--index", "1"],
        ABANDON,
    );
    assert_eq!(k1["pubkey"], ABANDON_PUBKEY_1);
    assert_eq!(k1["index"], 1);
}

#[test]
fn rollup_keys_are_listed_shown_and_deleted_apart_from_chain_keys() {
    let env = Env::new();
    let made = env.json(&["rollup", "keys", "add", "alice"]);
    let phrase = made["mnemonic"].as_str().unwrap().to_string();
    assert_eq!(phrase.split_whitespace().count(), 24);
    let again = env.json_stdin(&["rollup", "keys", "add", "alice2", "--recover"], &phrase);
    assert_eq!(again["pubkey"], made["pubkey"], "the mnemonic is the key");
    // A chain key of the same name is another key.
    env.json(&["keys", "add", "alice", "--key-type", "ed25519"]);
    let chain = env.json(&["keys", "list"]);
    assert_eq!(chain.as_array().unwrap().len(), 1);
    let list = env.json(&["rollup", "keys", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "alice2"]);
    assert!(
        list[0].get("mnemonic").is_none(),
        "list never shows mnemonics"
    );
    let shown = env.json(&["rollup", "keys", "show", "alice"]);
    assert_eq!(shown["pubkey"], made["pubkey"]);
    env.ok(&["rollup", "keys", "delete", "alice", "-y"]);
    let err = env.fails(&["rollup", "keys", "show", "alice"]);
    assert!(err.contains("proof rollup keys list"), "{err}");
    assert_eq!(
        env.json(&["keys", "show", "alice"])["type"],
        "ed25519",
        "the chain key is untouched"
    );
}

#[test]
fn bad_rollup_key_requests_fail_before_any_key_is_written() {
    let env = Env::new();
    env.json(&["rollup", "keys", "add", "bob"]);
    let err = env.fails(&["rollup", "keys", "add", "bob"]);
    assert!(err.contains("already exists"), "{err}");
    let err = env.fails(&["rollup", "keys", "add", "../x"]);
    assert!(err.contains("invalid key name"), "{err}");
    let err = env.fails(&["rollup", "keys", "add", "c", "--index", "2"]);
    assert!(err.contains("--recover"), "{err}");
    let err = env.fails_stdin(&["rollup", "keys", "add", "d", "--recover"], "not a phrase");
    assert!(err.contains("invalid mnemonic"), "{err}");
    assert!(
        !err.contains("not a phrase"),
        "the phrase is never echoed: {err}"
    );
    let names = env.json(&["rollup", "keys", "list"]);
    assert_eq!(names.as_array().unwrap().len(), 1);
}
