//! End to end on four real validators (proofd + CometBFT processes on 127.0.0.1): transfers land
//! everywhere with equal app hashes; a SIGKILLed validator doesn't stop the chain and catches up
//! after restart; replayed and mis-signed transactions are rejected and nothing is lost.
//!
//! Ports: node i uses the ports of node 60+i (32656...), so a user's localnet can keep running.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use proof_sdk::rpc::RpcClient;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use prost::Message;

const OFFSET: u16 = 60;
const CHAIN: &str = "proof-e2e";

struct Node {
    home: PathBuf,
    child: Option<Child>,
    rpc: RpcClient,
}

impl Node {
    fn start(&mut self) {
        let log = std::fs::File::create(self.home.join("proofd.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_proofd"))
            .args(["start", "--home"])
            .arg(&self.home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start proofd");
        self.child = Some(child);
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            // SAFETY: signalling our own child process.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

fn rpc_url(i: u16) -> String {
    format!("http://127.0.0.1:{}", 26657 + 100 * (OFFSET + i))
}

async fn balance(rpc: &RpcClient, addr: &Address, height: Option<u64>) -> u128 {
    let r: QueryBalanceResponse = rpc
        .grpc_query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.to_string(),
                denom: "uxyz".into(),
            },
            height,
        )
        .await
        .unwrap();
    r.balance.unwrap().amount.parse().unwrap()
}

async fn account(rpc: &RpcClient, addr: &Address) -> BaseAccount {
    let r: QueryAccountResponse = rpc
        .grpc_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: addr.to_string(),
            },
            None,
        )
        .await
        .unwrap();
    BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap()
}

async fn transfer(rpc: &RpcClient, key: &PrivateKey, to: &Address, amount: u128) -> Vec<u8> {
    let acc = account(rpc, &key.address()).await;
    let params = TxParams {
        gas_limit: 200_000,
        fee: vec![Coin::new(5000, "uxyz")],
        include_pubkey: true,
        ..Default::default()
    };
    sign_tx(
        vec![msgs::bank_send(
            &key.address(),
            to,
            &[Coin::new(amount, "uxyz")],
        )],
        &[Signer {
            key,
            account_number: acc.account_number,
            sequence: acc.sequence,
        }],
        &params,
        CHAIN,
    )
}

async fn submit_and_wait(rpc: &RpcClient, tx: &[u8]) -> u64 {
    let r = rpc.broadcast_tx_sync(tx).await.unwrap();
    assert_eq!(r.code, 0, "CheckTx rejected: {}", r.log);
    let res = rpc
        .wait_for_tx(&r.hash, Duration::from_secs(30), || {})
        .await
        .unwrap();
    assert_eq!(res.code, 0, "tx failed: {}", res.log);
    res.height
}

async fn header_app_hash(rpc: &RpcClient, height: u64) -> String {
    rpc.block(Some(height)).await.unwrap()["block"]["header"]["app_hash"]
        .as_str()
        .unwrap()
        .to_string()
}

fn testnet(dir: &Path, accounts: &[(Address, u128)]) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proofd"));
    cmd.args([
        "testnet",
        "--validators",
        "4",
        "--chain-id",
        CHAIN,
        "--block-time-ms",
        "300",
        "--port-index-offset",
        &OFFSET.to_string(),
        "--output-dir",
    ])
    .arg(dir.join("nodes"));
    for (a, amt) in accounts {
        cmd.arg("--genesis-account").arg(format!("{a}={amt}uxyz"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "testnet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_transfers_kill9_restart_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    let alice = PrivateKey::generate(KeyType::Hybrid);
    let bob = PrivateKey::generate(KeyType::Ed25519).address();
    testnet(
        dir.path(),
        &[
            (faucet.address(), 1_000_000_000),
            (alice.address(), 1_000_000),
        ],
    );
    let mut nodes: Vec<Node> = (0..4u16)
        .map(|i| Node {
            home: dir.path().join(format!("nodes/node{i}")),
            child: None,
            rpc: RpcClient::new(&rpc_url(i)).unwrap(),
        })
        .collect();
    for n in &mut nodes {
        n.start();
    }
    for n in &nodes {
        n.rpc
            .wait_for_height(2, Duration::from_secs(90))
            .await
            .expect("every node produces blocks");
    }
    let rpc0 = nodes[0].rpc.clone();

    // Transfers from two key types, submitted to different nodes.
    let tx1 = transfer(&rpc0, &faucet, &bob, 1000).await;
    submit_and_wait(&rpc0, &tx1).await;
    let tx2 = transfer(&nodes[1].rpc, &alice, &bob, 500).await;
    let h = submit_and_wait(&nodes[1].rpc, &tx2).await;
    for n in &nodes {
        n.rpc
            .wait_for_height(h + 1, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(
            balance(&n.rpc, &bob, Some(h)).await,
            1500,
            "every node sees both transfers"
        );
    }
    let hashes: Vec<String> = futures_join(&nodes, h + 1).await;
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "app hashes differ: {hashes:?}"
    );

    // A replayed transaction is refused (mempool cache or stale sequence) and changes nothing.
    let replay = rpc0.broadcast_tx_sync(&tx1).await;
    match replay {
        Ok(r) => assert_ne!(r.code, 0, "replay accepted: {}", r.log),
        Err(e) => assert!(e.to_string().contains("already exists in cache"), "{e}"),
    }
    // A mis-signed transaction is refused with the SDK's unauthorized code.
    let mut bad = TxRaw::decode(transfer(&rpc0, &faucet, &bob, 7).await.as_slice()).unwrap();
    bad.signatures[0][10] ^= 0x55;
    let r = rpc0.broadcast_tx_sync(&bad.encode_to_vec()).await.unwrap();
    assert_eq!(r.code, 4, "{}", r.log);

    // SIGKILL one validator: the other three (75% of the power) keep going.
    let before = rpc0.latest_height().await.unwrap();
    nodes[3].kill9();
    let tx3 = transfer(&rpc0, &faucet, &bob, 250).await;
    let h3 = submit_and_wait(&rpc0, &tx3).await;
    rpc0.wait_for_height(before + 5, Duration::from_secs(60))
        .await
        .expect("chain continues without node3");

    // Restart: node3 replays what it missed and reaches the same state.
    nodes[3].start();
    let target = rpc0.latest_height().await.unwrap();
    nodes[3]
        .rpc
        .wait_for_height(target, Duration::from_secs(90))
        .await
        .expect("node3 catches up");
    for n in &nodes {
        assert_eq!(
            balance(&n.rpc, &bob, Some(target)).await,
            1750,
            "nothing lost, nothing doubled"
        );
    }
    let hashes = futures_join(&nodes, target).await;
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "app hashes differ after restart: {hashes:?}"
    );
    assert!(h3 > before);
    // The replayed and mis-signed transactions never made it in: faucet paid exactly two sends.
    let faucet_acc = account(&rpc0, &faucet.address()).await;
    assert_eq!(faucet_acc.sequence, 2);
    assert_eq!(
        balance(&rpc0, &faucet.address(), None).await,
        1_000_000_000 - 1000 - 250 - 2 * 5000
    );
}

async fn futures_join(nodes: &[Node], height: u64) -> Vec<String> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(header_app_hash(&n.rpc, height).await);
    }
    out
}
