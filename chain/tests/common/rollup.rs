//! Helpers of the rollup tests on real validators: the system contracts deployed the way the
//! localnet deploys them, the nodes handed the test's verifier key, sibling binaries.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{MsgInstantiateContract, MsgStoreCode};
use proof_sdk::{msgs, Address, PrivateKey};
use serde_json::{json, Value};
use std::path::PathBuf;

use super::localnet::{submit, Localnet};
use super::wasm::artifact;

/// A binary of this workspace build (`proof`, `proof-rollup`): beside the test binaries' dir.
pub fn sibling_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join(name);
    assert!(
        bin.exists(),
        "{} missing: build the workspace first (cargo build --workspace)",
        bin.display()
    );
    bin
}

pub fn hex_of(x: &proof_zk::F) -> String {
    hex::encode(proof_zk::f_to_bytes(x))
}

pub async fn instantiate(net: &Localnet, key: &PrivateKey, code_id: u64, msg: Value) -> Address {
    let m = msgs::to_any(&MsgInstantiateContract {
        sender: key.address().to_string(),
        admin: key.address().to_string(),
        code_id,
        label: "system".into(),
        msg: msg.to_string().into_bytes(),
        funds: vec![],
    });
    let tx = net.sign(key, vec![m], 5_000_000).await;
    let r = submit(net.rpc(0), &tx).await;
    assert_eq!(r.code, 0, "{}", r.log);
    r.event_attr("instantiate", "_contract_address")
        .unwrap()
        .parse()
        .unwrap()
}

/// Stores and instantiates `rollup-verifier` and `xx` from `key` (xx offers itself to the
/// verifier, which adopts it: same creator). Returns (verifier, xx).
pub async fn deploy(
    net: &Localnet,
    key: &PrivateKey,
    gov: &Address,
    liveness_blocks: u64,
    inclusion_blocks: u64,
) -> (Address, Address) {
    let mut ids = vec![];
    for name in ["rollup_verifier", "xx"] {
        let m = msgs::to_any(&MsgStoreCode {
            sender: key.address().to_string(),
            wasm_byte_code: artifact(name),
            instantiate_permission: None,
        });
        let tx = net.sign(key, vec![m], 30_000_000).await;
        let r = submit(net.rpc(0), &tx).await;
        assert_eq!(r.code, 0, "{}", r.log);
        ids.push(
            r.event_attr("store_code", "code_id")
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
    }
    let verifier = instantiate(
        net,
        key,
        ids[0],
        json!({"governance": gov.to_string(),
        "operator_bond": "1000000", "bond_denom": "uxyz", "liveness_blocks": liveness_blocks}),
    )
    .await;
    let xx = instantiate(
        net,
        key,
        ids[1],
        json!({"verifier": verifier.to_string(),
        "denom": "uxyz", "inclusion_blocks": inclusion_blocks}),
    )
    .await;
    (verifier, xx)
}

/// Hands every node the verifier key of step size `k` from the test's cache (a node derives a
/// key the first time a block needs it: seconds, once), as an operator would pre-seed `data/zk`.
pub async fn seed_verifier_key(net: &Localnet, k: u32) {
    let vk = tokio::task::spawn_blocking(move || {
        proof_zk::keys::load_or_derive(&super::zk_dir(), k).unwrap();
        proof_zk::keys::vk_cache_path(&super::zk_dir(), k)
    })
    .await
    .unwrap();
    for i in 0..net.nodes.len() {
        let dir = net.nodes_dir().join(format!("node{i}")).join("data/zk");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&vk, dir.join(vk.file_name().unwrap())).unwrap();
    }
}
