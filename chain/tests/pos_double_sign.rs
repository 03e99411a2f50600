//! Double signing on a real localnet: validator 3's key runs in two processes (node3 and a
//! clone, node3b, with its own node key and ports). When both propose at the same height they
//! sign conflicting blocks; CometBFT turns that into duplicate-vote evidence, and the app slashes
//! the validator 5% of its power, jails it forever (tombstone) and removes it from CometBFT's set.
//!
//! Ports: node i uses the ports of node 30+i; the clone those of node 38.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{QueryValidatorRequest, QueryValidatorResponse};
use cosmos_sdk_proto::Any;
use proof_sdk::pos_client::{self, ConsensusValidator};
use proof_sdk::rpc::RpcClient;
use proof_sdk::staking as smsg;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use prost::Message;

const OFFSET: u16 = 30;
const CLONE_INDEX: u16 = 38;
const CHAIN: &str = "proof-pos-dsign";
const STAKE: u128 = 10_000_000_000; // power 10 000

struct Node {
    home: PathBuf,
    child: Option<Child>,
    rpc: RpcClient,
}

impl Node {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.join("proofd.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_proofd"))
            .args(["start", "--home"])
            .arg(&self.home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start proofd");
        self.child = Some(child);
    }

    /// The node's consensus key (base64) and its operator key (the same ed25519 key, which
    /// `proofd testnet` makes the validator's operator account).
    fn keys(&self) -> (String, PrivateKey) {
        let path = self.home.join("cometbft/config/priv_validator_key.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        use base64::Engine as _;
        let sk = base64::engine::general_purpose::STANDARD
            .decode(v["priv_key"]["value"].as_str().unwrap())
            .unwrap();
        let seed: [u8; 32] = sk[..32].try_into().unwrap();
        (
            v["pub_key"]["value"].as_str().unwrap().to_string(),
            PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)),
        )
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

async fn sign(rpc: &RpcClient, key: &PrivateKey, msgs: Vec<Any>) -> Vec<u8> {
    let acc = account(rpc, &key.address()).await;
    sign_tx(
        msgs,
        &[Signer {
            key,
            account_number: acc.account_number,
            sequence: acc.sequence,
        }],
        &TxParams {
            gas_limit: 200_000,
            fee: vec![Coin::new(5000, "uxyz")],
            include_pubkey: true,
            ..Default::default()
        },
        CHAIN,
    )
}

/// Submits and waits; returns (height, code, log).
async fn submit(rpc: &RpcClient, tx: &[u8]) -> (u64, u32, String) {
    let r = rpc.broadcast_tx_sync(tx).await.unwrap();
    assert_eq!(r.code, 0, "CheckTx rejected: {}", r.log);
    let res = rpc
        .wait_for_tx(&r.hash, Duration::from_secs(30), || {})
        .await
        .unwrap();
    (res.height, res.code, res.log)
}

fn power_of(set: &[ConsensusValidator], pk: &str) -> Option<u64> {
    set.iter().find(|v| v.pub_key == pk).map(|v| v.power)
}

/// Polls CometBFT's validator set until `pred` holds.
async fn wait_set(
    rpc: &RpcClient,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&[ConsensusValidator]) -> bool,
) -> Vec<ConsensusValidator> {
    let start = Instant::now();
    loop {
        if let Ok(s) = pos_client::consensus_validators(rpc, None).await {
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; set is {s:?}");
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn testnet(dir: &Path, faucet: &Address) {
    let staking = serde_json::json!({
        "slashing": {
            "signed_blocks_window": 10,
            "min_signed_per_window_bps": 5000,
            "downtime_jail_secs": 5,
            "slash_fraction_double_sign_bps": 500,
            "slash_fraction_downtime_bps": 100
        },
        "epoch": { "epoch_secs": 4, "emission_per_epoch": "1000000000" }
    });
    let file = dir.join("staking.json");
    std::fs::write(&file, staking.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proofd"))
        .args([
            "testnet",
            "--validators",
            "4",
            "--chain-id",
            CHAIN,
            "--block-time-ms",
            "300",
            "--port-index-offset",
            &OFFSET.to_string(),
            "--validator-stake",
            &STAKE.to_string(),
            "--genesis-account",
            &format!("{faucet}=1000000000000uxyz"),
            "--staking-genesis",
        ])
        .arg(&file)
        .arg("--output-dir")
        .arg(dir.join("nodes"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "testnet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Clones node3's home into node3b: same validator key, fresh node key, its own ports.
fn clone_node3(nodes_dir: &Path) -> PathBuf {
    let src = nodes_dir.join("node3");
    let dst = nodes_dir.join("node3b");
    copy_dir(&src, &dst);
    // A new p2p identity (CometBFT refuses two peers with one node id).
    let sk = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
    let mut kp = sk.to_bytes().to_vec();
    kp.extend_from_slice(sk.verifying_key().as_bytes());
    use base64::Engine as _;
    let node_key = serde_json::json!({"priv_key": {
        "type": "tendermint/PrivKeyEd25519",
        "value": base64::engine::general_purpose::STANDARD.encode(&kp),
    }});
    std::fs::write(
        dst.join("cometbft/config/node_key.json"),
        node_key.to_string(),
    )
    .unwrap();
    // Every port of node3 (p2p, rpc, abci, metrics, CometBFT metrics) moves to the clone's.
    for file in ["config/app.toml", "cometbft/config/config.toml"] {
        let path = dst.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for base in [26656u32, 26657, 26658, 26660, 26661] {
            let old = base + 100 * (OFFSET as u32 + 3);
            let new = base + 100 * CLONE_INDEX as u32;
            text = text.replace(&format!(":{old}"), &format!(":{new}"));
        }
        text = text.replace("node3", "node3b");
        std::fs::write(&path, text).unwrap();
    }
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_running_twice_is_slashed_and_tombstoned() {
    let dir = tempfile::tempdir().unwrap();
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    testnet(dir.path(), &faucet.address());
    let clone_home = clone_node3(&dir.path().join("nodes"));
    let mut nodes: Vec<Node> = (0..4u16)
        .map(|i| Node {
            home: dir.path().join(format!("nodes/node{i}")),
            child: None,
            rpc: RpcClient::new(&rpc_url(i)).unwrap(),
        })
        .collect();
    nodes.push(Node {
        home: clone_home,
        child: None,
        rpc: RpcClient::new(&format!(
            "http://127.0.0.1:{}",
            26657 + 100 * CLONE_INDEX as u32
        ))
        .unwrap(),
    });
    for n in &mut nodes {
        n.start();
    }
    let rpc = nodes[0].rpc.clone();
    rpc.wait_for_height(2, Duration::from_secs(90))
        .await
        .expect("the chain produces blocks");
    let (pk3, op3) = nodes[3].keys();
    assert_eq!(nodes[4].keys().0, pk3, "the clone signs with node3's key");

    // Sooner or later both processes propose (or vote) differently at one height: evidence.
    wait_set(
        &rpc,
        "node3 removed for double signing",
        Duration::from_secs(120),
        |s| s.len() == 3 && power_of(s, &pk3).is_none(),
    )
    .await;
    let v: QueryValidatorResponse = rpc
        .grpc_query(
            "/cosmos.staking.v1beta1.Query/Validator",
            &QueryValidatorRequest {
                validator_addr: smsg::valoper(&op3.address()),
            },
            None,
        )
        .await
        .unwrap();
    let v = v.validator.unwrap();
    assert!(v.jailed);
    assert_eq!(
        v.tokens,
        (STAKE - STAKE / 20).to_string(),
        "5% of its power at the infraction"
    );
    // Tombstoned: the signing info says so and unjail is refused, however long it waits.
    let cons = proof_sdk::Address::from_bytes(&{
        use base64::Engine as _;
        let pk = base64::engine::general_purpose::STANDARD
            .decode(&pk3)
            .unwrap();
        let d = <sha2::Sha256 as sha2::Digest>::digest(&pk);
        d[..20].to_vec()
    })
    .unwrap()
    .to_bech32("proofvalcons");
    let info: cosmos_sdk_proto::cosmos::slashing::v1beta1::QuerySigningInfoResponse = rpc
        .grpc_query(
            "/cosmos.slashing.v1beta1.Query/SigningInfo",
            &cosmos_sdk_proto::cosmos::slashing::v1beta1::QuerySigningInfoRequest {
                cons_address: cons,
            },
            None,
        )
        .await
        .unwrap();
    assert!(info.val_signing_info.unwrap().tombstoned);
    let tx = sign(
        &rpc,
        &faucet,
        vec![msgs::bank_send(
            &faucet.address(),
            &op3.address(),
            &[Coin::new(1_000_000, "uxyz")],
        )],
    )
    .await;
    assert_eq!(submit(&rpc, &tx).await.1, 0);
    let tx = sign(&rpc, &op3, vec![smsg::unjail(&op3.address())]).await;
    let (_, code, log) = submit(&rpc, &tx).await;
    assert_ne!(code, 0);
    assert!(log.contains("tombstoned"), "{log}");
    // The other three keep the chain going.
    let h = rpc.latest_height().await.unwrap();
    rpc.wait_for_height(h + 3, Duration::from_secs(30))
        .await
        .expect("chain continues");
}
