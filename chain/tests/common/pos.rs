//! Proof-of-stake helpers of the end-to-end tests: the staking genesis they run with and
//! CometBFT's validator set as seen over RPC.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    QueryValidatorRequest, QueryValidatorResponse, Validator,
};
use cosmos_sdk_proto::Any;
use proof_sdk::pos_client::{self, ConsensusValidator};
use proof_sdk::rpc::RpcClient;
use proof_sdk::{gov, Address, PrivateKey};

use super::localnet::{Localnet, PosGenesis};

/// Gas of every tx of the PoS end-to-end tests (the minimum fee for it: 5000uxyz).
pub const GAS: u64 = 200_000;

/// Each genesis validator's self-stake: power 10 000.
pub const STAKE: u128 = 10_000_000_000;

/// Short windows so slashing, epochs and votes happen within a test: a 10-block downtime window
/// (half must be signed, 5 s jail), 5% / 1% slashes, 4 s epochs, 2 s votes.
pub fn genesis() -> PosGenesis {
    PosGenesis {
        validator_stake: STAKE,
        staking: serde_json::json!({
            "slashing": {
                "signed_blocks_window": 10,
                "min_signed_per_window_bps": 5000,
                "downtime_jail_secs": 5,
                "slash_fraction_double_sign_bps": 500,
                "slash_fraction_downtime_bps": 100
            },
            "epoch": { "epoch_secs": 4, "emission_per_epoch": "1000000000" },
            "gov": { "min_deposit": "1000", "voting_secs": 2, "quorum_bps": 1000 }
        }),
    }
}

pub fn power_of(set: &[ConsensusValidator], pk: &str) -> Option<u64> {
    set.iter().find(|v| v.pub_key == pk).map(|v| v.power)
}

pub async fn consensus_set(rpc: &RpcClient) -> Vec<ConsensusValidator> {
    pos_client::consensus_validators(rpc, None).await.unwrap()
}

/// Polls CometBFT's validator set until `pred` holds.
pub async fn wait_set(
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

/// The staking module's record of the validator operated by `operator`.
pub async fn validator(rpc: &RpcClient, operator: &Address) -> Validator {
    let v: QueryValidatorResponse = rpc
        .grpc_query(
            "/cosmos.staking.v1beta1.Query/Validator",
            &QueryValidatorRequest {
                validator_addr: proof_sdk::staking::valoper(operator),
            },
            None,
        )
        .await
        .unwrap();
    v.validator.unwrap()
}

/// `voter` submits `proposal` (expected to get `id`) and votes yes on it; waits until it is
/// tallied and returns it.
pub async fn propose_and_vote(
    net: &Localnet,
    voter: &PrivateKey,
    proposal: Any,
    id: u64,
) -> serde_json::Value {
    net.send_ok(voter, vec![proposal], GAS).await;
    net.send_ok(voter, vec![gov::vote(&voter.address(), id, gov::YES)], GAS)
        .await;
    wait_tallied(net.rpc(0), id, Duration::from_secs(30)).await
}

/// Polls proposal `id` until it is tallied; returns it.
pub async fn wait_tallied(rpc: &RpcClient, id: u64, timeout: Duration) -> serde_json::Value {
    let body = serde_json::json!({ "id": id }).to_string();
    let start = Instant::now();
    loop {
        let r = rpc
            .abci_query("/proof.gov.v1.Query/Proposal", body.as_bytes(), None, false)
            .await
            .unwrap();
        let p: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
        if p["status"] != "VotingPeriod" && p["status"] != "DepositPeriod" {
            return p;
        }
        assert!(
            start.elapsed() < timeout,
            "proposal {id} never tallied: {p}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
