//! Double signing on a real localnet: validator 3's key runs in two processes (node3 and a
//! clone, node3b, with its own node key and ports). When both propose at the same height they
//! sign conflicting blocks; CometBFT turns that into duplicate-vote evidence, and the app slashes
//! the validator 5% of its power, jails it forever (tombstone) and removes it from CometBFT's set.
//!
//! Ports: node i uses the ports of node 30+i; the clone those of node 38.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::localnet::{submit, Localnet};
use common::pos::{self as pos, power_of, validator, wait_set, GAS, STAKE};
use proof_sdk::staking as smsg;
use proof_sdk::{msgs, Coin, KeyType, PrivateKey};

/// Gas of every tx here (the minimum fee for it: 5000uxyz).
const OFFSET: u16 = 30;
const CLONE_INDEX: u16 = 38;
const CHAIN: &str = "proof-pos-dsign";

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
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    let genesis = pos::genesis();
    let accounts = [(faucet.address(), 1_000_000_000_000)];
    let mut net = Localnet::create(4, OFFSET, CHAIN, &accounts, Some(&genesis));
    let clone_home = clone_node3(&net.nodes_dir());
    net.add_node(clone_home, CLONE_INDEX);
    net.start_all();
    let rpc = &net.rpc(0).clone();
    rpc.wait_for_height(2, Duration::from_secs(90))
        .await
        .expect("the chain produces blocks");
    let (pk3, op3) = net.nodes[3].keys();
    assert_eq!(
        net.nodes[4].keys().0,
        pk3,
        "the clone signs with node3's key"
    );

    // Sooner or later both processes propose (or vote) differently at one height: evidence.
    wait_set(
        rpc,
        "node3 removed for double signing",
        Duration::from_secs(120),
        |s| s.len() == 3 && power_of(s, &pk3).is_none(),
    )
    .await;
    let v = validator(rpc, &op3.address()).await;
    assert!(v.jailed);
    assert_eq!(
        v.tokens,
        (STAKE - STAKE / 20).to_string(),
        "5% of its power at the infraction"
    );
    // Tombstoned: the signing info says so and unjail is refused, however long it waits.
    let pk: [u8; 32] = {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD.decode(&pk3);
        raw.unwrap().try_into().unwrap()
    };
    let cons = proof_sdk::Address::from_bytes(&proof_chain::modules::staking::cons_address(&pk))
        .unwrap()
        .to_bech32(proof_chain::modules::staking::query::VALCONS_PREFIX);
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
    net.send_ok(
        &faucet,
        vec![msgs::bank_send(
            &faucet.address(),
            &op3.address(),
            &[Coin::new(1_000_000, "uxyz")],
        )],
        GAS,
    )
    .await;
    let tx = net
        .sign(&op3, vec![smsg::unjail(&op3.address())], GAS)
        .await;
    let r = submit(rpc, &tx).await;
    let (code, log) = (r.code, r.log);
    assert_ne!(code, 0);
    assert!(log.contains("tombstoned"), "{log}");
    // The other three keep the chain going.
    let h = rpc.latest_height().await.unwrap();
    rpc.wait_for_height(h + 3, Duration::from_secs(30))
        .await
        .expect("chain continues");
}
