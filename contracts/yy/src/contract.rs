//! Entry points and handlers.

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, Event, MessageInfo, Order, Response,
    StdResult,
};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::htlc;
use crate::msg::{
    AltcoinResponse, AltcoinsResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg,
    PacketVerdict, PauseCause, PauseInfo, QueryMsg, SettledResponse, Status, SudoMsg,
    SwapsResponse,
};
use crate::rate_limit::{self, Direction, Verdict};
use crate::registry;
use crate::state::{
    Config, ContractVersion, Pause, Registered, ALTCOINS, BY_RECIPIENT, BY_TRACE, CONFIG,
    CONTRACT_VERSION, SETTLED, SWAPS,
};

/// Recorded so that a migration knows what it upgrades from.
pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION_STR: &str = env!("CARGO_PKG_VERSION");
pub const DEFAULT_LIMIT: u32 = 30;
pub const MAX_LIMIT: u32 = 100;

fn record_version(deps: DepsMut) -> StdResult<()> {
    CONTRACT_VERSION.save(
        deps.storage,
        &ContractVersion {
            contract: CONTRACT_NAME.to_string(),
            version: CONTRACT_VERSION_STR.to_string(),
        },
    )
}

#[entry_point]
pub fn instantiate(
    mut deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    registry::check_native_denom("native_denom", &msg.native_denom)?;
    let cfg = Config {
        governance: deps.api.addr_validate(&msg.governance)?,
        native_denom: msg.native_denom,
        guardians: registry::check_guardians(deps.api, &msg.guardians)?,
    };
    CONFIG.save(deps.storage, &cfg)?;
    record_version(deps.branch())?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    match msg {
        ExecuteMsg::Register { altcoin } => {
            governance_only(&cfg, &info)?;
            registry::register(deps.storage, &cfg, altcoin)
        }
        ExecuteMsg::UpdateLimits { denom, limits } => {
            governance_only(&cfg, &info)?;
            registry::update_limits(deps.storage, &denom, limits)
        }
        ExecuteMsg::SetStatus {
            denom,
            status,
            reason,
        } => {
            no_funds(&info)?;
            registry::set_status(
                deps.storage,
                &cfg,
                &info.sender,
                &denom,
                status,
                reason,
                now,
            )
        }
        ExecuteMsg::SetGuardians { guardians } => {
            governance_only(&cfg, &info)?;
            let guardians = registry::check_guardians(deps.api, &guardians)?;
            let n = guardians.len();
            CONFIG.save(deps.storage, &Config { guardians, ..cfg })?;
            Ok(Response::new().add_event(
                Event::new("yy_set_guardians").add_attribute("guardians", n.to_string()),
            ))
        }
        ExecuteMsg::Lock {
            id,
            hash,
            recipient,
            expires,
        } => {
            let recipient = deps.api.addr_validate(&recipient)?;
            htlc::lock(deps.storage, &env, &info, id, &hash, recipient, expires)
        }
        ExecuteMsg::Claim { id, preimage } => {
            no_funds(&info)?;
            htlc::claim(deps.storage, &env, &id, &preimage)
        }
        ExecuteMsg::Refund { id } => {
            no_funds(&info)?;
            htlc::refund(deps.storage, &env, &id)
        }
    }
}

fn governance_only(cfg: &Config, info: &MessageInfo) -> Result<(), ContractError> {
    if info.sender != cfg.governance {
        return Err(ContractError::NotGovernance);
    }
    no_funds(info)
}

fn no_funds(info: &MessageInfo) -> Result<(), ContractError> {
    if !info.funds.is_empty() {
        return Err(ContractError::WrongFunds("no coins".into()));
    }
    Ok(())
}

#[entry_point]
pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    let now = env.block.time.seconds();
    match msg {
        SudoMsg::SendPacket {
            channel,
            denom,
            amount,
            sender,
        } => packet(
            deps,
            now,
            Direction::Out,
            &channel,
            &denom,
            amount.0,
            &sender,
        ),
        SudoMsg::RecvPacket {
            channel,
            denom,
            amount,
            receiver,
        } => packet(
            deps,
            now,
            Direction::In,
            &channel,
            &denom,
            amount.0,
            &receiver,
        ),
        SudoMsg::UndoSend {
            channel,
            denom,
            amount,
        } => {
            // Unregistered or paused alike: a refund is never held back.
            if let Some(reg) = ALTCOINS.may_load(deps.storage, &denom)? {
                rate_limit::undo_send(deps.storage, &reg, &channel, amount.0, now)?;
            }
            Ok(Response::new().add_event(
                Event::new("yy_undo_send")
                    .add_attribute("denom", denom)
                    .add_attribute("channel", channel)
                    .add_attribute("amount", amount.0.to_string()),
            ))
        }
        SudoMsg::ClientFrozen { channel } => registry::client_frozen(deps.storage, &channel, now),
    }
}

/// A transfer packet through the hook. Unregistered denoms pass unlimited: the chain's own
/// coin and whatever else moves over IBC without being a registered altcoin are not the YY
/// layer's to police (refusing them would make YY a gate on all of IBC).
fn packet(
    deps: DepsMut,
    now: u64,
    dir: Direction,
    channel: &str,
    denom: &str,
    amount: u128,
    account: &str,
) -> Result<Response, ContractError> {
    let (name, party) = match dir {
        Direction::In => ("yy_recv_packet", "receiver"),
        Direction::Out => ("yy_send_packet", "sender"),
    };
    let event = Event::new(name)
        .add_attribute("denom", denom)
        .add_attribute("channel", channel)
        .add_attribute("amount", amount.to_string())
        .add_attribute(party, account);
    let Some(mut reg) = ALTCOINS.may_load(deps.storage, denom)? else {
        return Ok(Response::new()
            .set_data(to_json_binary(&PacketVerdict::Allow {})?)
            .add_event(event.add_attribute("registered", "false")));
    };
    if let Some(p) = &reg.pause {
        return Err(ContractError::Paused {
            denom: denom.to_string(),
            reason: p.reason.clone(),
        });
    }
    match rate_limit::on_packet(deps.storage, &reg, channel, dir, amount, now)? {
        Verdict::Allowed => Ok(Response::new()
            .set_data(to_json_binary(&PacketVerdict::Allow {})?)
            .add_event(event)),
        Verdict::Tripped { quota, would_be } => {
            let breaker = reg.altcoin.limits.breaker_inflow.map(|b| b.0).unwrap_or(0);
            let reason = format!(
                "circuit breaker: inflow on {channel} would reach {would_be} in quota {quota:?}'s window (breaker {breaker})"
            );
            reg.pause = Some(Pause {
                cause: PauseCause::CircuitBreaker,
                reason: reason.clone(),
                since: now,
            });
            ALTCOINS.save(deps.storage, denom, &reg)?;
            Ok(Response::new()
                .set_data(to_json_binary(&PacketVerdict::Refuse {
                    reason: reason.clone(),
                })?)
                .add_event(event.add_attribute("refused", reason))
                .add_event(
                    Event::new("yy_circuit_breaker")
                        .add_attribute("denom", denom)
                        .add_attribute("channel", channel)
                        .add_attribute("quota", quota)
                        .add_attribute("inflow", would_be.to_string()),
                ))
        }
    }
}

/// Runs when governance (the admin) moves the contract to new code; refuses state written by
/// another contract.
#[entry_point]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let previous = CONTRACT_VERSION.may_load(deps.storage)?;
    if let Some(prev) = &previous {
        if prev.contract != CONTRACT_NAME {
            return Err(ContractError::WrongContract {
                expected: CONTRACT_NAME.to_string(),
                found: prev.contract.clone(),
            });
        }
    }
    record_version(deps)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute(
            "from_version",
            previous.map(|p| p.version).unwrap_or_else(|| "none".into()),
        )
        .add_attribute("to_version", CONTRACT_VERSION_STR))
}

fn page(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

fn altcoin_response(r: Registered) -> AltcoinResponse {
    AltcoinResponse {
        altcoin: r.altcoin,
        status: if r.pause.is_some() {
            Status::Paused
        } else {
            Status::Active
        },
        pause: r.pause.map(|p| PauseInfo {
            cause: p.cause,
            reason: p.reason,
            since: p.since,
        }),
    }
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let now = env.block.time.seconds();
    Ok(match msg {
        QueryMsg::Config {} => {
            let cfg = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                governance: cfg.governance.to_string(),
                native_denom: cfg.native_denom,
                guardians: cfg.guardians.iter().map(|g| g.to_string()).collect(),
            })?
        }
        QueryMsg::Altcoin { denom } => {
            to_json_binary(&altcoin_response(registry::load(deps.storage, &denom)?))?
        }
        QueryMsg::Altcoins { start_after, limit } => {
            let altcoins = ALTCOINS
                .range(
                    deps.storage,
                    start_after.as_deref().map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(page(limit))
                .map(|r| r.map(|(_, a)| altcoin_response(a)))
                .collect::<StdResult<_>>()?;
            to_json_binary(&AltcoinsResponse { altcoins })?
        }
        QueryMsg::AltcoinByTrace {
            trace_path,
            base_denom,
        } => {
            let denom = BY_TRACE
                .may_load(deps.storage, (&trace_path, &base_denom))?
                .ok_or_else(|| ContractError::NoTrace(format!("{trace_path}/{base_denom}")))?;
            to_json_binary(&altcoin_response(registry::load(deps.storage, &denom)?))?
        }
        QueryMsg::Flow { denom, channel } => {
            let reg = registry::load(deps.storage, &denom)?;
            to_json_binary(&rate_limit::flow(deps.storage, &reg, &channel, now)?)?
        }
        QueryMsg::Swap { id } => {
            let s = SWAPS
                .may_load(deps.storage, &id)?
                .ok_or_else(|| ContractError::NoSwap(id.clone()))?;
            to_json_binary(&htlc::swap_response(id, s))?
        }
        QueryMsg::Swaps { start_after, limit } => {
            let swaps = SWAPS
                .range(
                    deps.storage,
                    start_after.as_deref().map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(page(limit))
                .map(|r| r.map(|(id, s)| htlc::swap_response(id, s)))
                .collect::<StdResult<_>>()?;
            to_json_binary(&SwapsResponse { swaps })?
        }
        QueryMsg::SwapsByRecipient {
            recipient,
            start_after,
            limit,
        } => {
            let recipient = deps.api.addr_validate(&recipient)?;
            let ids: Vec<String> = BY_RECIPIENT
                .prefix(&recipient)
                .keys(
                    deps.storage,
                    start_after.as_deref().map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(page(limit))
                .collect::<StdResult<_>>()?;
            let swaps = ids
                .into_iter()
                .map(|id| {
                    let s = SWAPS.load(deps.storage, &id)?;
                    Ok(htlc::swap_response(id, s))
                })
                .collect::<StdResult<_>>()?;
            to_json_binary(&SwapsResponse { swaps })?
        }
        QueryMsg::Settled { id } => {
            let s = SETTLED
                .may_load(deps.storage, &id)?
                .ok_or_else(|| ContractError::NotSettled(id.clone()))?;
            to_json_binary(&SettledResponse {
                id,
                outcome: s.outcome,
                preimage: s.preimage,
                height: s.height,
            })?
        }
    })
}
