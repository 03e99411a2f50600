//! HTLC atomic swaps: coins locked against the sha256 preimage of a hash until an expiry.
//!
//! A pause of an altcoin refuses new locks of it but never a claim or a refund: a swap's other
//! leg on another chain keeps running, and holding this one back past its expiry could let one
//! party take both.

use cosmwasm_std::{Addr, BankMsg, Coin, Env, Event, MessageInfo, Response, Storage, Uint128};
use sha2::{Digest, Sha256};
use yy_msgs::{Expiration, Outcome, SwapResponse, U128};

use crate::error::ContractError;
use crate::state::{Settled, Swap, ALTCOINS, BY_RECIPIENT, SETTLED, SWAPS};

/// Exactly 32 bytes from 64 hex characters of either case.
fn decode32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok().map(|()| out)
}

pub fn is_expired(e: &Expiration, env: &Env) -> bool {
    match *e {
        Expiration::AtHeight(h) => env.block.height >= h,
        Expiration::AtTime(t) => env.block.time.seconds() >= t,
    }
}

fn check_id(id: &str) -> Result<(), ContractError> {
    let ok = (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    if !ok {
        return Err(ContractError::Invalid {
            field: "id",
            why: "3-64 characters of a-z, 0-9 and -".into(),
        });
    }
    Ok(())
}

fn expires_attr(e: &Expiration) -> String {
    match e {
        Expiration::AtHeight(h) => format!("height {h}"),
        Expiration::AtTime(t) => format!("time {t}"),
    }
}

/// Why an id is not open, if it was settled.
fn settled_error(storage: &dyn Storage, id: &str) -> Result<Option<ContractError>, ContractError> {
    Ok(SETTLED.may_load(storage, id)?.map(|s| match s.outcome {
        Outcome::Claimed => ContractError::AlreadyClaimed(id.to_string()),
        Outcome::Refunded => ContractError::AlreadyRefunded(id.to_string()),
    }))
}

fn load_open(storage: &dyn Storage, id: &str) -> Result<Swap, ContractError> {
    if let Some(e) = settled_error(storage, id)? {
        return Err(e);
    }
    SWAPS
        .may_load(storage, id)?
        .ok_or_else(|| ContractError::NoSwap(id.to_string()))
}

pub fn lock(
    storage: &mut dyn Storage,
    env: &Env,
    info: &MessageInfo,
    id: String,
    hash: &str,
    recipient: Addr,
    expires: Expiration,
) -> Result<Response, ContractError> {
    check_id(&id)?;
    let hash = decode32(hash).ok_or(ContractError::Invalid {
        field: "hash",
        why: "64 hex characters (a sha256 digest)".into(),
    })?;
    let [coin] = info.funds.as_slice() else {
        return Err(ContractError::WrongFunds("one coin".into()));
    };
    let amount = Uint128::try_from(coin.amount)
        .map_err(|_| ContractError::Overflow)?
        .u128();
    if amount == 0 {
        return Err(ContractError::WrongFunds("one coin, not zero".into()));
    }
    if is_expired(&expires, env) {
        return Err(ContractError::ExpiryPassed);
    }
    if SWAPS.has(storage, &id) || SETTLED.has(storage, &id) {
        return Err(ContractError::DuplicateId(id));
    }
    if let Some(p) = ALTCOINS
        .may_load(storage, &coin.denom)?
        .and_then(|r| r.pause)
    {
        return Err(ContractError::Paused {
            denom: coin.denom.clone(),
            reason: p.reason,
        });
    }
    let swap = Swap {
        sender: info.sender.clone(),
        recipient,
        hash: hex::encode(hash),
        denom: coin.denom.clone(),
        amount,
        expires,
    };
    SWAPS.save(storage, &id, &swap)?;
    BY_RECIPIENT.save(storage, (&swap.recipient, &id), &())?;
    Ok(Response::new().add_event(
        Event::new("yy_lock")
            .add_attribute("id", id)
            .add_attribute("hash", swap.hash)
            .add_attribute("sender", swap.sender)
            .add_attribute("recipient", swap.recipient)
            .add_attribute("amount", coin.to_string())
            .add_attribute("expires", expires_attr(&expires)),
    ))
}

fn pay(to: &Addr, s: &Swap) -> BankMsg {
    BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(Uint128::new(s.amount), s.denom.clone())],
    }
}

fn close(
    storage: &mut dyn Storage,
    id: &str,
    s: &Swap,
    settled: &Settled,
) -> Result<(), ContractError> {
    SWAPS.remove(storage, id);
    BY_RECIPIENT.remove(storage, (&s.recipient, id));
    SETTLED.save(storage, id, settled)?;
    Ok(())
}

pub fn claim(
    storage: &mut dyn Storage,
    env: &Env,
    id: &str,
    preimage: &str,
) -> Result<Response, ContractError> {
    let s = load_open(storage, id)?;
    if is_expired(&s.expires, env) {
        return Err(ContractError::Expired(id.to_string()));
    }
    // 32 bytes exactly: other chains' HTLCs (Bitcoin scripts) take no other length, and a secret
    // revealed here but unusable there would let its holder take both legs.
    let secret = decode32(preimage).ok_or(ContractError::Invalid {
        field: "preimage",
        why: "64 hex characters (a 32-byte secret)".into(),
    })?;
    if hex::encode(Sha256::digest(secret)) != s.hash {
        return Err(ContractError::WrongPreimage);
    }
    let preimage = hex::encode(secret);
    close(
        storage,
        id,
        &s,
        &Settled {
            outcome: Outcome::Claimed,
            preimage: Some(preimage.clone()),
            height: env.block.height,
        },
    )?;
    Ok(Response::new()
        .add_message(pay(&s.recipient, &s))
        .add_event(
            Event::new("yy_claim")
                .add_attribute("id", id)
                .add_attribute("hash", &s.hash)
                .add_attribute("preimage", preimage)
                .add_attribute("recipient", s.recipient.as_str())
                .add_attribute("amount", format!("{}{}", s.amount, s.denom)),
        ))
}

pub fn refund(storage: &mut dyn Storage, env: &Env, id: &str) -> Result<Response, ContractError> {
    let s = load_open(storage, id)?;
    if !is_expired(&s.expires, env) {
        return Err(ContractError::NotExpired(id.to_string()));
    }
    close(
        storage,
        id,
        &s,
        &Settled {
            outcome: Outcome::Refunded,
            preimage: None,
            height: env.block.height,
        },
    )?;
    Ok(Response::new().add_message(pay(&s.sender, &s)).add_event(
        Event::new("yy_refund")
            .add_attribute("id", id)
            .add_attribute("sender", s.sender.as_str())
            .add_attribute("amount", format!("{}{}", s.amount, s.denom)),
    ))
}

pub fn swap_response(id: String, s: Swap) -> SwapResponse {
    SwapResponse {
        id,
        sender: s.sender.to_string(),
        recipient: s.recipient.to_string(),
        hash: s.hash,
        denom: s.denom,
        amount: U128(s.amount),
        expires: s.expires,
    }
}
