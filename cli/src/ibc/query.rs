//! `proof query ibc ...`: clients, connections, channels, and ICS-20 voucher traces.

use anyhow::Result;
use clap::Subcommand;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;
use prost::Message;
use serde_json::json;

use crate::output::{fields, table};
use crate::Ctx;

#[derive(Subcommand)]
pub enum IbcQuery {
    /// The light clients this chain holds (one page)
    Clients,
    /// The connections (one page)
    Connections,
    /// The channels (one page)
    Channels,
    /// What a voucher denom ibc/<HASH> stands for
    DenomTrace { hash: String },
    /// The account a channel's escrowed native coins sit in
    EscrowAddress {
        channel: String,
        #[arg(long, default_value = "transfer")]
        port: String,
    },
}

const STATES: [&str; 5] = ["UNINITIALIZED", "INIT", "TRYOPEN", "OPEN", "CLOSED"];

fn state(s: i32) -> String {
    STATES.get(s as usize).copied().unwrap_or("?").to_string()
}

pub async fn run(ctx: &Ctx, cmd: IbcQuery) -> Result<()> {
    let rpc = ctx.rpc()?;
    match cmd {
        IbcQuery::Clients => {
            let r: client::QueryClientStatesResponse = rpc
                .grpc_query(
                    "/ibc.core.client.v1.Query/ClientStates",
                    &client::QueryClientStatesRequest::default(),
                    None,
                )
                .await?;
            let rows: Vec<Vec<String>> = r
                .client_states
                .iter()
                .map(|c| {
                    let tm = c.client_state.as_ref().and_then(|a| {
                        ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(
                            a.value.as_slice(),
                        )
                        .ok()
                    });
                    let (chain, h) = tm.map_or((String::new(), String::new()), |t| {
                        let h = t.latest_height.unwrap_or_default();
                        (
                            t.chain_id,
                            format!("{}-{}", h.revision_number, h.revision_height),
                        )
                    });
                    vec![c.client_id.clone(), chain, h]
                })
                .collect();
            let js: Vec<_> = rows
                .iter()
                .map(|r| json!({"client_id": r[0], "chain_id": r[1], "latest_height": r[2]}))
                .collect();
            ctx.output.emit(&json!(js), || {
                table(&["CLIENT", "CHAIN", "LATEST HEIGHT"], &rows)
            });
        }
        IbcQuery::Connections => {
            let r: connection::QueryConnectionsResponse = rpc
                .grpc_query(
                    "/ibc.core.connection.v1.Query/Connections",
                    &connection::QueryConnectionsRequest::default(),
                    None,
                )
                .await?;
            let rows: Vec<Vec<String>> = r
                .connections
                .iter()
                .map(|c| {
                    let cp = c.counterparty.clone().unwrap_or_default();
                    vec![
                        c.id.clone(),
                        c.client_id.clone(),
                        state(c.state),
                        cp.connection_id,
                        cp.client_id,
                    ]
                })
                .collect();
            let js: Vec<_> = rows
                .iter()
                .map(|r| json!({"connection_id": r[0], "client_id": r[1], "state": r[2], "counterparty_connection_id": r[3], "counterparty_client_id": r[4]}))
                .collect();
            ctx.output.emit(&json!(js), || {
                table(
                    &[
                        "CONNECTION",
                        "CLIENT",
                        "STATE",
                        "COUNTERPARTY",
                        "COUNTERPARTY CLIENT",
                    ],
                    &rows,
                )
            });
        }
        IbcQuery::Channels => {
            let r: channel::QueryChannelsResponse = rpc
                .grpc_query(
                    "/ibc.core.channel.v1.Query/Channels",
                    &channel::QueryChannelsRequest::default(),
                    None,
                )
                .await?;
            let rows: Vec<Vec<String>> = r
                .channels
                .iter()
                .map(|c| {
                    let cp = c.counterparty.clone().unwrap_or_default();
                    vec![
                        c.port_id.clone(),
                        c.channel_id.clone(),
                        state(c.state),
                        c.connection_hops.join(","),
                        format!("{}/{}", cp.port_id, cp.channel_id),
                        c.version.clone(),
                    ]
                })
                .collect();
            let js: Vec<_> = rows
                .iter()
                .map(|r| json!({"port_id": r[0], "channel_id": r[1], "state": r[2], "connection_hops": r[3], "counterparty": r[4], "version": r[5]}))
                .collect();
            ctx.output.emit(&json!(js), || {
                table(
                    &[
                        "PORT",
                        "CHANNEL",
                        "STATE",
                        "CONNECTION",
                        "COUNTERPARTY",
                        "VERSION",
                    ],
                    &rows,
                )
            });
        }
        IbcQuery::DenomTrace { hash } => {
            let r: transfer::QueryDenomTraceResponse = rpc
                .grpc_query(
                    "/ibc.applications.transfer.v1.Query/DenomTrace",
                    &transfer::QueryDenomTraceRequest {
                        hash: hash.trim_start_matches("ibc/").to_string(),
                    },
                    None,
                )
                .await?;
            let t = r.denom_trace.unwrap_or_default();
            ctx.output
                .emit(&json!({"path": t.path, "base_denom": t.base_denom}), || {
                    fields(&[
                        ("path", t.path.clone()),
                        ("base denom", t.base_denom.clone()),
                    ])
                });
        }
        IbcQuery::EscrowAddress { channel, port } => {
            let r: transfer::QueryEscrowAddressResponse = rpc
                .grpc_query(
                    "/ibc.applications.transfer.v1.Query/EscrowAddress",
                    &transfer::QueryEscrowAddressRequest {
                        port_id: port,
                        channel_id: channel,
                    },
                    None,
                )
                .await?;
            ctx.output
                .emit(&json!({"escrow_address": r.escrow_address}), || {
                    r.escrow_address.clone()
                });
        }
    }
    Ok(())
}
