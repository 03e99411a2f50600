//! Rate limits, after Osmosis' `ibc-rate-limit`: per (denom, channel) and quota, gross inflow
//! and outflow in fixed windows. A window ends at `window_start + window_seconds`; the first
//! packet after that opens the next one at its own time.

use cosmwasm_std::Storage;
use yy_msgs::{FlowResponse, Quota, QuotaFlow, U128};

use crate::error::{ContractError, RateLimit};
use crate::state::{Flow, Registered, FLOWS};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// The circuit breaker: the packet would bring `quota`'s window inflow to `would_be`.
    Tripped {
        quota: String,
        would_be: u128,
    },
}

fn window_end(start: u64, q: &Quota) -> Result<u64, ContractError> {
    start
        .checked_add(q.window_seconds)
        .ok_or(ContractError::Overflow)
}

/// One flow per current quota as of `now`, stored ones matched by name: a window that ended,
/// or a quota new since the last packet, starts empty at `now`.
fn current(
    storage: &dyn Storage,
    denom: &str,
    channel: &str,
    quotas: &[Quota],
    now: u64,
) -> Result<Vec<Flow>, ContractError> {
    let stored = FLOWS
        .may_load(storage, (denom, channel))?
        .unwrap_or_default();
    quotas
        .iter()
        .map(|q| {
            if let Some(f) = stored.iter().find(|f| f.name == q.name) {
                if now < window_end(f.window_start, q)? {
                    return Ok(f.clone());
                }
            }
            Ok(Flow {
                name: q.name.clone(),
                inflow: 0,
                outflow: 0,
                window_start: now,
            })
        })
        .collect()
}

/// Checks a packet against every quota and records it in all of them, or records nothing.
/// Paused altcoins are refused by the caller before this.
pub fn on_packet(
    storage: &mut dyn Storage,
    reg: &Registered,
    channel: &str,
    dir: Direction,
    amount: u128,
    now: u64,
) -> Result<Verdict, ContractError> {
    let a = &reg.altcoin;
    let quotas = &a.limits.quotas;
    if quotas.is_empty() {
        return Ok(Verdict::Allowed);
    }
    let mut flows = current(storage, &a.denom, channel, quotas, now)?;
    for f in flows.iter_mut() {
        let side = match dir {
            Direction::In => &mut f.inflow,
            Direction::Out => &mut f.outflow,
        };
        *side = side.checked_add(amount).ok_or(ContractError::Overflow)?;
    }
    // The breaker before the quotas: an attempt at that much is itself the anomaly, even when
    // a quota would refuse it anyway.
    if let (Direction::In, Some(breaker)) = (dir, a.limits.breaker_inflow) {
        if let Some(f) = flows.iter().find(|f| f.inflow >= breaker.0) {
            return Ok(Verdict::Tripped {
                quota: f.name.clone(),
                would_be: f.inflow,
            });
        }
    }
    for (q, f) in quotas.iter().zip(&flows) {
        let (would_be, max, direction) = match dir {
            Direction::In => (f.inflow, q.max_inflow.0, "inflow"),
            Direction::Out => (f.outflow, q.max_outflow.0, "outflow"),
        };
        if would_be > max {
            return Err(ContractError::RateLimited(Box::new(RateLimit {
                denom: a.denom.clone(),
                channel: channel.to_string(),
                quota: q.name.clone(),
                direction,
                would_be,
                max,
                resets_at: window_end(f.window_start, q)?,
            })));
        }
    }
    FLOWS.save(storage, (&a.denom, channel), &flows)?;
    Ok(Verdict::Allowed)
}

/// Gives a refunded send's outflow back to the quotas' current windows, saturating at zero; an
/// ended window is left alone. The message has no send time, so when a later packet has opened
/// a new window since, the refund lands in that one (as in Osmosis): at most one packet's worth
/// of extra room, never a flow below zero.
pub fn undo_send(
    storage: &mut dyn Storage,
    reg: &Registered,
    channel: &str,
    amount: u128,
    now: u64,
) -> Result<(), ContractError> {
    let a = &reg.altcoin;
    let Some(mut flows) = FLOWS.may_load(storage, (&a.denom, channel))? else {
        return Ok(());
    };
    let mut changed = false;
    for f in flows.iter_mut() {
        let Some(q) = a.limits.quotas.iter().find(|q| q.name == f.name) else {
            continue;
        };
        if now < window_end(f.window_start, q)? && f.outflow > 0 {
            f.outflow = f.outflow.saturating_sub(amount);
            changed = true;
        }
    }
    if changed {
        FLOWS.save(storage, (&a.denom, channel), &flows)?;
    }
    Ok(())
}

pub fn flow(
    storage: &dyn Storage,
    reg: &Registered,
    channel: &str,
    now: u64,
) -> Result<FlowResponse, ContractError> {
    let a = &reg.altcoin;
    let flows = current(storage, &a.denom, channel, &a.limits.quotas, now)?;
    let quotas = a
        .limits
        .quotas
        .iter()
        .zip(flows)
        .map(|(q, f)| {
            Ok(QuotaFlow {
                name: q.name.clone(),
                window_seconds: q.window_seconds,
                max_inflow: q.max_inflow,
                max_outflow: q.max_outflow,
                inflow: U128(f.inflow),
                outflow: U128(f.outflow),
                window_start: f.window_start,
                resets_at: window_end(f.window_start, q)?,
            })
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(FlowResponse {
        denom: a.denom.clone(),
        channel: channel.to_string(),
        quotas,
    })
}
