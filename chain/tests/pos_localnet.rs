//! Proof of stake end to end on four real validators (proofd + CometBFT on 127.0.0.1): the
//! app's genesis validators are CometBFT's set; a delegation changes a validator's voting power
//! in CometBFT; a validator kept offline is jailed (removed from CometBFT's set, slashed) and
//! after restarting and waiting out its jail, unjails and returns; checkpoints appear on time,
//! link up and prove blocks against the headers' app hashes.
//!
//! Ports: node i uses the ports of node 20+i, clear of the other localnet tests.

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

const OFFSET: u16 = 20;
const CHAIN: &str = "proof-pos-e2e";
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

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
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

async fn set(rpc: &RpcClient) -> Vec<ConsensusValidator> {
    pos_client::consensus_validators(rpc, None).await.unwrap()
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
        "epoch": { "epoch_secs": 4, "emission_per_epoch": "1000000000" },
        "gov": { "min_deposit": "1000", "voting_secs": 2, "quorum_bps": 1000 }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegation_moves_cometbft_power_offline_validator_is_jailed_and_unjails() {
    let dir = tempfile::tempdir().unwrap();
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    testnet(dir.path(), &faucet.address());
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
    let rpc = nodes[0].rpc.clone();
    let (pk0, op0) = nodes[0].keys();
    let (pk3, op3) = nodes[3].keys();

    // CometBFT runs the set the app's genesis declared (genesis.json itself lists none).
    let s = set(&rpc).await;
    assert_eq!(s.len(), 4, "{s:?}");
    assert!(s.iter().all(|v| v.power == 10_000), "{s:?}");

    // A delegation of 5000 XYZ to node0 raises its CometBFT voting power to 15 000.
    let tx = sign(
        &rpc,
        &faucet,
        vec![smsg::delegate(
            &faucet.address(),
            &op0.address(),
            &Coin::new(5_000_000_000, "uxyz"),
        )],
    )
    .await;
    let (_, code, log) = submit(&rpc, &tx).await;
    assert_eq!(code, 0, "{log}");
    wait_set(&rpc, "node0 at power 15000", Duration::from_secs(30), |s| {
        power_of(s, &pk0) == Some(15_000)
    })
    .await;

    // Governance: the faucet (5000 XYZ of 45 000 bonded, above the 10% quorum) proposes a new
    // emission and votes for it; after the 2 s voting period the parameter changes.
    let tx = sign(
        &rpc,
        &faucet,
        vec![proof_sdk::gov::submit_param_change(
            &faucet.address(),
            "lower emission",
            &[("epoch", "emission_per_epoch", "\"123\"")],
            &Coin::new(1000, "uxyz"),
        )],
    )
    .await;
    let (_, code, log) = submit(&rpc, &tx).await;
    assert_eq!(code, 0, "{log}");
    let tx = sign(
        &rpc,
        &faucet,
        vec![proof_sdk::gov::vote(
            &faucet.address(),
            1,
            proof_sdk::gov::YES,
        )],
    )
    .await;
    let (_, code, log) = submit(&rpc, &tx).await;
    assert_eq!(code, 0, "{log}");
    let start = Instant::now();
    loop {
        let r = rpc
            .abci_query("/proof.gov.v1.Query/Proposal", br#"{"id":1}"#, None, false)
            .await
            .unwrap();
        let p: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
        if p["status"] == "Passed" {
            break;
        }
        assert_eq!(p["status"], "VotingPeriod", "{p}");
        assert!(start.elapsed() < Duration::from_secs(30), "never tallied");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let r = rpc
        .abci_query("/proof.epoch.v1.Query/Params", b"{}", None, false)
        .await
        .unwrap();
    let ep: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
    assert_eq!(ep["emission_per_epoch"], "123");

    // Fund node3's operator for the unjail fee, then take node3 offline.
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
    nodes[3].kill9();
    // It misses more than half of a 10-block window: jailed, removed from CometBFT's set.
    wait_set(&rpc, "node3 removed", Duration::from_secs(60), |s| {
        s.len() == 3 && power_of(s, &pk3).is_none()
    })
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
        (STAKE - STAKE / 100).to_string(),
        "1% downtime slash"
    );

    // Back online and caught up (so it signs once it is back in the set); once the 5 s jail
    // is over, MsgUnjail brings it back with power 9900.
    nodes[3].start();
    let target = rpc.latest_height().await.unwrap();
    nodes[3]
        .rpc
        .wait_for_height(target, Duration::from_secs(90))
        .await
        .expect("node3 catches up");
    let start = Instant::now();
    loop {
        let tx = sign(&rpc, &op3, vec![smsg::unjail(&op3.address())]).await;
        let (_, code, log) = submit(&rpc, &tx).await;
        if code == 0 {
            break;
        }
        assert!(
            log.contains("jailed until"),
            "unexpected unjail failure: {log}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "jail never ended"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    wait_set(&rpc, "node3 back", Duration::from_secs(30), |s| {
        s.len() == 4 && power_of(s, &pk3) == Some(9_900)
    })
    .await;

    // Checkpoints (4 s epochs) have been written all along; the latest links to its
    // predecessor, and a block of it is proven against the header's app hash.
    let latest = pos_client::checkpoint(&rpc, None).await.unwrap();
    assert!(latest.checkpoint.epoch >= 2, "{:?}", latest.checkpoint);
    let cp = &latest.checkpoint;
    let secs = (cp.end_time_ns - cp.start_time_ns) / 1_000_000_000;
    assert!(
        (4..8).contains(&secs),
        "an epoch closes at the first block after 4 s: {secs} s"
    );
    let h = cp.start_height + 1;
    let verified = pos_client::verify_checkpoint(&rpc, None, Some(h))
        .await
        .unwrap();
    assert!(verified.linked_to_previous);
    assert_eq!(verified.checkpoint.checkpoint.epoch, cp.epoch);
    let rewards = &cp.rewards;
    rewards.check().unwrap();
    assert_eq!(rewards.emission, 123, "the emission governance set");
    // Every node agrees on the checkpoint.
    for n in &nodes {
        n.rpc
            .wait_for_height(latest.written_at, Duration::from_secs(30))
            .await
            .unwrap();
        let c = pos_client::checkpoint(&n.rpc, Some(cp.epoch))
            .await
            .unwrap();
        assert_eq!(c.hash, latest.hash);
    }

    // The checkpoint's validator-set hash is CometBFT's own: one written after the set settled
    // equals the header's validators_hash once the set is in force (two blocks later).
    let settled = rpc.latest_height().await.unwrap();
    let start = Instant::now();
    let cp = loop {
        let c = pos_client::checkpoint(&rpc, None).await.unwrap();
        if c.written_at > settled {
            break c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no new checkpoint"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    rpc.wait_for_height(cp.written_at + 2, Duration::from_secs(30))
        .await
        .unwrap();
    let header = rpc.block(Some(cp.written_at + 2)).await.unwrap();
    assert_eq!(
        header["block"]["header"]["validators_hash"]
            .as_str()
            .unwrap(),
        hex::encode_upper(cp.checkpoint.validator_set_hash)
    );
}
