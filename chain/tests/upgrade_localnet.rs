//! A software upgrade end to end on two real validators (proofd + CometBFT on 127.0.0.1):
//! governance schedules it; at its height both nodes halt (their last block is the one before),
//! write `upgrade-info.json` for cosmovisor and exit; restarted on a binary that has the upgrade
//! (here a drill: `PROOFD_UPGRADE_DRILL`), they execute the upgrade's block, record it, and the
//! chain goes on with the same state on both.
//!
//! Ports: node i uses the ports of node 24+i, clear of the other localnet tests.

mod common;

use std::time::Duration;

use common::localnet::Localnet;
use common::pos::{self, GAS};
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    QueryAppliedPlanRequest, QueryAppliedPlanResponse, QueryCurrentPlanRequest,
    QueryCurrentPlanResponse,
};
use proof_sdk::rpc::RpcClient;
use proof_sdk::staking as smsg;
use proof_sdk::{gov, msgs, Coin, KeyType, PrivateKey};

const OFFSET: u16 = 24;
const CHAIN: &str = "proof-upgrade-e2e";
const NAME: &str = "drill-v2";

async fn current_plan(rpc: &RpcClient) -> Option<(String, i64)> {
    let r: QueryCurrentPlanResponse = rpc
        .grpc_query(
            "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
            &QueryCurrentPlanRequest {},
            None,
        )
        .await
        .unwrap();
    r.plan.map(|p| (p.name, p.height))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_halt_at_the_upgrade_height_and_resume_on_the_new_binary() {
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    let accounts = [(faucet.address(), 1_000_000_000_000)];
    let mut net = Localnet::start(2, OFFSET, CHAIN, &accounts, Some(&pos::genesis())).await;
    let rpc = net.nodes[0].rpc.clone();
    let (_, op0) = net.nodes[0].keys();

    // The faucet stakes 5000 XYZ (of 25 000 bonded: above the 10% quorum) to vote with.
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

    // Propose the upgrade some blocks ahead (votes take 2 s), vote, wait for it to pass.
    let at = rpc.latest_height().await.unwrap() + 25;
    let upgrade = gov::submit_proposal(
        &faucet.address(),
        "upgrade drill",
        "halt and restart",
        vec![gov::software_upgrade(
            NAME,
            at,
            "get v2 from the release page",
        )],
        &Coin::new(1000, "uxyz"),
    );
    let p = pos::propose_and_vote(&net, &faucet, upgrade, 1).await;
    assert_eq!(p["status"], "Passed", "{p}");
    assert!(
        rpc.latest_height().await.unwrap() < at,
        "the proposal passed too late for the test's upgrade height"
    );
    assert_eq!(current_plan(&rpc).await, Some((NAME.into(), at as i64)));

    // Both nodes halt by themselves at the upgrade height, with a note for cosmovisor.
    let mut statuses = Vec::new();
    for node in net.nodes.iter_mut() {
        statuses.push(node.wait_exit(Duration::from_secs(90)).await);
    }
    for (i, node) in net.nodes.iter().enumerate() {
        let Some(status) = statuses[i] else {
            panic!(
                "node{i} did not halt at height {at}; its log ends:\n{}\ncometbft:\n{}",
                node.tail("proofd.log", 25),
                node.tail("logs/cometbft.log", 25),
            );
        };
        assert!(!status.success(), "node{i} exited with {status}");
        let info: serde_json::Value = serde_json::from_slice(
            &std::fs::read(node.home.join("data/upgrade-info.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(info["name"], NAME);
        assert_eq!(info["height"], at);
        assert_eq!(info["info"], "get v2 from the release page");
        let log = node.log();
        assert!(
            log.contains(&format!("UPGRADE \"{NAME}\" NEEDED at height")),
            "node{i}'s log does not say why it stopped"
        );
    }

    // Restarted on the "new binary": block `at` runs the upgrade, and blocks keep coming.
    for node in &mut net.nodes {
        node.start_with_env(&[("PROOFD_UPGRADE_DRILL", NAME)]);
    }
    net.wait_all(at + 2).await;
    // The last block the old binary committed is `at - 1`; block `at` carries the upgrade.
    let results = rpc.block_results(at).await.unwrap();
    let events = results["finalize_block_events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["type"] == "upgrade"),
        "block {at} has no upgrade event: {results}"
    );
    let applied: QueryAppliedPlanResponse = rpc
        .grpc_query(
            "/cosmos.upgrade.v1beta1.Query/AppliedPlan",
            &QueryAppliedPlanRequest { name: NAME.into() },
            None,
        )
        .await
        .unwrap();
    assert_eq!(applied.height, at as i64);
    assert_eq!(current_plan(&rpc).await, None);

    // Transactions work after the upgrade, and both validators agree on the state.
    net.send_ok(
        &faucet,
        vec![msgs::bank_send(
            &faucet.address(),
            &op0.address(),
            &[Coin::new(1, "uxyz")],
        )],
        GAS,
    )
    .await;
    let h = rpc.latest_height().await.unwrap() + 1;
    let hashes = net.app_hashes(h).await;
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
}
