//! `proof keys ...` against the built binary, in a temporary home.

mod common;

use common::{stderr, stdout, Env, PASSWORD};
use proof_sdk::Address;
use serde_json::Value;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn add_json(env: &Env, name: &str, kind: &str) -> Value {
    env.json(&["keys", "add", name, "--key-type", kind])
}

#[test]
fn add_list_show_roundtrip() {
    let env = Env::new();
    let created = env.json(&["keys", "add", "alice"]);
    assert_eq!(created["name"], "alice");
    assert_eq!(created["type"], "hybrid", "hybrid is the default key type");
    let addr = created["address"].as_str().unwrap().to_string();
    assert!(
        addr.parse::<Address>().is_ok(),
        "{addr} is a valid proof1 address"
    );
    assert_eq!(
        created["mnemonic"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count(),
        24
    );
    assert!(
        env.keys_dir().join("alice.key.json").is_file(),
        "keys live in HOME/keys"
    );

    let bob = add_json(&env, "bob", "ed25519");
    assert_eq!(bob["type"], "ed25519");

    let list = env.json(&["keys", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(list[0]["address"], addr.as_str());
    assert!(
        list[0].get("mnemonic").is_none(),
        "list never shows mnemonics"
    );

    let text = env.ok(&["keys", "list"]);
    assert!(
        text.contains("alice") && text.contains(&addr) && text.contains("ed25519"),
        "{text}"
    );

    let show = env.ok(&["keys", "show", "alice"]);
    assert!(show.contains("name:") && show.contains("alice"), "{show}");
    assert!(show.contains("hybrid") && show.contains(&addr), "{show}");
    assert_eq!(env.ok(&["keys", "show", "alice", "--address"]).trim(), addr);
    assert_eq!(
        env.json(&["keys", "show", "alice"])["address"],
        addr.as_str()
    );
    assert_eq!(
        env.json(&["keys", "show", "alice", "--address"])["address"],
        addr.as_str()
    );

    let err = env.fails(&["keys", "show", "carol"]);
    assert!(
        err.contains("no key named \"carol\"") && err.contains("proof keys list"),
        "{err}"
    );
}

#[test]
fn text_add_prints_mnemonic_with_warning() {
    let env = Env::new();
    let out = env.ok(&["keys", "add", "alice", "--key-type", "secp256k1"]);
    assert!(out.contains("write this mnemonic phrase down"), "{out}");
    let phrase = out.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert_eq!(phrase.split_whitespace().count(), 24, "{out}");
    // The printed phrase is the one stored.
    let exported = env.json(&["keys", "export", "alice", "--mnemonic"]);
    assert_eq!(exported["mnemonic"], phrase.trim());
}

#[test]
fn empty_keyring_lists_nothing() {
    let env = Env::new();
    assert_eq!(env.json(&["keys", "list"]), Value::Array(vec![]));
    assert!(env.ok(&["keys", "list"]).contains("proof keys add"));
}

#[test]
fn recover_reproduces_the_same_address() {
    for kind in ["secp256k1", "hybrid", "ed25519", "mldsa65"] {
        let env = Env::new();
        let orig = add_json(&env, "orig", kind);
        let phrase = format!("{}\n", orig["mnemonic"].as_str().unwrap());
        let rec = env.json_stdin(
            &["keys", "add", "again", "--recover", "--key-type", kind],
            &phrase,
        );
        assert_eq!(rec["address"], orig["address"], "{kind}");
        assert_eq!(rec["type"], kind);
        assert!(
            rec.get("mnemonic").is_none(),
            "recover does not echo the phrase back"
        );

        // Another index derives another account, and recovering with that index finds it again.
        let idx1 = env.json_stdin(
            &[
                "keys",
                "add",
                "idx1",
                "--recover",
                "--key-type",
                kind,
                "--index",
                "1",
            ],
            &phrase,
        );
        assert_ne!(idx1["address"], orig["address"], "{kind}");
        assert_eq!(idx1["index"], 1);
        let idx1b = env.json_stdin(
            &[
                "keys",
                "add",
                "idx1b",
                "--recover",
                "--key-type",
                kind,
                "--index",
                "1",
            ],
            &phrase,
        );
        assert_eq!(idx1b["address"], idx1["address"], "{kind}");
    }
}

#[test]
fn recover_matches_cosmos_wallet_derivation() {
    // cosmjs/Keplr derive cosmos19rl4... for this phrase at m/44'/118'/0'/0/0; same bytes, our prefix.
    let expected = Address::from_bech32("cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4", "cosmos")
        .unwrap()
        .to_string();
    let env = Env::new();
    let out = env.ok_stdin(
        &["keys", "add", "w", "--recover", "--key-type", "secp256k1"],
        &format!("{ABANDON}\n"),
    );
    assert!(out.contains(&expected), "{out}");
    assert_eq!(env.ok(&["keys", "show", "w", "-a"]).trim(), expected);
}

#[test]
fn recover_rejects_bad_mnemonics_without_echoing_them() {
    let env = Env::new();
    let bad = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon zebra";
    let err = env.fails_stdin(&["keys", "add", "x", "--recover"], &format!("{bad}\n"));
    assert!(err.contains("invalid mnemonic"), "{err}");
    assert!(
        !err.contains(bad),
        "the phrase must not appear in errors: {err}"
    );
    let err = env.fails_stdin(&["keys", "add", "x", "--recover"], "");
    assert!(err.contains("no mnemonic on stdin"), "{err}");
    assert!(!env.keys_dir().join("x.key.json").exists());
}

#[test]
fn add_refuses_duplicates_and_bad_names() {
    let env = Env::new();
    let first = env.json(&["keys", "add", "alice"]);
    let err = env.fails(&["keys", "add", "alice"]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        env.json(&["keys", "show", "alice"])["address"],
        first["address"],
        "the existing key is untouched"
    );
    let err = env.fails(&["keys", "add", "../evil"]);
    assert!(err.contains("invalid key name"), "{err}");
    let err = env.fails(&["keys", "add", "k", "--key-type", "rsa"]);
    assert!(err.contains("unknown key type"), "{err}");
}

#[test]
fn export_import_roundtrip() {
    let src = Env::new();
    let orig = add_json(&src, "alice", "hybrid");
    let exported = src.ok(&["keys", "export", "alice"]);
    let file: Value = serde_json::from_str(&exported).expect("export prints the key file JSON");
    assert_eq!(file["address"], orig["address"]);
    assert!(file.get("ciphertext").is_some());
    assert!(
        !exported.contains(orig["mnemonic"].as_str().unwrap()),
        "the default export stays encrypted"
    );

    let dst = Env::new();
    let path = dst.home().join("alice.export.json");
    std::fs::write(&path, &exported).unwrap();
    let imported = dst.json(&["keys", "import", "alice2", path.to_str().unwrap()]);
    assert_eq!(imported["name"], "alice2");
    assert_eq!(imported["address"], orig["address"]);
    assert_eq!(
        dst.json(&["keys", "show", "alice2"])["address"],
        orig["address"]
    );
    // The imported key decrypts to the original mnemonic under the original password.
    assert_eq!(
        dst.json(&["keys", "export", "alice2", "--mnemonic"])["mnemonic"],
        orig["mnemonic"]
    );

    // Reading the file from stdin works too; an existing name is refused.
    let again = dst.json_stdin(&["keys", "import", "alice3", "-"], &exported);
    assert_eq!(again["address"], orig["address"]);
    let err = dst.fails(&["keys", "import", "alice2", path.to_str().unwrap()]);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn import_rejects_tampered_files_and_wrong_passwords() {
    let src = Env::new();
    add_json(&src, "alice", "secp256k1");
    let other = add_json(&src, "mallory", "secp256k1");
    let mut file: Value = serde_json::from_str(&src.ok(&["keys", "export", "alice"])).unwrap();

    let dst = Env::new();
    let path = dst.home().join("k.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let mut wrong = Env::new();
    wrong.password = Some("not the password".into());
    let err = wrong.fails(&["keys", "import", "alice", path.to_str().unwrap()]);
    assert!(err.contains("wrong password"), "{err}");
    assert!(
        !wrong.keys_dir().join("alice.key.json").exists(),
        "nothing stored on failure"
    );

    file["address"] = other["address"].clone();
    std::fs::write(&path, file.to_string()).unwrap();
    let err = dst.fails(&["keys", "import", "alice", path.to_str().unwrap()]);
    assert!(err.contains("does not match"), "{err}");
    assert!(!dst.keys_dir().join("alice.key.json").exists());

    std::fs::write(&path, "{\"not\": \"a key\"}").unwrap();
    let err = dst.fails(&["keys", "import", "alice", path.to_str().unwrap()]);
    assert!(err.contains("not a key file"), "{err}");
}

#[test]
fn wrong_password_fails_clearly_and_reveals_nothing() {
    let mut env = Env::new();
    let orig = add_json(&env, "alice", "hybrid");
    env.password = Some("wrong password".into());
    let out = env.run(&["keys", "export", "alice", "--mnemonic"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("wrong password for key \"alice\""), "{err}");
    assert!(
        stdout(&out).is_empty(),
        "nothing on stdout: {}",
        stdout(&out)
    );
    assert!(!err.contains(orig["mnemonic"].as_str().unwrap()));
}

#[test]
fn passwords_are_never_printed() {
    let env = Env::new();
    let outs = [
        env.run(&["keys", "add", "alice"]),
        env.run(&["-o", "json", "keys", "add", "bob"]),
        env.run(&["keys", "export", "alice", "--mnemonic"]),
        env.run(&["keys", "export", "alice"]),
        env.run(&["keys", "list"]),
    ];
    for o in &outs {
        assert!(o.status.success(), "{}", stderr(o));
        assert!(!stdout(o).contains(PASSWORD) && !stderr(o).contains(PASSWORD));
    }
}

#[test]
fn password_file_is_used_when_env_is_unset() {
    let mut env = Env::new();
    env.password = None;
    let pw = env.home().join("pw.txt");
    std::fs::write(&pw, "from-a-file\n").unwrap();
    let pwf = pw.to_str().unwrap();
    let orig = env.json(&["--password-file", pwf, "keys", "add", "alice"]);
    let exp = env.json(&[
        "--password-file",
        pwf,
        "keys",
        "export",
        "alice",
        "--mnemonic",
    ]);
    assert_eq!(exp["mnemonic"], orig["mnemonic"]);

    // The env var wins over the file, and the file's trailing newline was not part of the password.
    env.password = Some("from-a-file".into());
    assert_eq!(
        env.json(&["keys", "export", "alice", "--mnemonic"])["mnemonic"],
        orig["mnemonic"]
    );
    env.password = None;
    std::fs::write(&pw, "something else\n").unwrap();
    let err = env.fails(&[
        "--password-file",
        pwf,
        "keys",
        "export",
        "alice",
        "--mnemonic",
    ]);
    assert!(err.contains("wrong password"), "{err}");
    let err = env.fails(&[
        "--password-file",
        "/nonexistent/pw",
        "keys",
        "export",
        "alice",
        "--mnemonic",
    ]);
    assert!(err.contains("cannot read --password-file"), "{err}");
}

#[test]
fn empty_password_is_refused_on_create() {
    let mut env = Env::new();
    env.password = Some(String::new());
    let err = env.fails(&["keys", "add", "alice"]);
    assert!(err.contains("must not be empty"), "{err}");
    assert!(!env.keys_dir().join("alice.key.json").exists());
}

#[test]
fn delete_asks_unless_yes() {
    let env = Env::new();
    add_json(&env, "alice", "ed25519");
    add_json(&env, "bob", "ed25519");

    let err = env.fails_stdin(&["keys", "delete", "alice"], "n\n");
    assert!(
        err.contains("not deleted") && err.contains("--yes"),
        "{err}"
    );
    let err = env.fails_stdin(&["keys", "delete", "alice"], "");
    assert!(err.contains("not deleted"), "EOF means no: {err}");
    assert!(env.keys_dir().join("alice.key.json").exists());

    env.ok_stdin(&["keys", "delete", "alice"], "y\n");
    assert!(!env.keys_dir().join("alice.key.json").exists());

    let out = env.json(&["keys", "delete", "bob", "--yes"]);
    assert_eq!(out["deleted"], "bob");
    assert_eq!(env.json(&["keys", "list"]), Value::Array(vec![]));

    let err = env.fails(&["keys", "delete", "bob", "--yes"]);
    assert!(err.contains("no key named"), "{err}");
}

#[test]
fn keyring_dir_overrides_home() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let k = env.json(&["--keyring-dir", d, "keys", "add", "alice"]);
    assert!(dir.path().join("alice.key.json").is_file());
    assert!(!env.keys_dir().join("alice.key.json").exists());
    assert_eq!(
        env.json(&["--keyring-dir", d, "keys", "show", "alice"])["address"],
        k["address"]
    );
    assert_eq!(env.json(&["keys", "list"]), Value::Array(vec![]));
}

#[test]
fn strong_kdf_is_the_default() {
    let mut env = Env::new();
    env.fast_kdf = false;
    let k = env.json(&["keys", "add", "alice", "--key-type", "secp256k1"]);
    let file: Value =
        serde_json::from_slice(&std::fs::read(env.keys_dir().join("alice.key.json")).unwrap())
            .unwrap();
    assert_eq!(
        file["kdf"]["m_cost_kib"], 65536,
        "64 MiB argon2id unless the test-only env var is set"
    );
    assert_eq!(
        env.json(&["keys", "export", "alice", "--mnemonic"])["mnemonic"],
        k["mnemonic"]
    );

    let fast = Env::new();
    fast.json(&["keys", "add", "bob"]);
    let file: Value =
        serde_json::from_slice(&std::fs::read(fast.keys_dir().join("bob.key.json")).unwrap())
            .unwrap();
    assert!(file["kdf"]["m_cost_kib"].as_u64().unwrap() < 65536);
}
