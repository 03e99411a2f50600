//! 07-tendermint clients: the client and consensus states the relayer creates a client with,
//! and the headers it updates one with (from the reference chain's RPC, verified on chain).

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{QueryParamsRequest, QueryParamsResponse};
use ibc_proto::google::protobuf::{Any as IbcAny, Duration as ProtoDuration};
use ibc_proto::ibc::core::client::v1::{
    Height, MsgCreateClient, MsgUpdateClient, QueryClientStateRequest, QueryClientStateResponse,
    QueryConsensusStateRequest, QueryConsensusStateResponse,
};
use ibc_proto::ibc::core::commitment::v1::MerkleRoot;
use ibc_proto::ibc::lightclients::tendermint::v1::{ClientState, ConsensusState, Fraction, Header};
use prost::Message;

use crate::chain::{Any, Chain};
use crate::config::ChainKind;

pub const CLIENT_STATE_URL: &str = "/ibc.lightclients.tendermint.v1.ClientState";
pub const CONSENSUS_STATE_URL: &str = "/ibc.lightclients.tendermint.v1.ConsensusState";
pub const HEADER_URL: &str = "/ibc.lightclients.tendermint.v1.Header";

pub fn ibc_any(type_url: &str, msg: &impl Message) -> IbcAny {
    IbcAny {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

pub fn tx_any(type_url: &str, msg: &impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: msg.encode_to_vec(),
    }
}

/// The proof specs a client of `kind` checks proofs with, one per step of a proof.
pub fn proof_specs(kind: ChainKind) -> Vec<ibc_proto::ics23::ProofSpec> {
    let specs = match kind {
        ChainKind::Proof => vec![jmt::ics23_spec(), jmt::ics23_spec()],
        ChainKind::Cosmos => vec![ics23::iavl_spec(), ics23::tendermint_spec()],
    };
    specs
        .into_iter()
        .map(|s| {
            ibc_proto::ics23::ProofSpec::decode(s.encode_to_vec().as_slice())
                .expect("the same protobuf message")
        })
        .collect()
}

/// The reference chain's unbonding period (its staking parameters).
pub async fn unbonding_period(chain: &Chain) -> Result<Duration> {
    let r: QueryParamsResponse = chain
        .grpc(
            "/cosmos.staking.v1beta1.Query/Params",
            &QueryParamsRequest {},
            None,
        )
        .await?;
    let d = r
        .params
        .and_then(|p| p.unbonding_time)
        .ok_or_else(|| anyhow!("{}: staking params without unbonding time", chain.id()))?;
    Ok(Duration::new(
        d.seconds.max(0) as u64,
        d.nanos.max(0) as u32,
    ))
}

fn proto_duration(d: Duration) -> ProtoDuration {
    ProtoDuration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

/// A client of `reference` at its header `height`, to be created on another chain.
pub async fn client_state_at(
    reference: &Chain,
    height: u64,
) -> Result<(ClientState, ConsensusState)> {
    let unbonding = unbonding_period(reference).await?;
    let trusting = reference
        .cfg
        .trusting_period_secs
        .map(Duration::from_secs)
        .unwrap_or(unbonding * 2 / 3);
    if trusting >= unbonding {
        bail!(
            "{}: trusting period {trusting:?} must be shorter than the unbonding period {unbonding:?}",
            reference.id()
        );
    }
    let header = reference.signed_header(height).await?;
    // The two deprecated flags are ignored by ibc-go v7+ and ibc-rs; recovery is governance's.
    #[allow(deprecated)]
    let cs = ClientState {
        chain_id: reference.id().to_string(),
        trust_level: Some(Fraction {
            numerator: 1,
            denominator: 3,
        }),
        trusting_period: Some(proto_duration(trusting)),
        unbonding_period: Some(proto_duration(unbonding)),
        max_clock_drift: Some(proto_duration(Duration::from_secs(
            reference.cfg.max_clock_drift_secs,
        ))),
        frozen_height: Some(Height::default()),
        latest_height: Some(reference.height(height)),
        proof_specs: proof_specs(reference.kind()),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    };
    Ok((cs, consensus_state_of(&header.header)))
}

pub fn consensus_state_of(h: &tendermint::block::Header) -> ConsensusState {
    let t: tendermint_proto::google::protobuf::Timestamp = h.time.into();
    ConsensusState {
        timestamp: Some(ibc_proto::google::protobuf::Timestamp {
            seconds: t.seconds,
            nanos: t.nanos,
        }),
        root: Some(MerkleRoot {
            hash: h.app_hash.as_bytes().to_vec(),
        }),
        next_validators_hash: h.next_validators_hash.as_bytes().to_vec(),
    }
}

/// `MsgCreateClient` on `host` of a client of `reference` at its latest header.
pub async fn create_client_msg(host: &Chain, reference: &Chain) -> Result<Any> {
    let h = reference.latest_height().await?;
    let (cs, cons) = client_state_at(reference, h).await?;
    Ok(tx_any(
        "/ibc.core.client.v1.MsgCreateClient",
        &MsgCreateClient {
            client_state: Some(ibc_any(CLIENT_STATE_URL, &cs)),
            consensus_state: Some(ibc_any(CONSENSUS_STATE_URL, &cons)),
            signer: host.signer(),
        },
    ))
}

/// The client `client_id` on `host`, as stored there.
pub async fn client_state(host: &Chain, client_id: &str) -> Result<ClientState> {
    let r: QueryClientStateResponse = host
        .grpc(
            "/ibc.core.client.v1.Query/ClientState",
            &QueryClientStateRequest {
                client_id: client_id.into(),
            },
            None,
        )
        .await?;
    let any = r
        .client_state
        .ok_or_else(|| anyhow!("{}: client {client_id} has no state", host.id()))?;
    if any.type_url != CLIENT_STATE_URL {
        bail!(
            "{}: client {client_id} is a {}, not 07-tendermint",
            host.id(),
            any.type_url
        );
    }
    ClientState::decode(any.value.as_slice()).context("undecodable client state")
}

/// The header that takes a client trusting `trusted` to `target` (both heights of `reference`).
pub async fn header(reference: &Chain, trusted: u64, target: u64) -> Result<Header> {
    let sh = reference.signed_header(target).await?;
    let validators = reference
        .validators(target, sh.header.proposer_address)
        .await?;
    // The trusted consensus state names the validators of the block after it.
    let trusted_header = reference.signed_header(trusted + 1).await?;
    let trusted_vals = reference
        .validators(trusted + 1, trusted_header.header.proposer_address)
        .await?;
    Ok(Header {
        signed_header: Some(sh.into()),
        validator_set: Some(validators.into()),
        trusted_height: Some(reference.height(trusted)),
        trusted_validators: Some(trusted_vals.into()),
    })
}

/// `MsgUpdateClient` taking `client_id` on `host` to `reference`'s header `target`, or `None`
/// if the client is already there or beyond.
pub async fn update_msg(
    host: &Chain,
    reference: &Chain,
    client_id: &str,
    target: u64,
) -> Result<Option<Any>> {
    let cs = client_state(host, client_id).await?;
    let trusted = cs.latest_height.unwrap_or_default().revision_height;
    if trusted >= target {
        return Ok(None);
    }
    reference.wait_for(target).await?;
    let h = header(reference, trusted, target).await?;
    Ok(Some(tx_any(
        "/ibc.core.client.v1.MsgUpdateClient",
        &MsgUpdateClient {
            client_id: client_id.into(),
            client_message: Some(ibc_any(HEADER_URL, &h)),
            signer: host.signer(),
        },
    )))
}

/// The consensus state `client_id` on `host` holds for `height` of its reference chain.
pub async fn consensus_state(
    host: &Chain,
    client_id: &str,
    height: Height,
) -> Result<ConsensusState> {
    let r: QueryConsensusStateResponse = host
        .grpc(
            "/ibc.core.client.v1.Query/ConsensusState",
            &QueryConsensusStateRequest {
                client_id: client_id.into(),
                revision_number: height.revision_number,
                revision_height: height.revision_height,
                latest_height: false,
            },
            None,
        )
        .await?;
    let any = r.consensus_state.ok_or_else(|| {
        anyhow!(
            "{}: client {client_id} has no consensus state at {}",
            host.id(),
            height.revision_height
        )
    })?;
    ConsensusState::decode(any.value.as_slice()).context("undecodable consensus state")
}

/// Whether a client whose newest consensus state is `age` old should be updated now: once a
/// third of its trusting period has passed (as Hermes does), which leaves two thirds for
/// retries before it expires and only governance can revive it.
pub fn refresh_due(age: Duration, trusting: Duration) -> bool {
    age >= trusting / 3
}

/// `MsgUpdateClient` taking `client_id` on `host` to `reference`'s latest header if the client
/// is due a refresh (ages measured in `reference`'s block time, not this machine's clock).
pub async fn refresh_msg(host: &Chain, reference: &Chain, client_id: &str) -> Result<Option<Any>> {
    let cs = client_state(host, client_id).await?;
    let latest = cs.latest_height.unwrap_or_default();
    let learned = consensus_state(host, client_id, latest)
        .await?
        .timestamp
        .unwrap_or_default();
    let now_height = reference.latest_height().await?;
    let now: tendermint_proto::google::protobuf::Timestamp = reference
        .signed_header(now_height)
        .await?
        .header
        .time
        .into();
    let age = Duration::from_secs((now.seconds - learned.seconds).max(0) as u64);
    let trusting = cs.trusting_period.unwrap_or_default();
    let trusting = Duration::from_secs(trusting.seconds.max(0) as u64);
    if !refresh_due(age, trusting) {
        return Ok(None);
    }
    update_msg(host, reference, client_id, now_height).await
}

/// The client id a `create_client` event names.
pub fn created_client_id(result: &proof_sdk::rpc::TxResult) -> Result<String> {
    result
        .event_attr("create_client", "client_id")
        .ok_or_else(|| anyhow!("no create_client event in {}", result.hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_refreshed_after_a_third_of_its_trusting_period() {
        let trusting = Duration::from_secs(14 * 24 * 3600);
        assert!(!refresh_due(Duration::from_secs(3600), trusting));
        assert!(!refresh_due(
            trusting / 3 - Duration::from_secs(1),
            trusting
        ));
        assert!(refresh_due(trusting / 3, trusting));
        assert!(refresh_due(trusting, trusting));
    }
}
