//! `ibc.core.{client,connection,channel}.v1.Query` and `ibc.applications.transfer.v1.Query`,
//! read from the `ibc` substore. Answers carry no proof: a relayer that needs one asks
//! `store/ibc/key` with `prove`, which returns both ICS-23 steps.

use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc_proto::google::protobuf::Any as IbcAny;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::client::v1::Height as RawHeight;
use ibc_proto::ibc::core::connection::v1 as connection;
use prost::Message;

use super::keys;
use super::transfer::{escrow_address, voucher_denom};
use crate::query::paging::page;
use crate::query::{decode, QueryError};
use crate::state::StateRead;

fn get(
    view: &dyn StateRead,
    key: &[u8],
    what: impl FnOnce() -> String,
) -> Result<Vec<u8>, QueryError> {
    view.get_raw(key)?
        .ok_or_else(|| QueryError::NotFound(what()))
}

fn any(raw: &[u8]) -> Result<IbcAny, QueryError> {
    IbcAny::decode(raw).map_err(|e| QueryError::Internal(format!("stored Any: {e}")))
}

fn proto<M: Message + Default>(raw: &[u8]) -> Result<M, QueryError> {
    M::decode(raw).map_err(|e| QueryError::Internal(format!("stored record: {e}")))
}

fn u64_at(view: &dyn StateRead, key: &[u8]) -> Result<Option<u64>, QueryError> {
    view.get_raw(key)?
        .map(|b| {
            b.as_slice()
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| QueryError::Internal("stored sequence".into()))
        })
        .transpose()
}

/// The SDK's pager over the ibc-proto page types (the same protobuf as cosmos-sdk-proto's).
fn paged<T>(
    view: &dyn StateRead,
    prefix: &[u8],
    req: Option<PageRequest>,
    item: impl FnMut(&[u8], Vec<u8>) -> Result<Option<T>, QueryError>,
) -> Result<(Vec<T>, Option<PageResponse>), QueryError> {
    let req = req
        .map(|r| {
            cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest::decode(
                r.encode_to_vec().as_slice(),
            )
        })
        .transpose()
        .map_err(|e| QueryError::InvalidArgument(e.to_string()))?;
    let (items, resp) = page(view, prefix, req, item)?;
    let resp = resp
        .map(|r| PageResponse::decode(r.encode_to_vec().as_slice()))
        .transpose()
        .map_err(|e| QueryError::Internal(e.to_string()))?;
    Ok((items, resp))
}

fn packet_path(kind: &str, port: &str, chan: &str, seq: u64) -> Vec<u8> {
    format!("ibc/{kind}/ports/{port}/channels/{chan}/sequences/{seq}").into_bytes()
}

/// Answers the module's query paths at `height` (the state read, which listings report as
/// ibc-go's do); `None` if `path` is not one of them.
pub fn answer(
    view: &dyn StateRead,
    path: &str,
    data: &[u8],
    revision: u64,
    height: u64,
) -> Result<Option<Vec<u8>>, QueryError> {
    let at = Some(RawHeight {
        revision_number: revision,
        revision_height: height,
    });
    Ok(Some(match path {
        "/ibc.core.client.v1.Query/ClientState" => {
            let r: client::QueryClientStateRequest = decode(data)?;
            let raw = get(
                view,
                format!("ibc/clients/{}/clientState", r.client_id).as_bytes(),
                || format!("client {} not found", r.client_id),
            )?;
            client::QueryClientStateResponse {
                client_state: Some(any(&raw)?),
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.client.v1.Query/ClientStates" => {
            let r: client::QueryClientStatesRequest = decode(data)?;
            let (client_states, pagination) =
                paged(view, keys::CLIENT_IDS.as_bytes(), r.pagination, |k, _| {
                    let id = String::from_utf8_lossy(k).into_owned();
                    let raw = get(
                        view,
                        format!("ibc/clients/{id}/clientState").as_bytes(),
                        || format!("client {id} has no state"),
                    )?;
                    Ok(Some(client::IdentifiedClientState {
                        client_id: id,
                        client_state: Some(any(&raw)?),
                    }))
                })?;
            client::QueryClientStatesResponse {
                client_states,
                pagination,
            }
            .encode_to_vec()
        }
        "/ibc.core.client.v1.Query/ConsensusState" => {
            let r: client::QueryConsensusStateRequest = decode(data)?;
            let (rev, h) = if r.latest_height {
                let cs = get(
                    view,
                    format!("ibc/clients/{}/clientState", r.client_id).as_bytes(),
                    || format!("client {} not found", r.client_id),
                )?;
                let tm: ibc_proto::ibc::lightclients::tendermint::v1::ClientState =
                    proto(&any(&cs)?.value)?;
                let lh = tm.latest_height.unwrap_or_default();
                (lh.revision_number, lh.revision_height)
            } else {
                (r.revision_number, r.revision_height)
            };
            let raw = get(
                view,
                format!("ibc/clients/{}/consensusStates/{rev}-{h}", r.client_id).as_bytes(),
                || format!("consensus state of {} at {rev}-{h} not found", r.client_id),
            )?;
            client::QueryConsensusStateResponse {
                consensus_state: Some(any(&raw)?),
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.client.v1.Query/ConsensusStateHeights" => {
            let r: client::QueryConsensusStateHeightsRequest = decode(data)?;
            let prefix = keys::consensus_heights(&r.client_id);
            let (consensus_state_heights, pagination) =
                paged(view, &prefix, r.pagination, |k, _| {
                    Ok((k.len() == 16).then(|| RawHeight {
                        revision_number: u64::from_be_bytes(k[..8].try_into().expect("8 bytes")),
                        revision_height: u64::from_be_bytes(k[8..].try_into().expect("8 bytes")),
                    }))
                })?;
            client::QueryConsensusStateHeightsResponse {
                consensus_state_heights,
                pagination,
            }
            .encode_to_vec()
        }
        "/ibc.core.client.v1.Query/ClientStatus" => {
            let r: client::QueryClientStatusRequest = decode(data)?;
            let raw = get(
                view,
                format!("ibc/clients/{}/clientState", r.client_id).as_bytes(),
                || format!("client {} not found", r.client_id),
            )?;
            let tm: ibc_proto::ibc::lightclients::tendermint::v1::ClientState =
                proto(&any(&raw)?.value)?;
            let frozen = tm
                .frozen_height
                .is_some_and(|h| h.revision_height > 0 || h.revision_number > 0);
            client::QueryClientStatusResponse {
                status: if frozen { "Frozen" } else { "Active" }.into(),
            }
            .encode_to_vec()
        }
        // ibc-go's module parameters, fixed here: 07-tendermint is the only client type, and
        // a connection's delay in blocks is its time delay over 30 s a block.
        "/ibc.core.connection.v1.Query/ConnectionParams" => {
            connection::QueryConnectionParamsResponse {
                params: Some(connection::Params {
                    max_expected_time_per_block: super::host::MAX_EXPECTED_TIME_PER_BLOCK.as_nanos()
                        as u64,
                }),
            }
            .encode_to_vec()
        }
        "/ibc.core.client.v1.Query/ClientParams" => client::QueryClientParamsResponse {
            params: Some(client::Params {
                allowed_clients: vec!["07-tendermint".into()],
            }),
        }
        .encode_to_vec(),
        "/ibc.core.connection.v1.Query/Connection" => {
            let r: connection::QueryConnectionRequest = decode(data)?;
            let raw = get(
                view,
                format!("ibc/connections/{}", r.connection_id).as_bytes(),
                || format!("connection {} not found", r.connection_id),
            )?;
            connection::QueryConnectionResponse {
                connection: Some(proto(&raw)?),
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.connection.v1.Query/Connections" => {
            let r: connection::QueryConnectionsRequest = decode(data)?;
            let (connections, pagination) =
                paged(view, b"ibc/connections/", r.pagination, |k, v| {
                    let end: connection::ConnectionEnd = proto(&v)?;
                    Ok(Some(connection::IdentifiedConnection {
                        id: String::from_utf8_lossy(k).into_owned(),
                        client_id: end.client_id,
                        versions: end.versions,
                        state: end.state,
                        counterparty: end.counterparty,
                        delay_period: end.delay_period,
                    }))
                })?;
            connection::QueryConnectionsResponse {
                connections,
                pagination,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.connection.v1.Query/ClientConnections" => {
            let r: connection::QueryClientConnectionsRequest = decode(data)?;
            let paths = match view
                .get_raw(format!("ibc/clients/{}/connections", r.client_id).as_bytes())?
            {
                Some(raw) => proto::<connection::ClientPaths>(&raw)?.paths,
                None => Vec::new(),
            };
            connection::QueryClientConnectionsResponse {
                connection_paths: paths,
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/Channel" => {
            let r: channel::QueryChannelRequest = decode(data)?;
            let raw = get(
                view,
                format!(
                    "ibc/channelEnds/ports/{}/channels/{}",
                    r.port_id, r.channel_id
                )
                .as_bytes(),
                || format!("channel {} on port {} not found", r.channel_id, r.port_id),
            )?;
            channel::QueryChannelResponse {
                channel: Some(proto(&raw)?),
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/Channels" => {
            let r: channel::QueryChannelsRequest = decode(data)?;
            let (channels, pagination) =
                paged(view, b"ibc/channelEnds/ports/", r.pagination, |k, v| {
                    Ok(identified(k, proto(&v)?))
                })?;
            channel::QueryChannelsResponse {
                channels,
                pagination,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/ConnectionChannels" => {
            let r: channel::QueryConnectionChannelsRequest = decode(data)?;
            let (channels, pagination) =
                paged(view, b"ibc/channelEnds/ports/", r.pagination, |k, v| {
                    let end: channel::Channel = proto(&v)?;
                    if end.connection_hops.first() != Some(&r.connection) {
                        return Ok(None);
                    }
                    Ok(identified(k, end))
                })?;
            channel::QueryConnectionChannelsResponse {
                channels,
                pagination,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/ChannelClientState" => {
            let r: channel::QueryChannelClientStateRequest = decode(data)?;
            let raw = get(
                view,
                format!(
                    "ibc/channelEnds/ports/{}/channels/{}",
                    r.port_id, r.channel_id
                )
                .as_bytes(),
                || format!("channel {} on port {} not found", r.channel_id, r.port_id),
            )?;
            let end: channel::Channel = proto(&raw)?;
            let conn_id = end.connection_hops.first().cloned().unwrap_or_default();
            let conn: connection::ConnectionEnd = proto(&get(
                view,
                format!("ibc/connections/{conn_id}").as_bytes(),
                || format!("connection {conn_id} not found"),
            )?)?;
            let cs = get(
                view,
                format!("ibc/clients/{}/clientState", conn.client_id).as_bytes(),
                || format!("client {} not found", conn.client_id),
            )?;
            channel::QueryChannelClientStateResponse {
                identified_client_state: Some(client::IdentifiedClientState {
                    client_id: conn.client_id,
                    client_state: Some(any(&cs)?),
                }),
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/PacketCommitment" => {
            let r: channel::QueryPacketCommitmentRequest = decode(data)?;
            let raw = get(
                view,
                &packet_path("commitments", &r.port_id, &r.channel_id, r.sequence),
                || format!("packet commitment {} not found", r.sequence),
            )?;
            channel::QueryPacketCommitmentResponse {
                commitment: raw,
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/PacketCommitments" => {
            let r: channel::QueryPacketCommitmentsRequest = decode(data)?;
            let prefix = format!(
                "ibc/commitments/ports/{}/channels/{}/sequences/",
                r.port_id, r.channel_id
            );
            let (commitments, pagination) =
                paged(view, prefix.as_bytes(), r.pagination, |k, v| {
                    let sequence = String::from_utf8_lossy(k).parse().unwrap_or(0);
                    Ok(Some(channel::PacketState {
                        port_id: r.port_id.clone(),
                        channel_id: r.channel_id.clone(),
                        sequence,
                        data: v,
                    }))
                })?;
            channel::QueryPacketCommitmentsResponse {
                commitments,
                pagination,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/PacketAcknowledgements" => {
            let r: channel::QueryPacketAcknowledgementsRequest = decode(data)?;
            let (port, chan) = (r.port_id.clone(), r.channel_id.clone());
            let acknowledgements = if r.packet_commitment_sequences.is_empty() {
                let prefix = format!("ibc/acks/ports/{port}/channels/{chan}/sequences/");
                let (acks, pagination) = paged(view, prefix.as_bytes(), r.pagination, |k, v| {
                    Ok(Some(channel::PacketState {
                        port_id: port.clone(),
                        channel_id: chan.clone(),
                        sequence: String::from_utf8_lossy(k).parse().unwrap_or(0),
                        data: v,
                    }))
                })?;
                return Ok(Some(
                    channel::QueryPacketAcknowledgementsResponse {
                        acknowledgements: acks,
                        pagination,
                        height: at,
                    }
                    .encode_to_vec(),
                ));
            } else {
                bounded(r.packet_commitment_sequences.len())?;
                let mut out = Vec::new();
                for s in r.packet_commitment_sequences {
                    if let Some(v) = view.get_raw(&packet_path("acks", &port, &chan, s))? {
                        out.push(channel::PacketState {
                            port_id: port.clone(),
                            channel_id: chan.clone(),
                            sequence: s,
                            data: v,
                        });
                    }
                }
                out
            };
            channel::QueryPacketAcknowledgementsResponse {
                acknowledgements,
                pagination: None,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/PacketReceipt" => {
            let r: channel::QueryPacketReceiptRequest = decode(data)?;
            let received = view
                .get_raw(&packet_path(
                    "receipts",
                    &r.port_id,
                    &r.channel_id,
                    r.sequence,
                ))?
                .is_some();
            channel::QueryPacketReceiptResponse {
                received,
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/PacketAcknowledgement" => {
            let r: channel::QueryPacketAcknowledgementRequest = decode(data)?;
            let raw = get(
                view,
                &packet_path("acks", &r.port_id, &r.channel_id, r.sequence),
                || format!("packet acknowledgement {} not found", r.sequence),
            )?;
            channel::QueryPacketAcknowledgementResponse {
                acknowledgement: raw,
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/UnreceivedPackets" => {
            let r: channel::QueryUnreceivedPacketsRequest = decode(data)?;
            bounded(r.packet_commitment_sequences.len())?;
            let mut sequences = Vec::new();
            for s in r.packet_commitment_sequences {
                if view
                    .get_raw(&packet_path("receipts", &r.port_id, &r.channel_id, s))?
                    .is_none()
                {
                    sequences.push(s);
                }
            }
            channel::QueryUnreceivedPacketsResponse {
                sequences,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/UnreceivedAcks" => {
            let r: channel::QueryUnreceivedAcksRequest = decode(data)?;
            bounded(r.packet_ack_sequences.len())?;
            let mut sequences = Vec::new();
            for s in r.packet_ack_sequences {
                // An ack is unreceived while our commitment to the packet is still there.
                if view
                    .get_raw(&packet_path("commitments", &r.port_id, &r.channel_id, s))?
                    .is_some()
                {
                    sequences.push(s);
                }
            }
            channel::QueryUnreceivedAcksResponse {
                sequences,
                height: at,
            }
            .encode_to_vec()
        }
        "/ibc.core.channel.v1.Query/NextSequenceReceive" => {
            let r: channel::QueryNextSequenceReceiveRequest = decode(data)?;
            let key = format!(
                "ibc/nextSequenceRecv/ports/{}/channels/{}",
                r.port_id, r.channel_id
            );
            let next = u64_at(view, key.as_bytes())?.ok_or_else(|| {
                QueryError::NotFound(format!(
                    "channel {} on port {} not found",
                    r.channel_id, r.port_id
                ))
            })?;
            channel::QueryNextSequenceReceiveResponse {
                next_sequence_receive: next,
                proof: Vec::new(),
                proof_height: None,
            }
            .encode_to_vec()
        }
        "/ibc.applications.transfer.v1.Query/DenomTrace" => {
            let r: transfer::QueryDenomTraceRequest = decode(data)?;
            let hash = r.hash.trim_start_matches("ibc/").to_ascii_uppercase();
            let raw = get(view, &keys::denom_trace(&hash), || {
                format!("denomination trace {hash} not found")
            })?;
            transfer::QueryDenomTraceResponse {
                denom_trace: Some(trace_of(&raw)),
            }
            .encode_to_vec()
        }
        "/ibc.applications.transfer.v1.Query/DenomTraces" => {
            let r: transfer::QueryDenomTracesRequest = decode(data)?;
            let (denom_traces, pagination) =
                paged(view, keys::DENOM_TRACES.as_bytes(), r.pagination, |_, v| {
                    Ok(Some(trace_of(&v)))
                })?;
            transfer::QueryDenomTracesResponse {
                denom_traces,
                pagination,
            }
            .encode_to_vec()
        }
        "/ibc.applications.transfer.v1.Query/DenomHash" => {
            let r: transfer::QueryDenomHashRequest = decode(data)?;
            transfer::QueryDenomHashResponse {
                hash: voucher_denom(&r.trace)
                    .trim_start_matches("ibc/")
                    .to_string(),
            }
            .encode_to_vec()
        }
        "/ibc.applications.transfer.v1.Query/EscrowAddress" => {
            let r: transfer::QueryEscrowAddressRequest = decode(data)?;
            let port = r
                .port_id
                .parse::<ibc::core::host::types::identifiers::PortId>()
                .map_err(|e| QueryError::InvalidArgument(format!("{e}")))?;
            let chan = r
                .channel_id
                .parse::<ibc::core::host::types::identifiers::ChannelId>()
                .map_err(|e| QueryError::InvalidArgument(format!("{e}")))?;
            transfer::QueryEscrowAddressResponse {
                escrow_address: escrow_address(&port, &chan).to_string(),
            }
            .encode_to_vec()
        }
        "/ibc.applications.transfer.v1.Query/TotalEscrowForDenom" => {
            let r: transfer::QueryTotalEscrowForDenomRequest = decode(data)?;
            let amount = match view.get_raw(&keys::total_escrow(&r.denom))? {
                Some(b) => u128::from_be_bytes(
                    b.as_slice()
                        .try_into()
                        .map_err(|_| QueryError::Internal("escrow total".into()))?,
                ),
                None => 0,
            };
            transfer::QueryTotalEscrowForDenomResponse {
                amount: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                    denom: r.denom,
                    amount: amount.to_string(),
                }),
            }
            .encode_to_vec()
        }
        _ => return Ok(None),
    }))
}

/// A channel end listed under `channelEnds/ports/` (`k` is `<port>/channels/<channel>`).
fn identified(k: &[u8], end: channel::Channel) -> Option<channel::IdentifiedChannel> {
    let k = String::from_utf8_lossy(k);
    let (port, chan) = k.split_once("/channels/")?;
    Some(channel::IdentifiedChannel {
        state: end.state,
        ordering: end.ordering,
        counterparty: end.counterparty,
        connection_hops: end.connection_hops,
        version: end.version,
        port_id: port.to_string(),
        channel_id: chan.to_string(),
        upgrade_sequence: end.upgrade_sequence,
    })
}

/// Sequence lists in one query are read one key each: at most a page's worth.
fn bounded(n: usize) -> Result<(), QueryError> {
    if n as u64 > crate::query::paging::MAX_LIMIT * 10 {
        return Err(QueryError::InvalidArgument(format!(
            "{n} sequences in one query; at most {}",
            crate::query::paging::MAX_LIMIT * 10
        )));
    }
    Ok(())
}

/// ibc-go's `DenomTrace` of a full denom path `port/channel/.../base`.
fn trace_of(raw: &[u8]) -> transfer::DenomTrace {
    let full = String::from_utf8_lossy(raw).into_owned();
    let denom: Result<ibc::apps::transfer::types::PrefixedDenom, _> = full.parse();
    match denom {
        Ok(d) => transfer::DenomTrace {
            path: d.trace_path.to_string(),
            base_denom: d.base_denom.to_string(),
        },
        Err(_) => transfer::DenomTrace {
            path: String::new(),
            base_denom: full,
        },
    }
}
