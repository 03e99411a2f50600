//! The Cosmos IBC messages (`/ibc.core.{client,connection,channel}.v1.Msg…` and
//! `/ibc.applications.transfer.v1.MsgTransfer`): decoded with ibc-rs's validation, run by
//! ibc-rs's handlers against this chain's state.

use cosmos_sdk_proto::Any;
use ibc::apps::transfer::handler::send_transfer;
use ibc::apps::transfer::types::msgs::transfer::MsgTransfer;
use ibc::core::channel::types::msgs::{ChannelMsg, PacketMsg};
use ibc::core::client::handler::recover_client;
use ibc::core::client::types::msgs::{ClientMsg, MsgRecoverClient};
use ibc::core::connection::types::msgs::ConnectionMsg;
use ibc::core::entrypoint::dispatch;
use ibc::core::handler::types::events::IbcEvent;
use ibc::core::handler::types::msgs::MsgEnvelope;
use ibc::primitives::Signer;
use ibc_proto::ibc::applications::transfer::v1::{
    MsgTransfer as RawMsgTransfer, MsgTransferResponse,
};
use proof_sdk::Address;
use prost::Message;
use tendermint::abci::Event;

use super::events::to_abci;
use super::host::{HostBlock, IbcHost};
use super::keys;
use super::router::IbcRouter;
use super::store::IbcState;
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::state::Metered;
use crate::tx::fields::parse_addr;
use crate::tx::{events, TxError};

pub const TRANSFER_TYPE_URL: &str = "/ibc.applications.transfer.v1.MsgTransfer";
pub const RECOVER_CLIENT_TYPE_URL: &str = "/ibc.core.client.v1.MsgRecoverClient";

/// Gas every IBC message pays on top of its state accesses (ibc-rs's decoding and checks).
const BASE_GAS: u64 = 5_000;
/// Gas per byte of a header or misbehaviour: verifying it checks a commit signature per ~110
/// bytes (about 900 gas a signature, the SDK's ed25519 verification cost is 590), plus hashing.
const CLIENT_MESSAGE_GAS_PER_BYTE: u64 = 8;

#[derive(Clone, Debug, PartialEq)]
pub enum IbcMsg {
    Core {
        type_url: String,
        msg: Box<MsgEnvelope>,
        signer: Address,
    },
    Transfer {
        raw: Box<RawMsgTransfer>,
        signer: Address,
    },
}

fn invalid(e: impl std::fmt::Display) -> TxError {
    TxError::Ibc(e.to_string())
}

// `MsgSubmitMisbehaviour` is deprecated in favour of `MsgUpdateClient`; both are accepted.
#[allow(deprecated)]
fn envelope_signer(m: &MsgEnvelope) -> &Signer {
    match m {
        MsgEnvelope::Client(c) => match c {
            ClientMsg::CreateClient(m) => &m.signer,
            ClientMsg::UpdateClient(m) => &m.signer,
            ClientMsg::Misbehaviour(m) => &m.signer,
            ClientMsg::UpgradeClient(m) => &m.signer,
            ClientMsg::RecoverClient(m) => &m.signer,
        },
        MsgEnvelope::Connection(c) => match c {
            ConnectionMsg::OpenInit(m) => &m.signer,
            ConnectionMsg::OpenTry(m) => &m.signer,
            ConnectionMsg::OpenAck(m) => &m.signer,
            ConnectionMsg::OpenConfirm(m) => &m.signer,
        },
        MsgEnvelope::Channel(c) => match c {
            ChannelMsg::OpenInit(m) => &m.signer,
            ChannelMsg::OpenTry(m) => &m.signer,
            ChannelMsg::OpenAck(m) => &m.signer,
            ChannelMsg::OpenConfirm(m) => &m.signer,
            ChannelMsg::CloseInit(m) => &m.signer,
            ChannelMsg::CloseConfirm(m) => &m.signer,
        },
        MsgEnvelope::Packet(p) => match p {
            PacketMsg::Recv(m) => &m.signer,
            PacketMsg::Ack(m) => &m.signer,
            PacketMsg::Timeout(m) => &m.signer,
            PacketMsg::TimeoutOnClose(m) => &m.signer,
        },
    }
}

impl IbcMsg {
    /// `MsgRecoverClient`, which only governance may send.
    pub fn is_recover_client(&self) -> bool {
        matches!(self, IbcMsg::Core { msg, .. } if matches!(**msg, MsgEnvelope::Client(ClientMsg::RecoverClient(_))))
    }
}

/// The `message.module` ibc-go gives each message.
fn module_name(m: &IbcMsg) -> &'static str {
    match m {
        IbcMsg::Core { msg, .. } => match **msg {
            MsgEnvelope::Client(_) => "ibc_client",
            MsgEnvelope::Connection(_) => "ibc_connection",
            MsgEnvelope::Channel(_) | MsgEnvelope::Packet(_) => "ibc_channel",
        },
        IbcMsg::Transfer { .. } => "transfer",
    }
}

/// The bytes of header verification a message asks for.
#[allow(deprecated)]
fn client_message_len(m: &MsgEnvelope) -> usize {
    match m {
        MsgEnvelope::Client(ClientMsg::UpdateClient(u)) => u.client_message.value.len(),
        MsgEnvelope::Client(ClientMsg::Misbehaviour(u)) => u.misbehaviour.value.len(),
        _ => 0,
    }
}

impl MsgHandler for IbcMsg {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        if any.type_url == TRANSFER_TYPE_URL {
            let raw = RawMsgTransfer::decode(any.value.as_slice())
                .map_err(|e| TxError::Decode(e.to_string()))?;
            // ibc-rs's own checks (identifiers, timeouts, the coin); a voucher `ibc/<HASH>`
            // is resolved to its trace when the message runs.
            MsgTransfer::try_from(raw.clone()).map_err(invalid)?;
            let signer = parse_addr(&raw.sender)?;
            return Ok(Some(IbcMsg::Transfer {
                raw: Box::new(raw),
                signer,
            }));
        }
        if !any.type_url.starts_with("/ibc.core.") {
            return Ok(None);
        }
        // ibc-rs's envelope leaves out recovery, which only governance sends.
        let envelope = if any.type_url == RECOVER_CLIENT_TYPE_URL {
            MsgEnvelope::Client(ClientMsg::RecoverClient(
                <MsgRecoverClient as ibc::primitives::proto::Protobuf<
                    ibc_proto::ibc::core::client::v1::MsgRecoverClient,
                >>::decode_vec(&any.value)
                .map_err(invalid)?,
            ))
        } else {
            MsgEnvelope::try_from(ibc::primitives::proto::Any {
                type_url: any.type_url.clone(),
                value: any.value.clone(),
            })
            .map_err(invalid)?
        };
        let signer = parse_addr(envelope_signer(&envelope).as_ref())?;
        if let MsgEnvelope::Client(ClientMsg::RecoverClient(_)) = envelope {
            if signer != crate::modules::gov::params::gov_account() {
                return Err(TxError::Unauthorized(
                    "only governance may recover a client".into(),
                ));
            }
        }
        Ok(Some(IbcMsg::Core {
            type_url: any.type_url.clone(),
            msg: Box::new(envelope),
            signer,
        }))
    }

    fn type_url(&self) -> String {
        match self {
            IbcMsg::Core { type_url, .. } => type_url.clone(),
            IbcMsg::Transfer { .. } => TRANSFER_TYPE_URL.to_string(),
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            IbcMsg::Core { signer, .. } | IbcMsg::Transfer { signer, .. } => vec![signer.clone()],
        }
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        ctx: &MsgCtx<'_, '_>,
        out: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        let unbonding = std::time::Duration::from_secs(
            crate::modules::staking::params::params(&kv.delta)?.unbonding_time_secs,
        );
        kv.gas.charge(BASE_GAS)?;
        let block = HostBlock::new(
            &ctx.wasm.chain_id,
            ctx.wasm.height,
            ctx.wasm.time_nanos,
            unbonding,
        )
        .ok_or_else(|| {
            TxError::Ibc(format!(
                "this chain's id {:?} is not a valid IBC chain id",
                ctx.wasm.chain_id
            ))
        })?;
        let st = IbcState::new(kv);
        let mut host = IbcHost::new(&st, &block);
        let mut router = IbcRouter::new(&st);
        let result = match self {
            IbcMsg::Core { msg, .. } => {
                let verify = client_message_len(msg) as u64 * CLIENT_MESSAGE_GAS_PER_BYTE;
                match (st.charge(verify), &**msg) {
                    (Err(e), _) => Err(invalid(e)),
                    // ibc-rs leaves recovery to the host: only a passed proposal sends it
                    // (`check_stateless` made sure of the signer).
                    (Ok(()), MsgEnvelope::Client(ClientMsg::RecoverClient(m))) => {
                        recover_client::validate(&host, m.clone())
                            .and_then(|()| recover_client::execute(&mut host, m.clone()))
                            .map_err(invalid)
                    }
                    (Ok(()), m) => dispatch(&mut host, &mut router, m.clone()).map_err(invalid),
                }
            }
            IbcMsg::Transfer { raw, .. } => resolve_voucher(&st, raw).and_then(|msg| {
                send_transfer(&mut host, &mut router.transfer, msg).map_err(invalid)
            }),
        };
        // Our own failure (out of gas, storage) outranks whatever ibc-rs made of it.
        if let Some(fault) = st.take_fault() {
            return Err(fault.into());
        }
        result?;
        let response = response(self, &host.events);
        out.push(events::message(
            &self.type_url(),
            &self.signers()[0],
            module_name(self),
            ctx.msg_index,
        ));
        out.extend(to_abci(host.events));
        Ok(response)
    }
}

/// A MsgTransfer of a voucher names it `ibc/<HASH>`; ibc-rs needs its full trace.
fn resolve_voucher(
    st: &IbcState<'_, '_, '_>,
    raw: &RawMsgTransfer,
) -> Result<MsgTransfer, TxError> {
    let mut raw = raw.clone();
    if let Some(coin) = raw.token.as_mut() {
        if let Some(hash) = coin.denom.strip_prefix("ibc/") {
            let trace = st
                .get(&keys::denom_trace(&hash.to_ascii_uppercase()))
                .map_err(invalid)?
                .ok_or_else(|| {
                    TxError::InvalidCoins(format!("no denom trace for {}", coin.denom))
                })?;
            coin.denom = String::from_utf8(trace)
                .map_err(|_| TxError::Ibc(format!("undecodable denom trace of {}", coin.denom)))?;
        }
    }
    MsgTransfer::try_from(raw).map_err(invalid)
}

/// The `Msg…Response`: ibc-go's type, with the fields relayers and wallets read.
fn response(msg: &IbcMsg, emitted: &[IbcEvent]) -> Any {
    let type_url = format!("{}Response", msg.type_url());
    let value = match msg {
        IbcMsg::Transfer { .. } => {
            let sequence = emitted
                .iter()
                .find_map(|e| match e {
                    IbcEvent::SendPacket(p) => Some(u64::from(*p.seq_on_a())),
                    _ => None,
                })
                .unwrap_or(0);
            MsgTransferResponse { sequence }.encode_to_vec()
        }
        // `ResponseResultType`: Success (2) for a receive, ack or timeout that did something,
        // Noop (1) for one already relayed (ibc-rs then emits nothing).
        IbcMsg::Core { msg, .. } if matches!(**msg, MsgEnvelope::Packet(_)) => {
            let acted = emitted.iter().any(|e| !matches!(e, IbcEvent::Message(_)));
            let result = if acted { 2 } else { 1 };
            ibc_proto::ibc::core::channel::v1::MsgRecvPacketResponse { result }.encode_to_vec()
        }
        IbcMsg::Core { msg, .. }
            if matches!(
                **msg,
                MsgEnvelope::Channel(ChannelMsg::OpenInit(_) | ChannelMsg::OpenTry(_))
            ) =>
        {
            let opened = emitted.iter().find_map(|e| match e {
                IbcEvent::OpenInitChannel(c) => {
                    Some((c.chan_id_on_a().to_string(), c.version_on_a().to_string()))
                }
                IbcEvent::OpenTryChannel(c) => {
                    Some((c.chan_id_on_b().to_string(), c.version_on_b().to_string()))
                }
                _ => None,
            });
            let (channel_id, version) = opened.unwrap_or_default();
            ibc_proto::ibc::core::channel::v1::MsgChannelOpenInitResponse {
                channel_id,
                version,
            }
            .encode_to_vec()
        }
        IbcMsg::Core { .. } => Vec::new(),
    };
    Any { type_url, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recover_from(signer: &Address) -> Any {
        Any {
            type_url: RECOVER_CLIENT_TYPE_URL.into(),
            value: ibc_proto::ibc::core::client::v1::MsgRecoverClient {
                subject_client_id: "07-tendermint-0".into(),
                substitute_client_id: "07-tendermint-1".into(),
                signer: signer.to_string(),
            }
            .encode_to_vec(),
        }
    }

    /// ibc-rs's envelope has no recovery message; ours decodes it, for governance only.
    #[test]
    fn only_governance_recovers_a_client() {
        let gov = crate::modules::gov::params::gov_account();
        let m = IbcMsg::check_stateless(&recover_from(&gov))
            .unwrap()
            .unwrap();
        assert!(m.is_recover_client());
        assert_eq!(m.signers(), vec![gov]);
        let someone = Address::module("someone");
        assert!(matches!(
            IbcMsg::check_stateless(&recover_from(&someone)),
            Err(TxError::Unauthorized(_))
        ));
    }
}
