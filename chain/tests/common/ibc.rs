//! What the IBC end-to-end tests (`ibc_localnet`, `hermes_localnet`) share: the bank and ICS-20
//! queries they check conservation with, a user's MsgTransfer, and the voucher denom.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
};
use cosmos_sdk_proto::Any;
use ibc_proto::ibc::applications::transfer::v1::{
    MsgTransfer, QueryDenomTraceRequest, QueryDenomTraceResponse, QueryEscrowAddressRequest,
    QueryEscrowAddressResponse,
};
use ibc_proto::ibc::core::channel::v1::{
    QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse,
};
use ibc_proto::ibc::core::client::v1::Height;
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use prost::Message;
use sha2::{Digest, Sha256};

/// The gas a user's MsgTransfer is sent with.
pub const TRANSFER_GAS: u64 = 400_000;

pub async fn balance_of(rpc: &RpcClient, addr: &Address, denom: &str) -> u128 {
    let r: QueryBalanceResponse = rpc
        .grpc_query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.to_string(),
                denom: denom.into(),
            },
            None,
        )
        .await
        .unwrap();
    r.balance.map_or(0, |c| c.amount.parse().unwrap())
}

pub async fn supply_of(rpc: &RpcClient, denom: &str) -> u128 {
    let r: QuerySupplyOfResponse = rpc
        .grpc_query(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            &QuerySupplyOfRequest {
                denom: denom.into(),
            },
            None,
        )
        .await
        .unwrap();
    r.amount.map_or(0, |c| c.amount.parse().unwrap())
}

/// The ICS-20 escrow account of `channel` on port `transfer`.
pub async fn escrow(rpc: &RpcClient, channel: &str) -> Address {
    let r: QueryEscrowAddressResponse = rpc
        .grpc_query(
            "/ibc.applications.transfer.v1.Query/EscrowAddress",
            &QueryEscrowAddressRequest {
                port_id: "transfer".into(),
                channel_id: channel.into(),
            },
            None,
        )
        .await
        .unwrap();
    r.escrow_address.parse().unwrap()
}

/// The (path, base denom) the chain answers for the voucher `ibc/<hash>`.
pub async fn denom_trace(rpc: &RpcClient, voucher: &str) -> (String, String) {
    let r: QueryDenomTraceResponse = rpc
        .grpc_query(
            "/ibc.applications.transfer.v1.Query/DenomTrace",
            &QueryDenomTraceRequest {
                hash: voucher.trim_start_matches("ibc/").into(),
            },
            None,
        )
        .await
        .unwrap();
    let t = r.denom_trace.expect("a denom trace");
    (t.path, t.base_denom)
}

/// How many packets `channel` (port `transfer`) has sent whose acknowledgement or timeout has
/// not come back yet.
pub async fn commitments(rpc: &RpcClient, channel: &str) -> usize {
    let r: QueryPacketCommitmentsResponse = rpc
        .grpc_query(
            "/ibc.core.channel.v1.Query/PacketCommitments",
            &QueryPacketCommitmentsRequest {
                port_id: "transfer".into(),
                channel_id: channel.into(),
                pagination: None,
            },
            None,
        )
        .await
        .unwrap();
    r.commitments.len()
}

/// A MsgTransfer of `amount` `denom` from `from` on `channel` to `to`, which times out at
/// `timeout` = (revision, height) of the receiving chain.
pub fn transfer(
    from: &Address,
    to: &Address,
    channel: &str,
    denom: &str,
    amount: u128,
    timeout: (u64, u64),
) -> Any {
    Any {
        type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
        value: MsgTransfer {
            source_port: "transfer".into(),
            source_channel: channel.into(),
            token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                denom: denom.into(),
                amount: amount.to_string(),
            }),
            sender: from.to_string(),
            receiver: to.to_string(),
            timeout_height: Some(Height {
                revision_number: timeout.0,
                revision_height: timeout.1,
            }),
            timeout_timestamp: 0,
            memo: String::new(),
        }
        .encode_to_vec(),
    }
}

/// The voucher denom ICS-20 mints for `trace` (`transfer/<channel>/<base>`).
pub fn voucher(trace: &str) -> String {
    format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(trace.as_bytes()))
    )
}

/// Polls `cond` every 300 ms until it holds; fails after 90 s, naming `what`.
pub async fn wait_until<F, Fut>(what: &str, cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    wait_until_or_show(what, None, cond).await
}

/// `wait_until`, and a failure shows the last 60 lines of `log` (the relayer's, say).
pub async fn wait_until_or_show<F, Fut>(what: &str, log: Option<&std::path::Path>, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !cond().await {
        if start.elapsed() > Duration::from_secs(90) {
            let text = log
                .map(|l| std::fs::read_to_string(l).unwrap_or_default())
                .unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            panic!(
                "timed out: {what}\n{}",
                lines[lines.len().saturating_sub(60)..].join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
