//! Constructors for the staking and slashing messages (Cosmos SDK type URLs), and the
//! `proofvaloper` address form of validator operators.

use cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUnjail;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    CommissionRates, Description, MsgBeginRedelegate, MsgCreateValidator, MsgDelegate,
    MsgEditValidator, MsgUndelegate,
};
use cosmos_sdk_proto::Any;

use crate::address::{Address, AddressError};
use crate::coin::Coin;
use crate::crypto::PublicKey;
use crate::msgs::to_any;

/// Bech32 prefix of validator operator addresses.
pub const VALOPER_PREFIX: &str = "proofvaloper";

pub fn valoper(a: &Address) -> String {
    a.to_bech32(VALOPER_PREFIX)
}

/// Accepts a `proofvaloper1...` or the operator's `proof1...` account address.
pub fn parse_valoper(s: &str) -> Result<Address, AddressError> {
    Address::from_bech32(s, VALOPER_PREFIX).or_else(|_| s.parse())
}

/// A basis-point fraction as a Cosmos `Dec` in protobuf's atomics form (18 decimals).
pub fn bps_dec(bps: u32) -> String {
    (bps as u128 * 100_000_000_000_000).to_string()
}

pub struct CreateValidator<'a> {
    pub operator: &'a Address,
    pub consensus_key: [u8; 32],
    pub moniker: &'a str,
    pub commission_bps: u32,
    pub max_commission_bps: u32,
    pub max_change_bps: u32,
    pub min_self_delegation: u128,
    pub self_stake: Coin,
}

pub fn create_validator(c: &CreateValidator<'_>) -> Any {
    let pk = PublicKey::Ed25519(c.consensus_key).to_any();
    #[allow(deprecated)]
    to_any(&MsgCreateValidator {
        description: Some(Description {
            moniker: c.moniker.to_string(),
            ..Default::default()
        }),
        commission: Some(CommissionRates {
            rate: bps_dec(c.commission_bps),
            max_rate: bps_dec(c.max_commission_bps),
            max_change_rate: bps_dec(c.max_change_bps),
        }),
        min_self_delegation: c.min_self_delegation.to_string(),
        delegator_address: String::new(),
        validator_address: valoper(c.operator),
        pubkey: Some(cosmos_sdk_proto::Any {
            type_url: pk.type_url,
            value: pk.value,
        }),
        value: Some(c.self_stake.to_proto()),
    })
}

pub fn delegate(delegator: &Address, validator: &Address, amount: &Coin) -> Any {
    to_any(&MsgDelegate {
        delegator_address: delegator.to_string(),
        validator_address: valoper(validator),
        amount: Some(amount.to_proto()),
    })
}

pub fn undelegate(delegator: &Address, validator: &Address, amount: &Coin) -> Any {
    to_any(&MsgUndelegate {
        delegator_address: delegator.to_string(),
        validator_address: valoper(validator),
        amount: Some(amount.to_proto()),
    })
}

pub fn redelegate(delegator: &Address, src: &Address, dst: &Address, amount: &Coin) -> Any {
    to_any(&MsgBeginRedelegate {
        delegator_address: delegator.to_string(),
        validator_src_address: valoper(src),
        validator_dst_address: valoper(dst),
        amount: Some(amount.to_proto()),
    })
}

/// `MsgEditValidator`: `None` leaves a field as it is.
pub fn edit_validator(
    validator: &Address,
    moniker: Option<&str>,
    commission_bps: Option<u32>,
    min_self_delegation: Option<u128>,
) -> Any {
    to_any(&MsgEditValidator {
        description: Some(Description {
            moniker: moniker.unwrap_or("[do-not-modify]").to_string(),
            identity: "[do-not-modify]".into(),
            website: "[do-not-modify]".into(),
            security_contact: "[do-not-modify]".into(),
            details: "[do-not-modify]".into(),
        }),
        validator_address: valoper(validator),
        commission_rate: commission_bps.map(bps_dec).unwrap_or_default(),
        min_self_delegation: min_self_delegation
            .map(|m| m.to_string())
            .unwrap_or_default(),
    })
}

pub fn unjail(validator: &Address) -> Any {
    to_any(&MsgUnjail {
        validator_addr: valoper(validator),
    })
}
