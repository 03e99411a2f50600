//! The altcoin registry: what governance may register, and who pauses and resumes.

use cosmwasm_std::{Addr, Api, Event, Order, Response, StdResult, Storage};
use sha2::{Digest, Sha256};
use yy_msgs::{Altcoin, Limits, PauseCause, Status};

use crate::error::ContractError;
use crate::state::{Config, Pause, Registered, ALTCOINS, BY_CHANNEL, BY_TRACE};

pub const MAX_GUARDIANS: usize = 10;
pub const MAX_QUOTAS: usize = 4;
/// What one `client_frozen` pauses at most: its cost is bounded by this.
pub const MAX_PER_CHANNEL: usize = 64;
/// Windows of under a minute would reset on almost every block and limit nothing.
pub const MIN_WINDOW_SECONDS: u64 = 60;
pub const MAX_WINDOW_SECONDS: u64 = 366 * 86_400;
pub const MAX_DECIMALS: u8 = 18;
pub const MAX_REASON: usize = 256;

fn invalid(field: &'static str, why: impl Into<String>) -> ContractError {
    ContractError::Invalid {
        field,
        why: why.into(),
    }
}

/// The ICS-20 voucher denom of a trace: `ibc/` + upper-case hex sha256 of the full path.
pub fn ics20_denom(trace_path: &str, base_denom: &str) -> String {
    let digest = Sha256::digest(format!("{trace_path}/{base_denom}").as_bytes());
    format!("ibc/{}", hex::encode_upper(digest))
}

/// `channel-N`, as ibc-go numbers channels (no leading zeros, so one channel has one id).
pub fn check_channel(field: &'static str, s: &str) -> Result<(), ContractError> {
    let n = s.strip_prefix("channel-").unwrap_or_default();
    let digits = !n.is_empty() && n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit());
    if !digits || (n.len() > 1 && n.starts_with('0')) || n.parse::<u64>().is_err() {
        return Err(invalid(field, format!("{s:?} is not channel-N")));
    }
    Ok(())
}

/// The Cosmos SDK's denom rule, `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn check_native_denom(field: &'static str, s: &str) -> Result<(), ContractError> {
    let b = s.as_bytes();
    let ok = (3..=128).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"/:._-".contains(c));
    if !ok {
        return Err(invalid(field, format!("{s:?} is not a denom")));
    }
    Ok(())
}

/// Other chains name their coins by their own rules (`gamm/pool/1`, `cw20:…`); the voucher hash
/// pins the identity, so only the shape is bounded here.
fn check_base_denom(s: &str) -> Result<(), ContractError> {
    if s.is_empty() || s.len() > 128 || !s.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(invalid(
            "base_denom",
            "1-128 printable ASCII characters without spaces",
        ));
    }
    // As ibc-go splits a denom: leading `port/channel-N` pairs are trace, never base, so one
    // voucher has one (trace, base) spelling and `AltcoinByTrace` finds it.
    let mut parts = s.split('/');
    if let (Some(port), Some(channel)) = (parts.next(), parts.next()) {
        if is_port(port) && check_channel("base_denom", channel).is_ok() {
            return Err(invalid(
                "base_denom",
                format!("{s:?} starts with a trace ({port}/{channel}): put it in trace_path"),
            ));
        }
    }
    Ok(())
}

/// ICS-20 port identifiers (ICS-24): 2-128 of `a-zA-Z0-9._+-#[]<>`.
fn is_port(s: &str) -> bool {
    (2..=128).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._+-#[]<>".contains(&c))
}

/// `port/channel` pairs; the first is where the voucher entered this chain, so its channel is
/// the altcoin's.
fn check_trace(trace: &str, channel: &str) -> Result<(), ContractError> {
    let parts: Vec<&str> = trace.split('/').collect();
    if !parts.len().is_multiple_of(2) || parts.len() > 64 {
        return Err(invalid("trace_path", "port/channel pairs"));
    }
    for pair in parts.chunks_exact(2) {
        if !is_port(pair[0]) {
            return Err(invalid(
                "trace_path",
                format!("{:?} is not a port", pair[0]),
            ));
        }
        check_channel("trace_path", pair[1])?;
    }
    if parts.get(1) != Some(&channel) {
        return Err(invalid(
            "trace_path",
            format!("a voucher arriving on {channel} has a trace starting with its port/{channel}"),
        ));
    }
    Ok(())
}

fn check_name(field: &'static str, s: &str, extra: &[u8]) -> Result<(), ContractError> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c));
    if !ok {
        let extra: Vec<String> = extra.iter().map(|c| char::from(*c).to_string()).collect();
        return Err(invalid(
            field,
            format!("1-32 ASCII letters, digits, {}", extra.join(" or ")),
        ));
    }
    Ok(())
}

pub fn check_limits(l: &Limits) -> Result<(), ContractError> {
    if l.quotas.len() > MAX_QUOTAS {
        return Err(invalid("limits", format!("at most {MAX_QUOTAS} quotas")));
    }
    for (i, q) in l.quotas.iter().enumerate() {
        check_name("quota name", &q.name, b"-_")?;
        if l.quotas[..i].iter().any(|o| o.name == q.name) {
            return Err(invalid("quota name", format!("{:?} twice", q.name)));
        }
        if !(MIN_WINDOW_SECONDS..=MAX_WINDOW_SECONDS).contains(&q.window_seconds) {
            return Err(invalid(
                "window_seconds",
                format!("{MIN_WINDOW_SECONDS}..={MAX_WINDOW_SECONDS}"),
            ));
        }
    }
    if let Some(b) = l.breaker_inflow {
        if b.0 == 0 {
            return Err(invalid("breaker_inflow", "0 would trip on every packet"));
        }
        if l.quotas.is_empty() {
            return Err(invalid(
                "breaker_inflow",
                "it counts in quota windows: add one",
            ));
        }
    }
    Ok(())
}

fn check_altcoin(cfg: &Config, a: &Altcoin) -> Result<(), ContractError> {
    check_base_denom(&a.base_denom)?;
    check_channel("channel", &a.channel)?;
    if a.denom.starts_with("ibc/") {
        check_trace(&a.trace_path, &a.channel)?;
        let expected = ics20_denom(&a.trace_path, &a.base_denom);
        if a.denom != expected {
            return Err(ContractError::WrongIbcHash {
                denom: a.denom.clone(),
                path: format!("{}/{}", a.trace_path, a.base_denom),
                expected,
            });
        }
    } else {
        check_native_denom("denom", &a.denom)?;
        if !a.trace_path.is_empty() {
            return Err(invalid(
                "trace_path",
                "a native denom has none (a trace makes an ibc/ voucher)",
            ));
        }
        if a.denom == cfg.native_denom {
            return Err(ContractError::NativeDenom(a.denom.clone()));
        }
    }
    let chain_ok = (1..=50).contains(&a.source_chain.len())
        && a.source_chain
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c));
    if !chain_ok {
        return Err(invalid(
            "source_chain",
            "1-50 ASCII letters, digits, ., _ or -",
        ));
    }
    if a.decimals > MAX_DECIMALS {
        return Err(invalid("decimals", format!("at most {MAX_DECIMALS}")));
    }
    check_name("display", &a.display, b"-.")?;
    check_limits(&a.limits)
}

pub fn load(storage: &dyn Storage, denom: &str) -> Result<Registered, ContractError> {
    ALTCOINS
        .may_load(storage, denom)?
        .ok_or_else(|| ContractError::NotRegistered(denom.to_string()))
}

pub fn register(
    storage: &mut dyn Storage,
    cfg: &Config,
    altcoin: Altcoin,
) -> Result<Response, ContractError> {
    check_altcoin(cfg, &altcoin)?;
    if ALTCOINS.has(storage, &altcoin.denom) {
        return Err(ContractError::AlreadyRegistered(altcoin.denom));
    }
    // Vouchers are their trace's hash, but native denoms are not: two could claim one trace.
    let trace = (altcoin.trace_path.as_str(), altcoin.base_denom.as_str());
    if let Some(other) = BY_TRACE.may_load(storage, trace)? {
        return Err(ContractError::TraceRegistered(
            format!("{}/{}", altcoin.trace_path, altcoin.base_denom),
            other,
        ));
    }
    let on_channel = BY_CHANNEL
        .prefix(&altcoin.channel)
        .keys(storage, None, None, Order::Ascending)
        .take(MAX_PER_CHANNEL)
        .count();
    if on_channel >= MAX_PER_CHANNEL {
        return Err(ContractError::ChannelFull {
            channel: altcoin.channel,
            max: MAX_PER_CHANNEL,
        });
    }
    BY_TRACE.save(storage, trace, &altcoin.denom)?;
    BY_CHANNEL.save(storage, (&altcoin.channel, &altcoin.denom), &())?;
    ALTCOINS.save(
        storage,
        &altcoin.denom,
        &Registered {
            altcoin: altcoin.clone(),
            pause: None,
        },
    )?;
    Ok(Response::new().add_event(
        Event::new("yy_register")
            .add_attribute("denom", altcoin.denom)
            .add_attribute("base_denom", altcoin.base_denom)
            .add_attribute("trace_path", altcoin.trace_path)
            .add_attribute("source_chain", altcoin.source_chain)
            .add_attribute("channel", altcoin.channel),
    ))
}

pub fn update_limits(
    storage: &mut dyn Storage,
    denom: &str,
    limits: Limits,
) -> Result<Response, ContractError> {
    check_limits(&limits)?;
    let mut r = load(storage, denom)?;
    r.altcoin.limits = limits;
    ALTCOINS.save(storage, denom, &r)?;
    Ok(Response::new().add_event(Event::new("yy_update_limits").add_attribute("denom", denom)))
}

/// Pauses a guardian may lift: its own, and the circuit breaker's (anyone holding the breaker's
/// amount on the source chain can trip it with one refused packet and get the coins back with
/// the error acknowledgement, so waiting days for a vote would make tripping it a cheap way to
/// stop a bridge). A frozen client or governance's own pause needs governance's look.
fn guardian_may_resume(cause: PauseCause) -> bool {
    matches!(cause, PauseCause::Guardian | PauseCause::CircuitBreaker)
}

fn cause_name(cause: PauseCause) -> &'static str {
    match cause {
        PauseCause::Guardian => "a guardian",
        PauseCause::Governance => "governance",
        PauseCause::CircuitBreaker => "the circuit breaker",
        PauseCause::ClientFrozen => "a frozen client",
    }
}

pub fn set_status(
    storage: &mut dyn Storage,
    cfg: &Config,
    sender: &Addr,
    denom: &str,
    status: Status,
    reason: String,
    now: u64,
) -> Result<Response, ContractError> {
    let is_gov = *sender == cfg.governance;
    if !is_gov && !cfg.guardians.contains(sender) {
        return Err(ContractError::NotGuardian);
    }
    if reason.len() > MAX_REASON {
        return Err(invalid("reason", format!("at most {MAX_REASON} bytes")));
    }
    let mut r = load(storage, denom)?;
    match (status, &r.pause) {
        (Status::Paused, Some(p)) if !is_gov && !guardian_may_resume(p.cause) => {
            // Re-pausing would turn it into a pause guardians can lift.
            return Err(ContractError::AlreadyPaused {
                denom: denom.to_string(),
                cause: cause_name(p.cause).into(),
            });
        }
        (Status::Paused, _) => {
            let cause = if is_gov {
                PauseCause::Governance
            } else {
                PauseCause::Guardian
            };
            r.pause = Some(Pause {
                cause,
                reason: reason.clone(),
                since: now,
            });
        }
        (Status::Active, None) => return Err(ContractError::NotPaused(denom.to_string())),
        (Status::Active, Some(p)) if !is_gov && !guardian_may_resume(p.cause) => {
            return Err(ContractError::GovernanceResumes {
                denom: denom.to_string(),
                cause: cause_name(p.cause).into(),
            });
        }
        (Status::Active, Some(_)) => r.pause = None,
    }
    ALTCOINS.save(storage, denom, &r)?;
    let status = match status {
        Status::Active => "active",
        Status::Paused => "paused",
    };
    Ok(Response::new().add_event(
        Event::new("yy_set_status")
            .add_attribute("denom", denom)
            .add_attribute("status", status)
            .add_attribute("by", sender.as_str())
            .add_attribute("reason", reason),
    ))
}

pub fn check_guardians(api: &dyn Api, guardians: &[String]) -> Result<Vec<Addr>, ContractError> {
    if guardians.len() > MAX_GUARDIANS {
        return Err(invalid("guardians", format!("at most {MAX_GUARDIANS}")));
    }
    let mut out: Vec<Addr> = Vec::with_capacity(guardians.len());
    for g in guardians {
        let a = api.addr_validate(g)?;
        if out.contains(&a) {
            return Err(invalid("guardians", format!("{a} twice")));
        }
        out.push(a);
    }
    Ok(out)
}

/// Pauses every altcoin of `channel` not already under a pause only governance lifts.
pub fn client_frozen(
    storage: &mut dyn Storage,
    channel: &str,
    now: u64,
) -> Result<Response, ContractError> {
    let denoms: Vec<String> = BY_CHANNEL
        .prefix(channel)
        .keys(storage, None, None, Order::Ascending)
        .take(MAX_PER_CHANNEL)
        .collect::<StdResult<_>>()?;
    let mut paused = 0usize;
    for denom in &denoms {
        let mut r = load(storage, denom)?;
        if r.pause
            .as_ref()
            .is_some_and(|p| !guardian_may_resume(p.cause))
        {
            continue;
        }
        r.pause = Some(Pause {
            cause: PauseCause::ClientFrozen,
            reason: format!("the counterparty client of {channel} is frozen"),
            since: now,
        });
        ALTCOINS.save(storage, denom, &r)?;
        paused += 1;
    }
    Ok(Response::new().add_event(
        Event::new("yy_client_frozen")
            .add_attribute("channel", channel)
            .add_attribute("paused", paused.to_string()),
    ))
}
