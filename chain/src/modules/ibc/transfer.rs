//! ICS-20 fungible token transfer on port `transfer`, over the bank: native denoms are escrowed
//! in the channel's ADR-028 escrow account and released on the way back; tokens that arrive
//! from elsewhere are minted as vouchers `ibc/<SHA256(port/channel/.../base), upper hex>` and
//! burnt when they leave. Each voucher's trace is recorded the first time it is minted, so
//! `ibc/<HASH>` can be resolved (the DenomTrace queries, and a MsgTransfer that sends it).

use ibc::apps::transfer::context::{TokenTransferExecutionContext, TokenTransferValidationContext};
use ibc::apps::transfer::module as ics20;
use ibc::apps::transfer::types::error::TokenTransferError;
use ibc::apps::transfer::types::{Memo, PrefixedCoin, PrefixedDenom, PORT_ID_STR};
use ibc::core::channel::types::acknowledgement::Acknowledgement;
use ibc::core::channel::types::channel::{Counterparty, Order};
use ibc::core::channel::types::error::ChannelError;
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::Version;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId};
use ibc::core::router::module::Module;
use ibc::core::router::types::module::ModuleExtras;
use ibc::cosmos_host::utils::cosmos_adr028_escrow_address;
use ibc::primitives::Signer;
use proof_sdk::{Address, Coin};
use sha2::{Digest, Sha256};

use super::keys;
use super::store::IbcState;
use crate::modules::bank::{self, BankError};

/// The bank denom of an ICS-20 denom: native denoms as they are, others as their voucher.
pub fn bank_denom(d: &PrefixedDenom) -> String {
    if d.trace_path.is_empty() {
        d.base_denom.to_string()
    } else {
        voucher_denom(&d.to_string())
    }
}

/// `ibc/<HASH>` of a full denom path, as ibc-go names it.
pub fn voucher_denom(full_path: &str) -> String {
    format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(full_path.as_bytes()))
    )
}

/// The account a channel's escrowed native coins sit in (ADR-028, as ibc-go's).
pub fn escrow_address(port: &PortId, channel: &ChannelId) -> Address {
    Address::from_bytes(&cosmos_adr028_escrow_address(port, channel)).expect("20 bytes")
}

pub struct TransferCtx<'s, 'k, 'a, 'm> {
    pub st: &'s IbcState<'k, 'a, 'm>,
}

impl std::fmt::Debug for TransferCtx<'_, '_, '_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ics20-transfer")
    }
}

impl TransferCtx<'_, '_, '_, '_> {
    fn coin(&self, c: &PrefixedCoin) -> Result<Coin, HostError> {
        let amount: u128 =
            c.amount.to_string().parse().map_err(|_| {
                HostError::invalid_state(format!("amount {} exceeds u128", c.amount))
            })?;
        if amount == 0 {
            return Err(HostError::invalid_state("zero amount"));
        }
        Ok(Coin {
            denom: bank_denom(&c.denom),
            amount,
        })
    }

    /// A bank failure: a shortfall is the sender's error, anything else is ours.
    fn bank(&self, r: Result<(), BankError>) -> Result<(), HostError> {
        match r {
            Ok(()) => Ok(()),
            Err(BankError::State(e)) => Err(self.st.fail(e)),
            Err(e) => Err(HostError::invalid_state(e.to_string())),
        }
    }

    fn balance_covers(&self, who: &Address, coin: &Coin) -> Result<(), HostError> {
        let have = self
            .st
            .with_kv(|kv| bank::balance(kv, who, &coin.denom))
            .map_err(|e| self.st.fail(e))?;
        if have < coin.amount {
            return Err(HostError::invalid_state(format!(
                "insufficient funds: {who} has {have}{}, needs {}{}",
                coin.denom, coin.amount, coin.denom
            )));
        }
        Ok(())
    }

    fn escrow_total(&self, denom: &str) -> Result<u128, HostError> {
        Ok(match self.st.get(&keys::total_escrow(denom))? {
            Some(b) => u128::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| HostError::invalid_state("escrow total"))?,
            ),
            None => 0,
        })
    }

    fn set_escrow_total(&self, denom: &str, total: u128) -> Result<(), HostError> {
        let key = keys::total_escrow(denom);
        if total == 0 {
            self.st.delete(key)
        } else {
            self.st.put(key, total.to_be_bytes().to_vec())
        }
    }
}

fn account(signer: &Signer) -> Result<Address, HostError> {
    signer
        .as_ref()
        .parse::<Address>()
        .map_err(|e| HostError::invalid_state(format!("account {signer}: {e}")))
}

impl TokenTransferValidationContext for TransferCtx<'_, '_, '_, '_> {
    type AccountId = Address;

    fn sender_account(&self, sender: &Signer) -> Result<Address, HostError> {
        account(sender)
    }

    fn receiver_account(&self, receiver: &Signer) -> Result<Address, HostError> {
        account(receiver)
    }

    fn get_port(&self) -> Result<PortId, HostError> {
        Ok(PortId::transfer())
    }

    fn can_send_coins(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn can_receive_coins(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn escrow_coins_validate(
        &self,
        from: &Address,
        _port: &PortId,
        _channel: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.balance_covers(from, &self.coin(coin)?)
    }

    fn unescrow_coins_validate(
        &self,
        _to: &Address,
        port: &PortId,
        channel: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        self.balance_covers(&escrow_address(port, channel), &self.coin(coin)?)
    }

    fn mint_coins_validate(&self, _to: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        self.coin(coin).map(|_| ())
    }

    fn burn_coins_validate(
        &self,
        from: &Address,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.balance_covers(from, &self.coin(coin)?)
    }

    fn denom_hash_string(&self, denom: &PrefixedDenom) -> Option<String> {
        // ibc-go's `denomination_trace.trace_hash`: the bare hex.
        (!denom.trace_path.is_empty())
            .then(|| bank_denom(denom).trim_start_matches("ibc/").to_string())
    }
}

impl TokenTransferExecutionContext for TransferCtx<'_, '_, '_, '_> {
    fn escrow_coins_execute(
        &mut self,
        from: &Address,
        port: &PortId,
        channel: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let c = self.coin(coin)?;
        let escrow = escrow_address(port, channel);
        let r = self
            .st
            .with_kv(|kv| bank::send(kv, from, &escrow, std::slice::from_ref(&c)));
        self.bank(r)?;
        let total = self
            .escrow_total(&c.denom)?
            .checked_add(c.amount)
            .ok_or_else(|| HostError::invalid_state("escrow total overflow"))?;
        self.set_escrow_total(&c.denom, total)
    }

    fn unescrow_coins_execute(
        &mut self,
        to: &Address,
        port: &PortId,
        channel: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        let c = self.coin(coin)?;
        let escrow = escrow_address(port, channel);
        let r = self
            .st
            .with_kv(|kv| bank::send(kv, &escrow, to, std::slice::from_ref(&c)));
        self.bank(r)?;
        let total = self.escrow_total(&c.denom)?.saturating_sub(c.amount);
        self.set_escrow_total(&c.denom, total)
    }

    fn mint_coins_execute(&mut self, to: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        let c = self.coin(coin)?;
        let hash = c.denom.trim_start_matches("ibc/").to_string();
        let trace_key = keys::denom_trace(&hash);
        if self.st.get(&trace_key)?.is_none() {
            self.st
                .put(trace_key, coin.denom.to_string().into_bytes())?;
        }
        let r = self
            .st
            .with_kv(|kv| bank::mint(kv, to, std::slice::from_ref(&c)));
        self.bank(r)
    }

    fn burn_coins_execute(
        &mut self,
        from: &Address,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let c = self.coin(coin)?;
        let r = self
            .st
            .with_kv(|kv| bank::burn(kv, from, std::slice::from_ref(&c)));
        self.bank(r)
    }
}

fn app_err(e: TokenTransferError) -> ChannelError {
    ChannelError::AppSpecific {
        description: e.to_string(),
    }
}

/// The ICS-20 application as ibc-rs's router calls it.
impl Module for TransferCtx<'_, '_, '_, '_> {
    fn on_chan_open_init_validate(
        &self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        ics20::on_chan_open_init_validate(self, order, hops, port, channel, cp, version)
            .map_err(app_err)?;
        Ok(Version::new(
            ibc::apps::transfer::types::VERSION.to_string(),
        ))
    }

    fn on_chan_open_init_execute(
        &mut self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        ics20::on_chan_open_init_execute(self, order, hops, port, channel, cp, version)
            .map_err(app_err)
    }

    fn on_chan_open_try_validate(
        &self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        ics20::on_chan_open_try_validate(self, order, hops, port, channel, cp, version)
            .map_err(app_err)?;
        Ok(Version::new(
            ibc::apps::transfer::types::VERSION.to_string(),
        ))
    }

    fn on_chan_open_try_execute(
        &mut self,
        order: Order,
        hops: &[ConnectionId],
        port: &PortId,
        channel: &ChannelId,
        cp: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        ics20::on_chan_open_try_execute(self, order, hops, port, channel, cp, version)
            .map_err(app_err)
    }

    fn on_chan_open_ack_validate(
        &self,
        port: &PortId,
        channel: &ChannelId,
        version: &Version,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_open_ack_validate(self, port, channel, version).map_err(app_err)
    }

    fn on_chan_close_init_validate(
        &self,
        port: &PortId,
        channel: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_close_init_validate(self, port, channel).map_err(app_err)
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        // A failed receive answers with an error acknowledgement and must leave nothing
        // behind, as ibc-go's cached context does.
        let before = match self.st.snapshot() {
            Ok(b) => b,
            // Out of gas: the message fails with it (`IbcState::take_fault`).
            Err(e) => {
                let ack = ibc::core::channel::types::acknowledgement::AcknowledgementStatus::error(
                    TokenTransferError::from(e).into(),
                );
                return (ModuleExtras::empty(), Some(ack.into()));
            }
        };
        let (extras, ack) = ics20::on_recv_packet_execute(self, packet);
        if !ack_is_success(&ack) {
            self.st.restore(before);
        }
        (extras, Some(ack))
    }

    fn on_acknowledgement_packet_validate(
        &self,
        packet: &Packet,
        ack: &Acknowledgement,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        ics20::on_acknowledgement_packet_validate(self, packet, ack, relayer).map_err(app_err)
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        ack: &Acknowledgement,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (extras, r) = ics20::on_acknowledgement_packet_execute(self, packet, ack, relayer);
        (extras, r.map_err(app_err))
    }

    fn on_timeout_packet_validate(
        &self,
        packet: &Packet,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        ics20::on_timeout_packet_validate(self, packet, relayer).map_err(app_err)
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (extras, r) = ics20::on_timeout_packet_execute(self, packet, relayer);
        (extras, r.map_err(app_err))
    }
}

/// ICS-20's success acknowledgement is `{"result":"AQ=="}`.
fn ack_is_success(ack: &Acknowledgement) -> bool {
    serde_json::from_slice::<serde_json::Value>(ack.as_bytes())
        .ok()
        .and_then(|v| v.get("result").cloned())
        .is_some()
}

/// The port ICS-20 is bound to.
pub fn port() -> PortId {
    PortId::transfer()
}

pub const PORT: &str = PORT_ID_STR;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voucher_denoms_match_ibc_go() {
        // ATOM on Osmosis, through Osmosis' channel-0.
        assert_eq!(
            voucher_denom("transfer/channel-0/uatom"),
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        );
        let native: PrefixedDenom = "uxyz".parse().unwrap();
        assert_eq!(bank_denom(&native), "uxyz");
        let traced: PrefixedDenom = "transfer/channel-0/uatom".parse().unwrap();
        assert_eq!(
            bank_denom(&traced),
            voucher_denom("transfer/channel-0/uatom")
        );
    }

    #[test]
    fn escrow_addresses_match_ibc_go() {
        let a = escrow_address(&port(), &"channel-141".parse().unwrap());
        assert_eq!(
            a.to_bech32("cosmos"),
            "cosmos1x54ltnyg88k0ejmk8ytwrhd3ltm84xehrnlslf"
        );
    }

    #[test]
    fn only_the_ics20_success_ack_is_success() {
        let ok = Acknowledgement::try_from(br#"{"result":"AQ=="}"#.to_vec()).unwrap();
        let err = Acknowledgement::try_from(br#"{"error":"bad receiver"}"#.to_vec()).unwrap();
        assert!(ack_is_success(&ok));
        assert!(!ack_is_success(&err));
    }
}
