//! A software upgrade end to end on two real validators (proofd + CometBFT on 127.0.0.1):
//! governance schedules it; at its height both nodes halt (their last block is the one before),
//! write `upgrade-info.json` for cosmovisor and exit; restarted on a binary that has the upgrade
//! (here a drill: `PROOFD_UPGRADE_DRILL`), they execute the upgrade's block, record it, and the
//! chain goes on with the same state on both.
//!
//! Ports: node i uses the ports of node 24+i, clear of the other localnet tests.

mod common;

use std::time::{Duration, Instant};

use common::localnet::{submit, submit_and_wait, Localnet};
use common::pos;
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    QueryAppliedPlanRequest, QueryAppliedPlanResponse, QueryCurrentPlanRequest,
    QueryCurrentPlanResponse,
};
use proof_sdk::rpc::RpcClient;
use proof_sdk::staking as smsg;
use proof_sdk::{gov, msgs, Coin, KeyType, PrivateKey};

const GAS: u64 = 200_000;
const OFFSET: u16 = 24;
const CHAIN: &str = "proof-upgrade-e2e";
const NAME: &str = "drill-v2";

async fn proposal_status(rpc: &RpcClient, id: u64) -> serde_json::Value {
    let body = serde_json::json!({ "id": id }).to_string();
    let r = rpc
        .abci_query("/proof.gov.v1.Query/Proposal", body.as_bytes(), None, false)
        .await
        .unwrap();
    let p: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
    p["status"].clone()
}

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
    let mut net = Localnet::create(2, OFFSET, CHAIN, &accounts, Some(&pos::genesis()));
    net.start_all();
    net.wait_all(2).await;
    let rpc = net.nodes[0].rpc.clone();
    let (_, op0) = net.nodes[0].keys();

    // The faucet stakes 5000 XYZ (of 25 000 bonded: above the 10% quorum) to vote with.
    let tx = net
        .sign(
            &faucet,
            vec![smsg::delegate(
                &faucet.address(),
                &op0.address(),
                &Coin::new(5_000_000_000, "uxyz"),
            )],
            GAS,
        )
        .await;
    submit_and_wait(&rpc, &tx).await;

    // Propose the upgrade some blocks ahead (votes take 2 s), vote, wait for it to pass.
    let at = rpc.latest_height().await.unwrap() + 25;
    let tx = net
        .sign(
            &faucet,
            vec![gov::submit_proposal(
                &faucet.address(),
                "upgrade drill",
                "halt and restart",
                vec![gov::software_upgrade(
                    NAME,
                    at,
                    "get v2 from the release page",
                )],
                &Coin::new(1000, "uxyz"),
            )],
            GAS,
        )
        .await;
    submit_and_wait(&rpc, &tx).await;
    let tx = net
        .sign(
            &faucet,
            vec![gov::vote(&faucet.address(), 1, gov::YES)],
            GAS,
        )
        .await;
    submit_and_wait(&rpc, &tx).await;
    let start = Instant::now();
    while proposal_status(&rpc, 1).await != "Passed" {
        assert!(start.elapsed() < Duration::from_secs(30), "never passed");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
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
            let tail = |file: &str| {
                let s = std::fs::read_to_string(node.home.join(file)).unwrap_or_default();
                let lines: Vec<&str> = s.lines().collect();
                lines[lines.len().saturating_sub(25)..].join("\n")
            };
            let others: Vec<String> = net
                .nodes
                .iter()
                .map(|n| {
                    let s = n.log();
                    let lines: Vec<&str> = s.lines().collect();
                    lines[lines.len().saturating_sub(8)..].join("\n")
                })
                .collect();
            panic!(
                "node{i} did not halt at height {at}; its log ends:\n{}\ncometbft:\n{}\nall proofd logs:\n{}",
                tail("proofd.log"),
                tail("logs/cometbft.log"),
                others.join("\n---\n")
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
    let tx = net
        .sign(
            &faucet,
            vec![msgs::bank_send(
                &faucet.address(),
                &op0.address(),
                &[Coin::new(1, "uxyz")],
            )],
            GAS,
        )
        .await;
    assert_eq!(submit(&rpc, &tx).await.code, 0);
    let h = rpc.latest_height().await.unwrap() + 1;
    let hashes = net.app_hashes(h).await;
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
}
