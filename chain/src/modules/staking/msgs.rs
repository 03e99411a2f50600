//! Staking and slashing messages: the Cosmos SDK's `cosmos.staking.v1beta1` MsgCreateValidator,
//! MsgDelegate, MsgUndelegate, MsgBeginRedelegate and `cosmos.slashing.v1beta1.MsgUnjail`,
//! decoded statelessly here and executed against the staking state (`modules::staking`).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::slashing::v1beta1::{MsgUnjail, MsgUnjailResponse};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    MsgBeginRedelegate, MsgBeginRedelegateResponse, MsgCreateValidator, MsgCreateValidatorResponse,
    MsgDelegate, MsgDelegateResponse, MsgEditValidator, MsgEditValidatorResponse, MsgUndelegate,
    MsgUndelegateResponse,
};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin, PublicKey};
use prost::Name;
use tendermint::abci::Event;

use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::modules::staking::{self, NewValidator, StakingError};
use crate::state::Metered;
use crate::tx::decode_any;
use crate::tx::fields::parse_addr;
use crate::tx::{events, TxError};

#[derive(Clone, Debug, PartialEq)]
pub enum StakingMsg {
    CreateValidator {
        operator: Address,
        cons_pubkey: [u8; 32],
        moniker: String,
        commission_bps: u32,
        max_commission_bps: u32,
        max_change_bps: u32,
        min_self_delegation: u128,
        value: Coin,
    },
    Delegate {
        delegator: Address,
        validator: Address,
        amount: Coin,
    },
    Undelegate {
        delegator: Address,
        validator: Address,
        amount: Coin,
    },
    Redelegate {
        delegator: Address,
        src: Address,
        dst: Address,
        amount: Coin,
    },
    Unjail {
        validator: Address,
    },
    Edit {
        validator: Address,
        edit: staking::ValidatorEdit,
    },
}

impl StakingMsg {
    pub fn type_url(&self) -> String {
        match self {
            StakingMsg::CreateValidator { .. } => MsgCreateValidator::type_url(),
            StakingMsg::Delegate { .. } => MsgDelegate::type_url(),
            StakingMsg::Undelegate { .. } => MsgUndelegate::type_url(),
            StakingMsg::Redelegate { .. } => MsgBeginRedelegate::type_url(),
            StakingMsg::Unjail { .. } => MsgUnjail::type_url(),
            StakingMsg::Edit { .. } => MsgEditValidator::type_url(),
        }
    }

    /// The account that must sign (an operator signs with its own account key).
    pub fn signer(&self) -> Address {
        match self {
            StakingMsg::CreateValidator { operator, .. } => operator.clone(),
            StakingMsg::Delegate { delegator, .. }
            | StakingMsg::Undelegate { delegator, .. }
            | StakingMsg::Redelegate { delegator, .. } => delegator.clone(),
            StakingMsg::Unjail { validator } | StakingMsg::Edit { validator, .. } => {
                validator.clone()
            }
        }
    }
}

fn invalid(msg: impl Into<String>) -> TxError {
    TxError::InvalidRequest(msg.into())
}

fn valoper(s: &str) -> Result<Address, TxError> {
    staking::parse_valoper(s).map_err(|e| TxError::InvalidAddress(e.to_string()))
}

fn positive_coin(c: Option<&ProtoCoin>) -> Result<Coin, TxError> {
    let c = c.ok_or_else(|| TxError::InvalidCoins("amount is required".into()))?;
    let coin = Coin::from_proto(c).map_err(|e| TxError::InvalidCoins(e.to_string()))?;
    if coin.amount == 0 {
        return Err(TxError::InvalidCoins("amount must be positive".into()));
    }
    Ok(coin)
}

/// The SDK leaves a description field unchanged when it is "[do-not-modify]" (or empty here);
/// empty rate and min self-delegation strings mean "unchanged" too.
fn decode_edit(m: MsgEditValidator) -> Result<staking::ValidatorEdit, TxError> {
    const KEEP: &str = "[do-not-modify]";
    let moniker = m
        .description
        .map(|d| d.moniker)
        .filter(|s| !s.is_empty() && s != KEEP);
    if let Some(m) = &moniker {
        check_moniker(m)?;
    }
    let commission_bps = match m.commission_rate.as_str() {
        "" => None,
        r => Some(
            crate::state::math::parse_dec_bps(r)
                .map_err(|e| invalid(format!("commission rate: {e}")))?,
        ),
    };
    let min_self_delegation = match m.min_self_delegation.as_str() {
        "" => None,
        s => Some(
            s.parse::<u128>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| invalid("min_self_delegation must be a positive integer"))?,
        ),
    };
    if moniker.is_none() && commission_bps.is_none() && min_self_delegation.is_none() {
        return Err(invalid("nothing to edit"));
    }
    Ok(staking::ValidatorEdit {
        moniker,
        commission_bps,
        min_self_delegation,
    })
}

/// Longest validator moniker, in bytes (the SDK's limit).
const MAX_MONIKER_LEN: usize = 70;

/// A moniker must have a visible character and at most [`MAX_MONIKER_LEN`] bytes.
fn check_moniker(moniker: &str) -> Result<(), TxError> {
    if moniker.trim().is_empty() || moniker.len() > MAX_MONIKER_LEN {
        return Err(invalid(format!(
            "moniker must be 1 to {MAX_MONIKER_LEN} bytes"
        )));
    }
    Ok(())
}

/// Decodes a staking or slashing message; `None` if the type URL is not one of ours.
pub fn decode(any: &Any) -> Result<Option<StakingMsg>, TxError> {
    let url = any.type_url.as_str();
    let msg = if url == MsgCreateValidator::type_url() {
        let m = decode_any::<MsgCreateValidator>(any)?;
        let operator = valoper(&m.validator_address)?;
        #[allow(deprecated)]
        if !m.delegator_address.is_empty() && parse_addr(&m.delegator_address)? != operator {
            return Err(invalid("delegator_address must be the operator's account"));
        }
        let pk = m
            .pubkey
            .ok_or_else(|| invalid("consensus pubkey is required"))?;
        let any_pk = Any {
            type_url: pk.type_url,
            value: pk.value,
        };
        let cons_pubkey = match PublicKey::from_any(&any_pk) {
            Ok(PublicKey::Ed25519(k)) => k,
            Ok(_) => return Err(invalid("consensus keys must be ed25519")),
            Err(e) => return Err(TxError::InvalidPubKey(e.to_string())),
        };
        let rates = m
            .commission
            .ok_or_else(|| invalid("commission rates are required"))?;
        let bps = |s: &str, what: &str| {
            crate::state::math::parse_dec_bps(s)
                .map_err(|e| invalid(format!("commission {what}: {e}")))
        };
        let moniker = m.description.map(|d| d.moniker).unwrap_or_default();
        check_moniker(&moniker)?;
        StakingMsg::CreateValidator {
            operator,
            cons_pubkey,
            moniker,
            commission_bps: bps(&rates.rate, "rate")?,
            max_commission_bps: bps(&rates.max_rate, "max_rate")?,
            max_change_bps: bps(&rates.max_change_rate, "max_change_rate")?,
            min_self_delegation: if m.min_self_delegation.is_empty() {
                1
            } else {
                m.min_self_delegation
                    .parse()
                    .map_err(|_| invalid("min_self_delegation must be an integer"))?
            },
            value: positive_coin(m.value.as_ref())?,
        }
    } else if url == MsgDelegate::type_url() {
        let m = decode_any::<MsgDelegate>(any)?;
        StakingMsg::Delegate {
            delegator: parse_addr(&m.delegator_address)?,
            validator: valoper(&m.validator_address)?,
            amount: positive_coin(m.amount.as_ref())?,
        }
    } else if url == MsgUndelegate::type_url() {
        let m = decode_any::<MsgUndelegate>(any)?;
        StakingMsg::Undelegate {
            delegator: parse_addr(&m.delegator_address)?,
            validator: valoper(&m.validator_address)?,
            amount: positive_coin(m.amount.as_ref())?,
        }
    } else if url == MsgBeginRedelegate::type_url() {
        let m = decode_any::<MsgBeginRedelegate>(any)?;
        StakingMsg::Redelegate {
            delegator: parse_addr(&m.delegator_address)?,
            src: valoper(&m.validator_src_address)?,
            dst: valoper(&m.validator_dst_address)?,
            amount: positive_coin(m.amount.as_ref())?,
        }
    } else if url == MsgEditValidator::type_url() {
        let m = decode_any::<MsgEditValidator>(any)?;
        StakingMsg::Edit {
            validator: valoper(&m.validator_address)?,
            edit: decode_edit(m)?,
        }
    } else if url == MsgUnjail::type_url() {
        let m = decode_any::<MsgUnjail>(any)?;
        StakingMsg::Unjail {
            validator: valoper(&m.validator_addr)?,
        }
    } else {
        return Ok(None);
    };
    Ok(Some(msg))
}

impl From<StakingError> for TxError {
    fn from(e: StakingError) -> Self {
        match e {
            StakingError::Bank(b) => b.into(),
            StakingError::State(s) => s.into(),
            StakingError::NoValidator(_) | StakingError::NoDelegation(..) => {
                TxError::UnknownAddress(e.to_string())
            }
            StakingError::Overflow(_) => TxError::InvalidCoins(e.to_string()),
            other => TxError::InvalidRequest(other.to_string()),
        }
    }
}

fn timestamp(ns: i64) -> tendermint_proto::google::protobuf::Timestamp {
    tendermint_proto::google::protobuf::Timestamp {
        seconds: ns.div_euclid(1_000_000_000),
        nanos: ns.rem_euclid(1_000_000_000) as i32,
    }
}

/// Height and time of the block being executed (written by the executor's begin-block).
fn check_denom(kv: &Metered<'_, '_>, c: &Coin) -> Result<(), TxError> {
    let want = staking::params(&kv.delta)?.bond_denom;
    if c.denom != want {
        return Err(TxError::InvalidCoins(format!(
            "can only stake {want}, got {}",
            c.denom
        )));
    }
    Ok(())
}

/// Executes one staking message, appending its events, and returns the response `Any`.
/// Runs `msg` at block `height`, block time `now` (ns).
pub fn execute(
    kv: &mut Metered<'_, '_>,
    msg: &StakingMsg,
    (height, now): (u64, i64),
    index: usize,
    evs: &mut Vec<Event>,
) -> Result<Any, TxError> {
    evs.push(events::message(
        &msg.type_url(),
        &msg.signer(),
        module_of(msg),
        index,
    ));
    Ok(match msg {
        StakingMsg::CreateValidator {
            operator,
            cons_pubkey,
            moniker,
            commission_bps,
            max_commission_bps,
            max_change_bps,
            min_self_delegation,
            value,
        } => {
            check_denom(kv, value)?;
            staking::create_validator(
                kv,
                (height, now),
                NewValidator {
                    operator: operator.clone(),
                    cons_pubkey: *cons_pubkey,
                    moniker: moniker.clone(),
                    commission_bps: *commission_bps,
                    max_commission_bps: *max_commission_bps,
                    max_change_bps: *max_change_bps,
                    min_self_delegation: *min_self_delegation,
                    self_stake: value.amount,
                },
                false,
            )?;
            evs.push(events::event(
                "create_validator",
                &[
                    ("validator", staking::valoper(operator)),
                    ("amount", value.to_string()),
                ],
            ));
            proof_sdk::msgs::to_any(&MsgCreateValidatorResponse {})
        }
        StakingMsg::Delegate {
            delegator,
            validator,
            amount,
        } => {
            check_denom(kv, amount)?;
            let shares = staking::delegate(kv, delegator, validator, amount.amount)?;
            evs.push(events::event(
                "delegate",
                &[
                    ("validator", staking::valoper(validator)),
                    ("delegator", delegator.to_string()),
                    ("amount", amount.to_string()),
                    ("new_shares", shares.to_string()),
                ],
            ));
            proof_sdk::msgs::to_any(&MsgDelegateResponse {})
        }
        StakingMsg::Undelegate {
            delegator,
            validator,
            amount,
        } => {
            check_denom(kv, amount)?;
            let (done, tokens) =
                staking::undelegate(kv, height, now, delegator, validator, amount.amount)?;
            evs.push(events::event(
                "unbond",
                &[
                    ("validator", staking::valoper(validator)),
                    ("delegator", delegator.to_string()),
                    ("amount", format!("{tokens}{}", amount.denom)),
                    ("completion_time", done.to_string()),
                ],
            ));
            proof_sdk::msgs::to_any(&MsgUndelegateResponse {
                completion_time: Some(timestamp(done)),
                amount: Some(Coin::new(tokens, amount.denom.clone()).to_proto()),
            })
        }
        StakingMsg::Redelegate {
            delegator,
            src,
            dst,
            amount,
        } => {
            check_denom(kv, amount)?;
            let done = staking::redelegate(kv, height, now, delegator, src, dst, amount.amount)?;
            evs.push(events::event(
                "redelegate",
                &[
                    ("source_validator", staking::valoper(src)),
                    ("destination_validator", staking::valoper(dst)),
                    ("delegator", delegator.to_string()),
                    ("amount", amount.to_string()),
                ],
            ));
            proof_sdk::msgs::to_any(&MsgBeginRedelegateResponse {
                completion_time: Some(timestamp(done)),
            })
        }
        StakingMsg::Edit { validator, edit } => {
            staking::edit_validator(kv, now, validator, edit)?;
            let mut attrs = vec![("validator", staking::valoper(validator))];
            if let Some(rate) = edit.commission_bps {
                let rate = format!("{}.{:04}", rate / 10_000, rate % 10_000);
                attrs.push(("commission_rate", rate));
            }
            if let Some(min) = edit.min_self_delegation {
                attrs.push(("min_self_delegation", min.to_string()));
            }
            evs.push(events::event("edit_validator", &attrs));
            proof_sdk::msgs::to_any(&MsgEditValidatorResponse {})
        }
        StakingMsg::Unjail { validator } => {
            crate::modules::slashing::unjail(kv, height, now, validator)?;
            evs.push(events::event(
                "unjail",
                &[("validator", staking::valoper(validator))],
            ));
            proof_sdk::msgs::to_any(&MsgUnjailResponse {})
        }
    })
}

fn module_of(msg: &StakingMsg) -> &'static str {
    match msg {
        StakingMsg::Unjail { .. } => "slashing",
        _ => "staking",
    }
}

impl MsgHandler for StakingMsg {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        decode(any)
    }

    fn type_url(&self) -> String {
        StakingMsg::type_url(self)
    }

    fn signers(&self) -> Vec<Address> {
        vec![self.signer()]
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        ctx: &MsgCtx<'_, '_>,
        events: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        let at = (ctx.wasm.height, ctx.wasm.now_ns());
        execute(kv, self, at, ctx.msg_index, events)
    }
}
