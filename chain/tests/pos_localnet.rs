//! Proof of stake end to end on four real validators (proofd + CometBFT on 127.0.0.1): the
//! app's genesis validators are CometBFT's set; a delegation changes a validator's voting power
//! in CometBFT; a validator kept offline is jailed (removed from CometBFT's set, slashed) and
//! after restarting and waiting out its jail, unjails and returns; checkpoints appear on time,
//! link up and prove blocks against the headers' app hashes.
//!
//! Ports: node i uses the ports of node 20+i, clear of the other localnet tests.

mod common;

use std::time::{Duration, Instant};

use common::localnet::{submit, Localnet};
use common::pos::{self as pos, consensus_set, power_of, validator, wait_set, GAS, STAKE};
use proof_sdk::light::{LightClient, Origin, TrustOptions, TrustRoot, TrustStore};
use proof_sdk::pos_client;
use proof_sdk::staking as smsg;
use proof_sdk::{msgs, Coin, KeyType, PrivateKey};

const OFFSET: u16 = 20;
const CHAIN: &str = "proof-pos-e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegation_moves_cometbft_power_offline_validator_is_jailed_and_unjails() {
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    let genesis = pos::genesis();
    let accounts = [(faucet.address(), 1_000_000_000_000)];
    let mut net = Localnet::start(4, OFFSET, CHAIN, &accounts, Some(&genesis)).await;
    let rpc = &net.rpc(0).clone();
    let (pk0, op0) = net.nodes[0].keys();
    let (pk3, op3) = net.nodes[3].keys();

    // CometBFT runs the set the app's genesis declared (genesis.json itself lists none).
    let s = consensus_set(rpc).await;
    assert_eq!(s.len(), 4, "{s:?}");
    assert!(s.iter().all(|v| v.power == 10_000), "{s:?}");

    // A delegation of 5000 XYZ to node0 raises its CometBFT voting power to 15 000.
    net.send_ok(
        &faucet,
        vec![smsg::delegate(
            &faucet.address(),
            &op0.address(),
            &Coin::new(5_000_000_000, "uxyz"),
        )],
        GAS,
    )
    .await;
    wait_set(rpc, "node0 at power 15000", Duration::from_secs(30), |s| {
        power_of(s, &pk0) == Some(15_000)
    })
    .await;

    // Governance: the faucet (5000 XYZ of 45 000 bonded, above the 10% quorum) proposes a new
    // emission and votes for it; after the 2 s voting period the parameter changes.
    let change = proof_sdk::gov::submit_param_change(
        &faucet.address(),
        "lower emission",
        &[("epoch", "emission_per_epoch", "\"123\"")],
        &Coin::new(1000, "uxyz"),
    );
    let p = pos::propose_and_vote(&net, &faucet, change, 1).await;
    assert_eq!(p["status"], "Passed", "{p}");
    let r = rpc
        .abci_query("/proof.epoch.v1.Query/Params", b"{}", None, false)
        .await
        .unwrap();
    let ep: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
    assert_eq!(ep["emission_per_epoch"], "123");

    // Fund node3's operator for the unjail fee, then take node3 offline.
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
    net.nodes[3].kill9();
    // It misses more than half of a 10-block window: jailed, removed from CometBFT's set.
    wait_set(rpc, "node3 removed", Duration::from_secs(60), |s| {
        s.len() == 3 && power_of(s, &pk3).is_none()
    })
    .await;
    let v = validator(rpc, &op3.address()).await;
    assert!(v.jailed);
    assert_eq!(
        v.tokens,
        (STAKE - STAKE / 100).to_string(),
        "1% downtime slash"
    );

    // Back online and caught up (so it signs once it is back in the set); once the 5 s jail
    // is over, MsgUnjail brings it back with power 9900.
    net.nodes[3].start();
    let target = rpc.latest_height().await.unwrap();
    net.nodes[3]
        .rpc
        .wait_for_height(target, Duration::from_secs(90))
        .await
        .expect("node3 catches up");
    let start = Instant::now();
    loop {
        let tx = net
            .sign(&op3, vec![smsg::unjail(&op3.address())], GAS)
            .await;
        let r = submit(rpc, &tx).await;
        let (code, log) = (r.code, r.log);
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
    wait_set(rpc, "node3 back", Duration::from_secs(30), |s| {
        s.len() == 4 && power_of(s, &pk3) == Some(9_900)
    })
    .await;

    // Checkpoints (4 s epochs) have been written all along; the latest links to its
    // predecessor, and a block of it is proven against the header's app hash.
    let latest = pos_client::checkpoint(rpc, None).await.unwrap();
    assert!(latest.checkpoint.epoch >= 2, "{:?}", latest.checkpoint);
    let cp = &latest.checkpoint;
    let secs = (cp.end_time_ns - cp.start_time_ns) / 1_000_000_000;
    assert!(
        (4..8).contains(&secs),
        "an epoch closes at the first block after 4 s: {secs} s"
    );
    let h = cp.start_height + 1;
    // As a light client: from the first block (first use), through the validator-set changes
    // above (delegation, node3 jailed and back), checking commit signatures all the way.
    let period = Duration::from_secs(3600);
    let mut light = LightClient::start(rpc, period, None, None).await.unwrap();
    let verified = pos_client::verify_checkpoint(rpc, &mut light, None, Some(h))
        .await
        .unwrap();
    assert!(verified.linked_to_previous);
    assert_eq!(verified.checkpoint.checkpoint.epoch, cp.epoch);
    assert_eq!(verified.checkpoint.hash, latest.hash);
    assert_eq!(verified.trust, TrustRoot::FirstUse { height: 1 });
    // From a header the user gives: the right hash works, any other is refused.
    let header2 = rpc.block(Some(2)).await.unwrap();
    let hash2 = header2["block_id"]["hash"].as_str().unwrap().to_string();
    let trust = TrustOptions {
        height: 2,
        hash: hash2,
    };
    let mut light = LightClient::start(rpc, period, Some(trust), None)
        .await
        .unwrap();
    pos_client::verify_checkpoint(rpc, &mut light, Some(cp.epoch), None)
        .await
        .unwrap();
    // Saved and resumed, the trust remembers it began at the header the user gave.
    let home = tempfile::tempdir().unwrap();
    let store = TrustStore {
        dir: home.path().join("light"),
    };
    store.save(&light.saved_trust()).unwrap();
    let saved = store.load(light.chain_id()).unwrap().unwrap();
    let resumed_at = saved.header.height;
    let mut light = LightClient::start(rpc, period, None, Some(saved))
        .await
        .unwrap();
    assert_eq!(
        light.root,
        TrustRoot::Saved {
            height: resumed_at,
            origin: Origin::Given { height: 2 }
        }
    );
    pos_client::verify_checkpoint(rpc, &mut light, None, None)
        .await
        .unwrap();
    // A node serving another chain id gets no first-use trust from this home.
    assert!(store.load("some-other-chain").is_err());
    let forged = TrustOptions {
        height: 2,
        hash: "AB".repeat(32),
    };
    assert!(LightClient::start(rpc, period, Some(forged), None)
        .await
        .is_err());
    let rewards = &cp.rewards;
    rewards.check().unwrap();
    assert_eq!(rewards.emission, 123, "the emission governance set");
    // Every node agrees on the checkpoint.
    for n in &net.nodes {
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
        let c = pos_client::checkpoint(rpc, None).await.unwrap();
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
