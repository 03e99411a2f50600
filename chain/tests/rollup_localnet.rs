//! Rollups end to end on two real validators (proofd + CometBFT processes on 127.0.0.1), through
//! the `proof` CLI where a user would use it: the system contracts deployed, a rollup registered
//! with the operator bond, deposits, a batch proven by `proof-zk` and verified on chain with its
//! withdrawal paid; then the operator stops, anyone freezes the rollup, every account exits with
//! an exit proof the CLI rebuilds from the batch data on chain alone, a double exit is refused, the
//! sums match to the last uxyz, and both validators hold the same app hash. A light client proves
//! the epoch checkpoint commits to the verified batch (the L1 record).
//!
//! Ports: node i uses the ports of node 60+i.

mod common;

use common::localnet::{balance, header_app_hash, submit_and_wait, Localnet, PosGenesis};
use common::rollup::{deploy, hex_of, seed_verifier_key, sibling_bin};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
use proof_sdk::keystore::Keystore;
use proof_sdk::{msgs, KeyType, PrivateKey};
use proof_zk::{prove_batch, AccountTree, Op, RollupId, SecretKey, ZkParams};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const OFFSET: u16 = 60;
const CHAIN: &str = "proof-rollup";
const K: usize = 2;
const LIVENESS: u64 = 6;
const PASSWORD: &str = "rollup localnet test";

struct Cli<'a> {
    /// The client home (keys in `home/keys`, the light client's trusted header beside them).
    home: &'a Path,
    node: String,
    verifier: String,
}

impl Cli<'_> {
    /// Runs `proof ... -o json`; returns whether it succeeded and its JSON (or stderr).
    fn run(&self, args: &[&str]) -> (bool, Value) {
        let out = Command::new(sibling_bin("proof"))
            .args(args)
            .args(["--node", &self.node, "--home"])
            .arg(self.home)
            .args(["--verifier", &self.verifier, "-o", "json"])
            .env("PROOF_KEYRING_PASSWORD", PASSWORD)
            .env("PROOF_KEYRING_INSECURE_FAST_KDF", "1")
            .env_remove("PROOF_XX")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.stderr).to_string()));
        (out.status.success(), v)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (ok, v) = self.run(args);
        assert!(ok, "proof {args:?} failed: {v}");
        v
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollup_on_two_validators_verifies_a_batch_and_every_user_exits_after_a_freeze() {
    // Proving parameters first (cached): the node derives the same verifier key.
    let params =
        tokio::task::spawn_blocking(|| ZkParams::load_or_generate(&common::zk_dir(), K).unwrap())
            .await
            .unwrap();

    // The operator's key lives in a keystore the CLI reads.
    let home = tempfile::tempdir().unwrap();
    let phrase = bip39::Mnemonic::from_entropy(&[7u8; 32])
        .unwrap()
        .to_string();
    let ks = Keystore::open_insecure_fast(home.path().join("keys"));
    ks.import_mnemonic("operator", KeyType::Secp256k1, &phrase, 0, PASSWORD)
        .unwrap();
    let operator = ks.signing_key("operator", PASSWORD).unwrap();
    let user = PrivateKey::generate(KeyType::Ed25519).address();
    let gov = PrivateKey::generate(KeyType::Ed25519).address();
    // 4-second epochs, so the batch's checkpoint closes within the test.
    let pos = PosGenesis {
        validator_stake: 10_000_000_000,
        staking: json!({"epoch": {"epoch_secs": 4, "emission_per_epoch": "1000000000"}}),
    };
    let net = Localnet::start(
        2,
        OFFSET,
        CHAIN,
        &[(operator.address(), 10_000_000_000_000)],
        Some(&pos),
    )
    .await;
    seed_verifier_key(&net, K as u32).await;
    let rpc = net.rpc(0).clone();

    let (verifier, xx) = deploy(&net, &operator, &gov, LIVENESS, 1000).await;
    let cli = Cli {
        home: home.path(),
        node: rpc.url().to_string(),
        verifier: verifier.to_string(),
    };

    // Register through the CLI: it attaches exactly the verifier's operator bond.
    cli.ok(&[
        "tx",
        "rollup",
        "register",
        "--ops-per-step",
        &K.to_string(),
        "--from",
        "operator",
    ]);
    let list = cli.ok(&["query", "rollup", "list"]);
    assert_eq!(list["rollups"][0]["bond"], "1000000");
    let id = list["rollups"][0]["id"].as_u64().unwrap() as u32;
    assert_eq!(
        list["rollups"][0]["vk_digest"],
        hex::encode(params.vk_digest())
    );
    let rid = RollupId(id);

    // Deposits through the CLI.
    let alice = SecretKey::from_seed(&[21; 32]);
    let bob = SecretKey::from_seed(&[22; 32]);
    // The first deposit to an account proves its key (--seed signs the possession proof);
    // a later one only names it.
    let xx_flag = xx.to_string();
    let id_arg = id.to_string();
    // `proof tx rollup deposit ID AMOUNT --to TO KEY... [--xx XX] --from operator`
    let deposit = |amount: &str, to: &str, key: &[&str], xx: Option<&str>| {
        let mut args = vec!["tx", "rollup", "deposit", &id_arg, amount, "--to", to];
        args.extend_from_slice(key);
        if let Some(x) = xx {
            args.extend(["--xx", x]);
        }
        args.extend(["--from", "operator"]);
        cli.run(&args)
    };
    let pubkey_arg = |pk: &proof_zk::PublicKey| format!("{}:{}", hex_of(&pk.x), hex_of(&pk.y));
    for (to, seed, amount) in [(0u32, [21u8; 32], 1_999_000u64), (5, [22; 32], 40)] {
        let (ok, v) = deposit(
            &format!("{amount}uxyz"),
            &to.to_string(),
            &["--seed", &hex::encode(seed)],
            Some(&xx_flag),
        );
        assert!(ok, "deposit to {to} failed: {v}");
    }
    let alice_pk = pubkey_arg(&alice.public_key());
    let (ok, v) = deposit("1000uxyz", "0", &["--pubkey", &alice_pk], Some(&xx_flag));
    assert!(ok, "{v}");
    // bob's key for alice's account: refused by xx (keys never change)
    let bob_pk = pubkey_arg(&bob.public_key());
    let (ok, err) = deposit("5uxyz", "0", &["--pubkey", &bob_pk], Some(&xx_flag));
    assert!(
        !ok && err.to_string().contains("holds another key"),
        "{err}"
    );
    // without --xx the CLI does not ask the node where to send money
    let (ok, err) = deposit("5uxyz", "0", &["--pubkey", &bob_pk], None);
    assert!(!ok && err.to_string().contains("--xx"), "{err}");
    let zero = format!("{}:{}", "00".repeat(32), "00".repeat(32));
    let (ok, err) = deposit("5uxyz", "1", &["--pubkey", &zero], Some(&xx_flag));
    assert!(
        !ok && err.to_string().contains("not a point of Vesta"),
        "{err}"
    );
    let deposits = cli.ok(&["query", "rollup", "deposits", &id.to_string()]);
    assert_eq!(deposits["deposits"].as_array().unwrap().len(), 3);

    // The operator proves a batch and posts it.
    let recipient = proof_zk::f_from_bytes(
        &rollup_msgs::data::recipient_field(user.as_bytes())
            .unwrap()
            .0,
    )
    .unwrap();
    let ops = vec![
        Op::Deposit {
            to: 0,
            pubkey: alice.public_key(),
            amount: 1_999_000,
        },
        Op::Deposit {
            to: 5,
            pubkey: bob.public_key(),
            amount: 40,
        },
        Op::Deposit {
            to: 0,
            pubkey: alice.public_key(),
            amount: 1_000,
        },
        Op::transfer(&alice, rid, 0, 5, 500_000, 10, 0).unwrap(),
        Op::withdraw(&alice, rid, 0, 1000, 1, 1, recipient).unwrap(),
    ];
    let (bp, tree) = tokio::task::spawn_blocking(move || {
        let mut tree = AccountTree::new();
        let bp = prove_batch(&params, rid, &mut tree, &ops).unwrap();
        (bp, tree)
    })
    .await
    .unwrap();
    let submit_msg = json!({"submit_batch": {"rollup": id, "new_root": hex_of(&bp.new_root),
        "data": rollup_msgs::Base64(bp.data.clone()), "proof": rollup_msgs::Base64(bp.proof.clone())}});
    let m = msgs::to_any(&MsgExecuteContract {
        sender: operator.address().to_string(),
        contract: verifier.to_string(),
        msg: submit_msg.to_string().into_bytes(),
        funds: vec![],
    });
    let tx = net.sign(&operator, vec![m], 45_000_000).await;
    let h = submit_and_wait(&rpc, &tx).await;
    assert_eq!(
        balance(&rpc, &user, Some(h)).await,
        1000,
        "the withdrawal is paid"
    );
    let info = cli.ok(&["query", "rollup", "info", &id.to_string()]);
    assert_eq!(info["rollup"]["batch_index"], 1);
    assert_eq!(info["rollup"]["state_root"], hex_of(&bp.new_root));
    let held: u128 = info["settlement"]["held"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(held, u128::from(tree.get(0).balance + tree.get(5).balance));

    // The operator stops. Too early to freeze: the rollup verified a batch just now.
    let (ok, err) = cli.run(&[
        "tx",
        "rollup",
        "freeze",
        &id.to_string(),
        "--from",
        "operator",
    ]);
    assert!(!ok && err.to_string().contains("is live"), "{err}");
    // The L1 record: once the batch's epoch has closed, a light client proves that the
    // checkpoint commits to it.
    let mut proven = Value::Null;
    for _ in 0..30 {
        let (ok, v) = cli.run(&["query", "rollup", "batch", &id.to_string(), "0", "--prove"]);
        proven = v;
        if ok {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(proven["verified"], true, "the batch's checkpoint: {proven}");
    assert!(proven["record"]["index"].is_u64(), "{proven}");

    // After the liveness window anyone may freeze it.
    rpc.wait_for_height(h + LIVENESS + 1, Duration::from_secs(60))
        .await
        .unwrap();
    cli.ok(&[
        "tx",
        "rollup",
        "freeze",
        &id.to_string(),
        "--from",
        "operator",
    ]);

    // Exit proofs rebuilt from the chain's data are the operator's, byte for byte.
    let p = cli.ok(&["query", "rollup", "exit-proof", &id.to_string(), "0"]);
    let expected = proof_zk::exit_proof(&tree, 0).unwrap().to_bytes();
    assert_eq!(
        p["proof"],
        serde_json::to_value(rollup_msgs::Base64(expected)).unwrap()
    );
    assert_eq!(p["balance"], tree.get(0).balance.to_string());

    // Every account exits (the operator deposited both, so it owns both); once.
    let xx_before = balance(&rpc, &xx, None).await;
    assert_eq!(xx_before, held);
    for index in ["0", "5"] {
        cli.ok(&[
            "tx",
            "rollup",
            "exit",
            &id.to_string(),
            "--index",
            index,
            "--from",
            "operator",
        ]);
    }
    let (ok, err) = cli.run(&[
        "tx",
        "rollup",
        "exit",
        &id.to_string(),
        "--index",
        "0",
        "--from",
        "operator",
    ]);
    assert!(!ok && err.to_string().contains("already exited"), "{err}");
    let info = cli.ok(&["query", "rollup", "info", &id.to_string()]);
    assert_eq!(info["settlement"]["exited"], held.to_string());
    assert_eq!(info["settlement"]["held"], "0");
    let last = rpc.latest_height().await.unwrap();
    assert_eq!(
        balance(&rpc, &xx, Some(last)).await,
        0,
        "xx paid out everything it held"
    );

    // Both validators agree on the state.
    net.rpc(1)
        .wait_for_height(last, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        header_app_hash(net.rpc(0), last).await,
        header_app_hash(net.rpc(1), last).await
    );
}
