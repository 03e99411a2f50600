//! The ICS-03 connection and ICS-04 channel handshakes between two chains, each step proven
//! against a client the step before brought up to date.

use anyhow::{anyhow, Result};
use ibc_proto::google::protobuf::Any as IbcAny;
use ibc_proto::ibc::core::channel::v1::{
    Channel, Counterparty as ChanCounterparty, MsgChannelOpenAck, MsgChannelOpenConfirm,
    MsgChannelOpenInit, MsgChannelOpenTry, Order, State as ChanState,
};
use ibc_proto::ibc::core::client::v1::Height;
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1::{
    Counterparty as ConnCounterparty, MsgConnectionOpenAck, MsgConnectionOpenConfirm,
    MsgConnectionOpenInit, MsgConnectionOpenTry, Version,
};
use prost::Message;

use crate::chain::{Any, Chain};
use crate::client::{self, tx_any};

/// Both chains' commitment prefix (the IBC store's name).
pub const PREFIX: &[u8] = b"ibc";

/// ICS-03's one version: identifier `1`, both orderings.
pub fn connection_version() -> Version {
    Version {
        identifier: "1".into(),
        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
    }
}

/// Proofs of `src`'s state after block `h`, valid at header `h + 1`.
pub struct Proven {
    pub height: Height,
    pub at: u64,
}

/// Brings `dst`'s client of `src` to a header past `src`'s latest block and returns the
/// height proofs are queried at (`at`) and proven at (`height` = `at + 1`), with the update.
pub async fn fresh_proof_height(
    src: &Chain,
    dst: &Chain,
    dst_client: &str,
) -> Result<(Proven, Option<Any>)> {
    let at = src.latest_height().await?;
    src.wait_for(at + 1).await?;
    let update = client::update_msg(dst, src, dst_client, at + 1).await?;
    Ok((
        Proven {
            height: src.height(at + 1),
            at,
        },
        update,
    ))
}

fn with_update(update: Option<Any>, msg: Any) -> Vec<Any> {
    update.into_iter().chain(std::iter::once(msg)).collect()
}

/// The client state `host` holds of its counterparty, its latest height, and proofs of both.
async fn client_proofs(
    host: &Chain,
    client_id: &str,
    at: u64,
) -> Result<(IbcAny, Vec<u8>, Vec<u8>, Height)> {
    let (cs_raw, proof_client) = host
        .query_proven(&format!("clients/{client_id}/clientState"), at)
        .await?;
    let cs_any = IbcAny::decode(cs_raw.as_slice())?;
    let cs =
        ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(cs_any.value.as_slice())?;
    let latest = cs.latest_height.unwrap_or_default();
    let (_, proof_consensus) = host
        .query_proven(
            &format!(
                "clients/{client_id}/consensusStates/{}-{}",
                latest.revision_number, latest.revision_height
            ),
            at,
        )
        .await?;
    Ok((cs_any, proof_client, proof_consensus, latest))
}

fn event_attr(r: &proof_sdk::rpc::TxResult, kind: &str, key: &str) -> Result<String> {
    r.event_attr(kind, key)
        .ok_or_else(|| anyhow!("no {kind}.{key} in transaction {}", r.hash))
}

/// Opens a connection between `a` (client `client_a` of `b`) and `b` (client `client_b` of
/// `a`); returns (connection on a, connection on b).
pub async fn open_connection(
    a: &Chain,
    b: &Chain,
    client_a: &str,
    client_b: &str,
) -> Result<(String, String)> {
    let init = MsgConnectionOpenInit {
        client_id: client_a.into(),
        counterparty: Some(ConnCounterparty {
            client_id: client_b.into(),
            connection_id: String::new(),
            prefix: Some(MerklePrefix {
                key_prefix: PREFIX.to_vec(),
            }),
        }),
        version: Some(connection_version()),
        delay_period: 0,
        signer: a.signer(),
    };
    let r = a
        .send(vec![tx_any(
            "/ibc.core.connection.v1.MsgConnectionOpenInit",
            &init,
        )])
        .await?;
    let conn_a = event_attr(&r, "connection_open_init", "connection_id")?;
    tracing::info!(chain = a.id(), connection = %conn_a, "connection open init");

    // Try on b: proofs of a's connection end and of a's client of b.
    let (p, update) = fresh_proof_height(a, b, client_b).await?;
    let (_, proof_init) = a
        .query_proven(&format!("connections/{conn_a}"), p.at)
        .await?;
    let (cs, proof_client, proof_consensus, consensus_height) =
        client_proofs(a, client_a, p.at).await?;
    #[allow(deprecated)]
    let try_msg = MsgConnectionOpenTry {
        client_id: client_b.into(),
        previous_connection_id: String::new(),
        client_state: Some(cs),
        counterparty: Some(ConnCounterparty {
            client_id: client_a.into(),
            connection_id: conn_a.clone(),
            prefix: Some(MerklePrefix {
                key_prefix: PREFIX.to_vec(),
            }),
        }),
        delay_period: 0,
        counterparty_versions: vec![connection_version()],
        proof_height: Some(p.height),
        proof_init,
        proof_client,
        proof_consensus,
        consensus_height: Some(consensus_height),
        signer: b.signer(),
        host_consensus_state_proof: Vec::new(),
    };
    let r = b
        .send(with_update(
            update,
            tx_any("/ibc.core.connection.v1.MsgConnectionOpenTry", &try_msg),
        ))
        .await?;
    let conn_b = event_attr(&r, "connection_open_try", "connection_id")?;
    tracing::info!(chain = b.id(), connection = %conn_b, "connection open try");

    // Ack on a: proofs of b's connection end and of b's client of a.
    let (p, update) = fresh_proof_height(b, a, client_a).await?;
    let (_, proof_try) = b
        .query_proven(&format!("connections/{conn_b}"), p.at)
        .await?;
    let (cs, proof_client, proof_consensus, consensus_height) =
        client_proofs(b, client_b, p.at).await?;
    let ack = MsgConnectionOpenAck {
        connection_id: conn_a.clone(),
        counterparty_connection_id: conn_b.clone(),
        version: Some(connection_version()),
        client_state: Some(cs),
        proof_height: Some(p.height),
        proof_try,
        proof_client,
        proof_consensus,
        consensus_height: Some(consensus_height),
        signer: a.signer(),
        host_consensus_state_proof: Vec::new(),
    };
    a.send(with_update(
        update,
        tx_any("/ibc.core.connection.v1.MsgConnectionOpenAck", &ack),
    ))
    .await?;

    // Confirm on b: proof of a's open connection end.
    let (p, update) = fresh_proof_height(a, b, client_b).await?;
    let (_, proof_ack) = a
        .query_proven(&format!("connections/{conn_a}"), p.at)
        .await?;
    let confirm = MsgConnectionOpenConfirm {
        connection_id: conn_b.clone(),
        proof_ack,
        proof_height: Some(p.height),
        signer: b.signer(),
    };
    b.send(with_update(
        update,
        tx_any("/ibc.core.connection.v1.MsgConnectionOpenConfirm", &confirm),
    ))
    .await?;
    tracing::info!(a = %conn_a, b = %conn_b, "connection open");
    Ok((conn_a, conn_b))
}

/// The sides of a channel to open.
pub struct ChannelEnds<'a> {
    pub client_a: &'a str,
    pub client_b: &'a str,
    pub conn_a: &'a str,
    pub conn_b: &'a str,
    pub port_a: &'a str,
    pub port_b: &'a str,
    pub ordered: bool,
    pub version: &'a str,
}

/// Opens a channel over an open connection; returns (channel on a, channel on b).
pub async fn open_channel(a: &Chain, b: &Chain, e: &ChannelEnds<'_>) -> Result<(String, String)> {
    let ordering = if e.ordered {
        Order::Ordered
    } else {
        Order::Unordered
    } as i32;
    let init = MsgChannelOpenInit {
        port_id: e.port_a.into(),
        channel: Some(Channel {
            state: ChanState::Init as i32,
            ordering,
            counterparty: Some(ChanCounterparty {
                port_id: e.port_b.into(),
                channel_id: String::new(),
            }),
            connection_hops: vec![e.conn_a.into()],
            version: e.version.into(),
            upgrade_sequence: 0,
        }),
        signer: a.signer(),
    };
    let r = a
        .send(vec![tx_any(
            "/ibc.core.channel.v1.MsgChannelOpenInit",
            &init,
        )])
        .await?;
    let chan_a = event_attr(&r, "channel_open_init", "channel_id")?;
    tracing::info!(chain = a.id(), channel = %chan_a, "channel open init");

    let (p, update) = fresh_proof_height(a, b, e.client_b).await?;
    let (_, proof_init) = a
        .query_proven(
            &format!("channelEnds/ports/{}/channels/{chan_a}", e.port_a),
            p.at,
        )
        .await?;
    #[allow(deprecated)]
    let try_msg = MsgChannelOpenTry {
        port_id: e.port_b.into(),
        previous_channel_id: String::new(),
        channel: Some(Channel {
            state: ChanState::Tryopen as i32,
            ordering,
            counterparty: Some(ChanCounterparty {
                port_id: e.port_a.into(),
                channel_id: chan_a.clone(),
            }),
            connection_hops: vec![e.conn_b.into()],
            version: e.version.into(),
            upgrade_sequence: 0,
        }),
        counterparty_version: e.version.into(),
        proof_init,
        proof_height: Some(p.height),
        signer: b.signer(),
    };
    let r = b
        .send(with_update(
            update,
            tx_any("/ibc.core.channel.v1.MsgChannelOpenTry", &try_msg),
        ))
        .await?;
    let chan_b = event_attr(&r, "channel_open_try", "channel_id")?;
    tracing::info!(chain = b.id(), channel = %chan_b, "channel open try");

    let (p, update) = fresh_proof_height(b, a, e.client_a).await?;
    let (_, proof_try) = b
        .query_proven(
            &format!("channelEnds/ports/{}/channels/{chan_b}", e.port_b),
            p.at,
        )
        .await?;
    let ack = MsgChannelOpenAck {
        port_id: e.port_a.into(),
        channel_id: chan_a.clone(),
        counterparty_channel_id: chan_b.clone(),
        counterparty_version: e.version.into(),
        proof_try,
        proof_height: Some(p.height),
        signer: a.signer(),
    };
    a.send(with_update(
        update,
        tx_any("/ibc.core.channel.v1.MsgChannelOpenAck", &ack),
    ))
    .await?;

    let (p, update) = fresh_proof_height(a, b, e.client_b).await?;
    let (_, proof_ack) = a
        .query_proven(
            &format!("channelEnds/ports/{}/channels/{chan_a}", e.port_a),
            p.at,
        )
        .await?;
    let confirm = MsgChannelOpenConfirm {
        port_id: e.port_b.into(),
        channel_id: chan_b.clone(),
        proof_ack,
        proof_height: Some(p.height),
        signer: b.signer(),
    };
    b.send(with_update(
        update,
        tx_any("/ibc.core.channel.v1.MsgChannelOpenConfirm", &confirm),
    ))
    .await?;
    tracing::info!(a = %chan_a, b = %chan_b, "channel open");
    Ok((chan_a, chan_b))
}
