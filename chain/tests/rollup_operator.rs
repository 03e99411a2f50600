//! The rollup operator (`proof-rollup`) end to end on a real validator: users deposit on the
//! chain, send transfers to the operator's API and get signed receipts; bad requests get their
//! error codes; the operator is killed with SIGKILL while batches are open and proving, and
//! restarted: every receipt's place is the same, nothing confirmed is lost, no batch is posted
//! twice; a withdrawal is paid on the chain once its batch is verified; `proof-rollup rebuild`
//! from the chain alone gives the verified root, and the operator's exit proof verifies there.
//! The wallet (`proof rollup ...`) then deposits, sends and withdraws with a keyring rollup key.
//!
//! Ports: node index 56; the operator's API on 127.0.0.1:7790.

mod common;

use common::localnet::{balance, Localnet};
use common::rollup::{deploy, seed_verifier_key, sibling_bin};
use common::wasm::execute_msg;
use proof_rollup::receipt::Receipt;
use proof_rollup::wire::{
    AccountResponse, BatchStatusResponse, ErrorBody, ExitProofResponse, StatusResponse,
    TransferBody, TxState, TxStatusResponse, WithdrawBody,
};
use proof_sdk::keystore::Keystore;
use proof_sdk::{Coin, KeyType, PrivateKey};
use proof_zk::{f_to_bytes, SecretKey, ZkParams};
use rollup_msgs::verifier::{QueryMsg, RollupInfo, RollupsResponse};
use rollup_msgs::{Base64, Hex32};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OFFSET: u16 = 56;
const CHAIN: &str = "proof-operator";
const K: u32 = 2;
const PASSWORD: &str = "rollup operator test";
const API: &str = "127.0.0.1:7790";
const USERS: u32 = 6;
const DEPOSIT: u64 = 1_000_000;

/// The operator process; killed when dropped.
struct Operator {
    child: Option<Child>,
    log: std::path::PathBuf,
}

impl Operator {
    fn start(home: &Path, keys: &Path, node: &str, verifier: &str, rollup: u32) -> Operator {
        let log = home.join("operator.log");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(sibling_bin("proof-rollup"))
            .args(["--node", node, "--verifier", verifier, "start"])
            .args(["--rollup", &rollup.to_string(), "--from", "operator"])
            .arg("--home")
            .arg(home.join("operator"))
            .arg("--keyring-dir")
            .arg(keys)
            .arg("--params-dir")
            .arg(common::zk_dir())
            .args(["--listen", API, "--provers", "2", "--batch-size", "10"])
            .args(["--batch-ms", "1500", "--deposit-poll-ms", "300"])
            .env("PROOF_KEYRING_PASSWORD", PASSWORD)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap();
        Operator {
            child: Some(child),
            log,
        }
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<_> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill9();
    }
}

struct Api {
    http: reqwest::Client,
}

impl Api {
    fn url(path: &str) -> String {
        format!("http://{API}{path}")
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let r = self.http.get(Self::url(path)).send().await.unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// POSTs `body`; returns the status code and the JSON answer.
    async fn post(&self, path: &str, body: &impl serde::Serialize) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(Self::url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn post_raw(&self, path: &str, body: &str) -> (u16, ErrorBody) {
        let r = self
            .http
            .post(Self::url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn transfer(&self, body: &TransferBody) -> Receipt {
        let (code, v) = self.post("/v1/transfers", body).await;
        assert_eq!(code, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }

    async fn refused(&self, path: &str, body: &impl serde::Serialize) -> (u16, String) {
        let (code, v) = self.post(path, body).await;
        let e: ErrorBody = serde_json::from_value(v).unwrap();
        (code, e.error.code)
    }

    /// Waits for the API, then until `done(status)`.
    async fn wait_until(
        &self,
        op: &Operator,
        what: &str,
        secs: u64,
        done: impl Fn(&StatusResponse) -> bool,
    ) -> StatusResponse {
        let t = Instant::now();
        loop {
            if let Ok(r) = self.http.get(Self::url("/v1/status")).send().await {
                if let Ok(s) = r.json::<StatusResponse>().await {
                    assert!(s.halted.is_none(), "operator halted: {:?}", s.halted);
                    if done(&s) {
                        return s;
                    }
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {what}; operator log:\n{}",
                op.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The `proof` CLI on the test's keyring.
struct Wallet {
    keys: std::path::PathBuf,
    node: String,
}

impl Wallet {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = Command::new(sibling_bin("proof"));
        cmd.args(args).args(["-o", "json", "--node", &self.node]);
        if args[0] == "rollup" {
            cmd.arg("--operator").arg(format!("http://{API}"));
        }
        let mut child = cmd
            .arg("--keyring-dir")
            .arg(&self.keys)
            .env("PROOF_KEYRING_PASSWORD", PASSWORD)
            .env("PROOF_KEYRING_INSECURE_FAST_KDF", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            writeln!(input, "{s}").unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "proof {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Runs a command that must fail; returns its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert!(!out.status.success(), "proof {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

fn sk(i: u32) -> SecretKey {
    SecretKey::from_seed(&[40 + i as u8; 32])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_confirms_proves_and_posts_in_order_across_a_sigkill() {
    let t0 = Instant::now();
    let phase = |what: &str| eprintln!("[{:>5.1}s] {what}", t0.elapsed().as_secs_f64());
    tokio::task::spawn_blocking(|| {
        ZkParams::load_or_generate(&common::zk_dir(), K as usize).unwrap()
    })
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let keys = home.path().join("keys");
    let phrase = bip39::Mnemonic::from_entropy(&[9u8; 32])
        .unwrap()
        .to_string();
    let ks = Keystore::open_insecure_fast(&keys);
    ks.import_mnemonic("operator", KeyType::Secp256k1, &phrase, 0, PASSWORD)
        .unwrap();
    let operator = ks.signing_key("operator", PASSWORD).unwrap();
    // The depositor's key is in the keyring too: the wallet phase deposits with the CLI.
    let depositor_phrase = bip39::Mnemonic::from_entropy(&[10u8; 32])
        .unwrap()
        .to_string();
    ks.import_mnemonic(
        "depositor",
        KeyType::Ed25519,
        &depositor_phrase,
        0,
        PASSWORD,
    )
    .unwrap();
    let depositor = ks.signing_key("depositor", PASSWORD).unwrap();
    let gov = PrivateKey::generate(KeyType::Ed25519).address();
    let recipient = PrivateKey::generate(KeyType::Ed25519).address();
    let net = Localnet::start(
        1,
        OFFSET,
        CHAIN,
        &[
            (operator.address(), 10_000_000_000_000),
            (depositor.address(), 10_000_000_000_000),
        ],
        None,
    )
    .await;
    seed_verifier_key(&net, K).await;
    let rpc = net.rpc(0).clone();
    let (verifier, xx) = deploy(&net, &operator, &gov, 1000, 1000).await;

    // The operator registers its rollup with the bond.
    let reg = execute_msg(
        &operator.address(),
        &verifier,
        json!({"register": {"ops_per_step": K}}),
        &[Coin::new(1_000_000, "uxyz")],
    );
    net.send_ok(&operator, vec![reg], 5_000_000).await;
    let list: RollupsResponse = proof_rollup::chain::smart(
        &rpc,
        &verifier,
        &QueryMsg::Rollups {
            start_after: None,
            limit: None,
        },
    )
    .await
    .unwrap();
    let id = list.rollups[0].id;

    // Six users deposit (one chain account pays for all: it owns their accounts on the chain).
    let deposits = (0..USERS)
        .map(|i| {
            let pk = sk(i).public_key();
            let (word, extra) =
                proof_zk::schnorr::key_possession_message(id, i, depositor.address().as_bytes());
            let proof = Base64(sk(i).sign(word, extra).to_bytes().to_vec());
            execute_msg(
                &depositor.address(),
                &xx,
                json!({"deposit": {"rollup": id, "to": i,
                    "pubkey_x": Hex32(f_to_bytes(&pk.x)), "pubkey_y": Hex32(f_to_bytes(&pk.y)),
                    "key_proof": proof}}),
                &[Coin::new(u128::from(DEPOSIT), "uxyz")],
            )
        })
        .collect();
    net.send_ok(&depositor, deposits, 20_000_000).await;

    phase("deposits on chain");
    let node = rpc.url().to_string();
    let mut op = Operator::start(home.path(), &keys, &node, &verifier.to_string(), id);
    let api = Api {
        http: reqwest::Client::new(),
    };
    let status = api
        .wait_until(&op, "the operator to take the deposits", 180, |s| {
            s.next_deposit_seq == u64::from(USERS)
        })
        .await;
    let receipt_key = status.receipt_key.clone();
    phase("operator took the deposits");

    // Bad requests: each gets its code, and nothing is queued.
    let t = |from: u32, to: u32, amount: u64, fee: u64, nonce: u64| {
        TransferBody::sign(&sk(from), id, from, to, amount, fee, nonce).unwrap()
    };
    let mut forged = t(1, 2, 10, 1, 0);
    forged.signature = t(2, 1, 10, 1, 0).signature;
    assert_eq!(
        api.refused("/v1/transfers", &forged).await,
        (400, "bad_signature".into())
    );
    assert_eq!(
        api.refused("/v1/transfers", &t(1, 2, 10, 1, 5)).await,
        (400, "bad_nonce".into())
    );
    assert_eq!(
        api.refused("/v1/transfers", &t(1, 2, DEPOSIT, 1, 0)).await,
        (400, "insufficient_balance".into())
    );
    assert_eq!(
        api.refused("/v1/transfers", &t(1, 2, 10, 0, 0)).await,
        (400, "fee_too_low".into())
    );
    assert_eq!(
        api.refused(
            "/v1/transfers",
            &TransferBody::sign(&sk(9), id, 9, 1, 10, 1, 0).unwrap()
        )
        .await,
        (404, "unknown_account".into())
    );
    assert_eq!(
        api.refused("/v1/transfers", &t(1, 99, 10, 1, 0)).await,
        (400, "unknown_recipient".into())
    );
    let (code, e) = api.post_raw("/v1/transfers", "{\"from\": 1").await;
    assert_eq!((code, e.error.code.as_str()), (400, "malformed"));
    let (code, e) = api
        .post_raw(
            "/v1/transfers",
            &json!({"from": 1, "to": 2, "amount": "1", "fee": "1", "nonce": 0, "signature": "00"})
                .to_string(),
        )
        .await;
    assert_eq!((code, e.error.code.as_str()), (400, "malformed"));
    let a1: AccountResponse = api.get("/v1/accounts/1").await;
    assert_eq!(
        (a1.balance.0, a1.nonce),
        (DEPOSIT, 0),
        "nothing refused was applied"
    );

    // Wave 1: 8 transfers (with the 6 deposits: batch 0 closes at 10 operations, 4 stay open).
    let mut receipts = Vec::new();
    let mut nonces = vec![0u64; USERS as usize];
    let mut sent_fees = 0u64;
    for round in 0..2u32 {
        for i in 0..USERS {
            if receipts.len() == 8 {
                break;
            }
            let to = (i + 1 + round) % USERS;
            let body = t(i, to, 1_000 + u64::from(i), 2, nonces[i as usize]);
            nonces[i as usize] += 1;
            sent_fees += 2;
            let r = api.transfer(&body).await;
            assert!(r.verify(&receipt_key), "a receipt signed by the operator");
            receipts.push(r);
        }
    }
    let places: Vec<_> = receipts.iter().map(|r| (r.batch, r.position)).collect();
    let mut sorted = places.clone();
    sorted.sort();
    assert_eq!(places, sorted, "receipts in order");
    assert_eq!(places.last(), Some(&(1, 3)));

    phase("wave 1 confirmed");
    // SIGKILL with batches open and proving; restart on the same home.
    op.kill9();
    let op = Operator::start(home.path(), &keys, &node, &verifier.to_string(), id);
    let status = api
        .wait_until(&op, "the restarted operator", 120, |_| true)
        .await;
    assert_eq!(
        (status.open_batch, status.open_batch_ops),
        (1, 4),
        "the open batch survived"
    );
    assert_eq!(status.receipt_key, receipt_key);
    for r in &receipts {
        let s: TxStatusResponse = api.get(&format!("/v1/txs/{}", r.hash)).await;
        assert_eq!(
            (s.batch, s.position),
            (r.batch, r.position),
            "receipt {} kept its place",
            r.hash
        );
    }

    phase("restarted, receipts checked");
    // Wave 2: transfers go on from the nonces before the crash; user 0 withdraws to the chain.
    let withdrawn = 5_000u64;
    let w = WithdrawBody::sign(&sk(0), id, 0, withdrawn, 3, nonces[0], &recipient).unwrap();
    nonces[0] += 1;
    sent_fees += 3;
    let (code, v) = api.post("/v1/withdrawals", &w).await;
    assert_eq!(code, 200, "{v}");
    let wr: Receipt = serde_json::from_value(v).unwrap();
    assert_eq!((wr.batch, wr.position), (1, 4));
    // a transfer from the withdrawer opens the next batch (the circuit puts withdrawals last)
    let r = api.transfer(&t(0, 1, 7, 1, nonces[0])).await;
    nonces[0] += 1;
    sent_fees += 1;
    assert_eq!((r.batch, r.position), (wr.batch + 1, 0));
    receipts.push(r);

    // Everything is proven and verified in order.
    let last = api
        .wait_until(&op, "every batch verified", 300, |s| {
            s.open_batch_ops == 0
                && s.verified_batches == s.open_batch
                && s.open_batch > wr.batch + 1
        })
        .await;
    phase("all verified");
    let s: TxStatusResponse = api.get(&format!("/v1/txs/{}", wr.hash)).await;
    assert_eq!(s.state, TxState::Verified);
    assert_eq!(
        balance(&rpc, &recipient, None).await,
        u128::from(withdrawn),
        "the withdrawal is paid"
    );
    let info: RollupInfo = proof_rollup::chain::smart(&rpc, &verifier, &QueryMsg::Rollup { id })
        .await
        .unwrap();
    assert_eq!(
        info.batch_index, last.verified_batches,
        "each batch verified once, none twice"
    );
    let b: BatchStatusResponse = api
        .get(&format!("/v1/batches/{}", info.batch_index - 1))
        .await;
    assert_eq!(b.new_root, Some(hex::encode(info.state_root.0)));
    for r in &receipts {
        let s: TxStatusResponse = api.get(&format!("/v1/txs/{}", r.hash)).await;
        assert_eq!(s.state, TxState::Verified);
        assert!(s.chain_height.is_some());
    }

    // Balances: soft state = verified state; fees and the withdrawal left the rollup.
    let mut total = 0u64;
    for i in 0..USERS {
        let a: AccountResponse = api.get(&format!("/v1/accounts/{i}")).await;
        assert_eq!(a.balance, a.verified_balance, "account {i}");
        assert_eq!(a.nonce, nonces[i as usize]);
        total += a.balance.0;
    }
    assert_eq!(total, u64::from(USERS) * DEPOSIT - withdrawn - sent_fees);

    phase("balances checked");
    // The wallet: a rollup key from a mnemonic, a deposit with it, a transfer followed to
    // verified over the events websocket, a withdrawal, and the wallet's own refusals.
    let wallet = Wallet {
        keys: keys.clone(),
        node: node.clone(),
    };
    let carol = wallet.ok(
        &["rollup", "keys", "add", "carol", "--recover"],
        Some(&phrase),
    );
    let listed = wallet.ok(&["rollup", "keys", "list"], None);
    assert_eq!(listed[0]["pubkey"], carol["pubkey"]);
    let account = USERS.to_string();
    wallet.ok(
        &[
            "tx",
            "rollup",
            "deposit",
            &id.to_string(),
            "50000uxyz",
            "--to",
            &account,
            "--key",
            "carol",
            "--xx",
            &xx.to_string(),
            "--verifier",
            &verifier.to_string(),
            "--from",
            "depositor",
        ],
        None,
    );
    api.wait_until(&op, "the operator to take carol's deposit", 120, |s| {
        s.next_deposit_seq == u64::from(USERS) + 1
    })
    .await;
    // A withdrawal returned at its soft confirmation, then a transfer followed to verified
    // (its batch is the next one: posting in order verifies the withdrawal's first).
    let before = balance(&rpc, &depositor.address(), None).await;
    let w = wallet.ok(
        &[
            "rollup",
            "withdraw",
            "carol",
            "500",
            "--account",
            &account,
            "--recipient",
            "depositor",
            "--fee",
            "2",
            "--wait",
            "soft",
        ],
        None,
    );
    assert_eq!(w["status"]["state"], "soft_confirmed");
    let sent = wallet.ok(
        &[
            "rollup",
            "send",
            "carol",
            "1000",
            "--account",
            &account,
            "--to",
            "1",
            "--fee",
            "2",
        ],
        None,
    );
    assert_eq!(sent["status"]["state"], "verified", "{sent}");
    assert!(sent["status"]["chain_height"].as_u64().is_some());
    assert_eq!(sent["stages"][0]["state"], "soft_confirmed");
    assert_eq!(sent["receipt"]["operator_key"], receipt_key.as_str());
    let hash = w["receipt"]["hash"].as_str().unwrap();
    let done = wallet.ok(&["rollup", "status", hash, "--wait", "verified"], None);
    assert_eq!(done["status"]["state"], "verified");
    assert_eq!(
        done["stages"].as_array().map(Vec::len),
        Some(1),
        "already verified: nothing to follow"
    );
    assert_eq!(
        balance(&rpc, &depositor.address(), None).await,
        before + 500,
        "the wallet's withdrawal is paid on the chain"
    );
    let bal = wallet.ok(&["rollup", "balance", "--account", &account], None);
    assert_eq!(bal["balance"], (50_000 - 502 - 1_002).to_string());
    assert_eq!(bal["verified_balance"], bal["balance"]);
    assert_eq!(bal["pubkey"], carol["pubkey"]);
    let err = wallet.fails(&[
        "rollup",
        "send",
        "carol",
        "10",
        "--account",
        "1",
        "--to",
        "2",
    ]);
    assert!(err.contains("not rollup key \"carol\""), "{err}");
    let err = wallet.fails(&[
        "rollup",
        "send",
        "carol",
        "999999999",
        "--account",
        &account,
        "--to",
        "1",
    ]);
    assert!(err.contains("insufficient_balance"), "{err}");
    let err = wallet.fails(&[
        "rollup",
        "send",
        "carol",
        "10",
        "--account",
        &account,
        "--to",
        "1",
        "--rollup-id",
        &(id + 1).to_string(),
    ]);
    assert!(err.contains("not rollup"), "{err}");
    let err = wallet.fails(&["rollup", "status", &"ab".repeat(32)]);
    assert!(err.contains("unknown_tx"), "{err}");
    let info: RollupInfo = proof_rollup::chain::smart(&rpc, &verifier, &QueryMsg::Rollup { id })
        .await
        .unwrap();
    phase("wallet");

    // The chain alone rebuilds the same root; the operator's exit proof verifies against it.
    let out = Command::new(sibling_bin("proof-rollup"))
        .args([
            "--node",
            &node,
            "--verifier",
            &verifier.to_string(),
            "rebuild",
            &id.to_string(),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rebuilt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rebuilt["root"], hex::encode(info.state_root.0));
    let exit: ExitProofResponse = api.get("/v1/accounts/1/exit-proof").await;
    assert_eq!(exit.root, hex::encode(info.state_root.0));
    let proof = proof_zk::ExitProof::from_bytes(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &exit.proof).unwrap(),
    )
    .unwrap();
    let root = proof_zk::f_from_bytes(&info.state_root.0).unwrap();
    proof_zk::verify_exit(&root, &proof).unwrap();
    assert_eq!(proof.account.balance, exit.balance.0);
    phase("rebuilt from the chain");
    drop(op);
}
