//! Entry points and handlers.

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, BankMsg, Binary, Coin, Deps, DepsMut, Env, Event,
    MessageInfo, Order, Response, StdResult, Uint128, WasmMsg,
};
use cw_storage_plus::Bound;
use rollup_host::{Host, ProofVerifier};
use rollup_msgs::curve::{is_on_curve, key_possession_message};
use rollup_msgs::data::{pack_amount, ACCOUNT_CAPACITY};
use rollup_msgs::verifier::{QueryMsg as VerifierQuery, RollupInfo};
use rollup_msgs::{Hex32, U128};

use crate::error::ContractError;
use crate::msg::{
    ConfigResponse, DepositOp, ExecuteMsg, InstantiateMsg, OwnerResponse, Payout, PendingDeposit,
    PendingResponse, QueryMsg, RollupBalance, VerifierMsg,
};
use crate::state::{Config, Queued, CONFIG, OWNERS, QUEUE, SHARDS};

const MAX_LIMIT: u32 = 100;
/// Forced inclusion gives an operator at least this many blocks per deposit: shorter would let a
/// few busy blocks (the verification room is shared) freeze an honest rollup.
pub const MIN_INCLUSION_BLOCKS: u64 = 5;

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let verifier = deps.api.addr_validate(&msg.verifier)?;
    if msg.inclusion_blocks < MIN_INCLUSION_BLOCKS {
        return Err(ContractError::DeadlineTooShort {
            min: MIN_INCLUSION_BLOCKS,
        });
    }
    CONFIG.save(
        deps.storage,
        &Config {
            verifier: verifier.clone(),
            denom: msg.denom,
            inclusion_blocks: msg.inclusion_blocks,
        },
    )?;
    // Offer itself to the verifier (adopted only if it has none and one account created both).
    let adopt = WasmMsg::Execute {
        contract_addr: verifier.into_string(),
        msg: to_json_binary(&VerifierMsg::AdoptSettlement {})?,
        funds: vec![],
    };
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_message(adopt))
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    execute_with(deps, env, info, msg, &Host)
}

/// `execute` with the chain's verifier given (a stand-in in unit tests).
pub fn execute_with(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Deposit {
            rollup,
            to,
            pubkey_x,
            pubkey_y,
            key_proof,
        } => deposit(
            deps,
            env,
            info,
            rollup,
            to,
            pubkey_x,
            pubkey_y,
            key_proof.as_ref().map(|p| p.0.as_slice()),
            verifier,
        ),
        ExecuteMsg::Settle {
            rollup,
            batch,
            deposits,
            payouts,
            fees,
            operator,
        } => {
            let fees = Payout {
                recipient: operator,
                amount: fees,
            };
            settle(deps, env, info, rollup, batch, deposits, payouts, fees)
        }
        ExecuteMsg::Reject { rollup, seq } => reject(deps, env, info, rollup, seq),
        ExecuteMsg::Freeze { rollup } => {
            only_verifier(&deps, &info)?;
            let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
            shard.frozen = true;
            SHARDS.save(deps.storage, rollup, &shard)?;
            Ok(Response::new()
                .add_attribute("action", "freeze")
                .add_event(Event::new("rollup_frozen").add_attribute("rollup", rollup.to_string())))
        }
        ExecuteMsg::PayExit {
            rollup,
            index,
            amount,
        } => pay_exit(deps, info, rollup, index, amount.0),
        ExecuteMsg::RefundPending { rollup, limit } => refund_pending(deps, env, rollup, limit),
    }
}

fn only_verifier(deps: &DepsMut, info: &MessageInfo) -> Result<Config, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.verifier {
        return Err(ContractError::NotVerifier);
    }
    Ok(cfg)
}

fn pay(to: &Addr, amount: u128, denom: &str) -> Option<BankMsg> {
    (amount > 0).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(amount, denom)],
    })
}

/// Refunds the queue's front deposit `seq` of a live rollup, which the verifier showed no batch
/// can include.
fn reject(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    rollup: u32,
    seq: u64,
) -> Result<Response, ContractError> {
    let cfg = only_verifier(&deps, &info)?;
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
    let q = match QUEUE.may_load(deps.storage, (rollup, seq))? {
        Some(q) if seq == shard.included_seq => q,
        _ => return Err(ContractError::NotQueueFront { rollup, seq }),
    };
    QUEUE.remove(deps.storage, (rollup, seq));
    shard.included_seq += 1;
    shard.front_since = env.block.height;
    shard.pending -= Uint128::new(q.op.amount.0);
    SHARDS.save(deps.storage, rollup, &shard)?;
    let mut resp = Response::new().add_attribute("action", "reject").add_event(
        Event::new("rollup_deposit_rejected")
            .add_attribute("rollup", rollup.to_string())
            .add_attribute("seq", seq.to_string())
            .add_attribute("refunded", q.op.amount.0.to_string()),
    );
    if let Some(m) = pay(&q.depositor, q.op.amount.0, &cfg.denom) {
        resp = resp.add_message(m);
    }
    Ok(resp)
}

fn pay_exit(
    deps: DepsMut,
    info: MessageInfo,
    rollup: u32,
    index: u32,
    amount: u128,
) -> Result<Response, ContractError> {
    let cfg = only_verifier(&deps, &info)?;
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
    if !shard.frozen {
        return Err(ContractError::NotFrozen(rollup));
    }
    if amount > shard.held.u128() {
        return Err(ContractError::Overdrawn {
            rollup,
            wanted: amount,
            held: shard.held.u128(),
        });
    }
    let (owner, _, _) = OWNERS
        .may_load(deps.storage, (rollup, index))?
        .ok_or(ContractError::NoOwner { rollup, index })?;
    shard.held -= Uint128::new(amount);
    shard.exited += Uint128::new(amount);
    SHARDS.save(deps.storage, rollup, &shard)?;
    let mut resp = Response::new()
        .add_attribute("action", "pay_exit")
        .add_event(
            Event::new("rollup_exit")
                .add_attribute("rollup", rollup.to_string())
                .add_attribute("index", index.to_string())
                .add_attribute("owner", owner.as_str())
                .add_attribute("amount", amount.to_string()),
        );
    if let Some(m) = pay(&owner, amount, &cfg.denom) {
        resp = resp.add_message(m);
    }
    Ok(resp)
}

/// After a freeze, queued deposits go back to their depositors, oldest first, `limit` at a
/// time (the queue may be long; each call's work is bounded).
fn refund_pending(
    deps: DepsMut,
    env: Env,
    rollup: u32,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
    if !shard.frozen {
        return Err(ContractError::NotFrozen(rollup));
    }
    let limit = limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT) as usize;
    let due: Vec<(u64, Queued)> = QUEUE
        .prefix(rollup)
        .range(deps.storage, None, None, Order::Ascending)
        .take(limit)
        .collect::<StdResult<_>>()?;
    let mut resp = Response::new().add_attribute("action", "refund_pending");
    let mut total = 0u128;
    for (seq, q) in &due {
        QUEUE.remove(deps.storage, (rollup, *seq));
        shard.included_seq = seq + 1;
        total += q.op.amount.0;
        if let Some(m) = pay(&q.depositor, q.op.amount.0, &cfg.denom) {
            resp = resp.add_message(m);
        }
    }
    shard.pending -= Uint128::new(total);
    shard.refunded += Uint128::new(total);
    shard.front_since = env.block.height;
    SHARDS.save(deps.storage, rollup, &shard)?;
    Ok(resp.add_event(
        Event::new("rollup_refunds")
            .add_attribute("rollup", rollup.to_string())
            .add_attribute("count", due.len().to_string())
            .add_attribute("amount", total.to_string()),
    ))
}

#[allow(clippy::too_many_arguments)]
fn deposit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    rollup: u32,
    to: u32,
    pubkey_x: Hex32,
    pubkey_y: Hex32,
    key_proof: Option<&[u8]>,
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let amount = match info.funds.as_slice() {
        [Coin { denom, amount }] if *denom == cfg.denom && !amount.is_zero() => *amount,
        _ => return Err(ContractError::WrongFunds(cfg.denom)),
    };
    let Ok(amount) = Uint128::try_from(amount).map(|a| a.u128()) else {
        return Err(ContractError::UnrepresentableAmount(u128::MAX));
    };
    // Refused here rather than left for the operator: a deposit no batch can include would
    // block the queue behind it.
    let representable = u64::try_from(amount).ok().and_then(pack_amount).is_some();
    if !representable {
        return Err(ContractError::UnrepresentableAmount(amount));
    }
    if to >= ACCOUNT_CAPACITY {
        return Err(ContractError::BadAccount(to));
    }
    // Only into a rollup that exists and is live: a deposit queued for an id nobody registered
    // yet would be overdue the moment it is, and one for a frozen rollup could never be included.
    let live = deps
        .querier
        .query_wasm_smart::<RollupInfo>(
            cfg.verifier.as_str(),
            &VerifierQuery::Rollup { id: rollup },
        )
        .map(|r| r.frozen_at.is_none())
        .unwrap_or(false);
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
    if shard.frozen || !live {
        return Err(ContractError::NotLive(rollup));
    }
    // The account's key: set once, by the first deposit, with a proof that its holder wants
    // this depositor to own the account; every later deposit must carry it.
    let new_owner = match OWNERS.may_load(deps.storage, (rollup, to))? {
        Some((_, x, y)) if (x, y) == (pubkey_x, pubkey_y) => false,
        Some(_) => return Err(ContractError::KeyMismatch { rollup, index: to }),
        None => {
            // A key that is not a curve point could never be included.
            if !is_on_curve(&pubkey_x, &pubkey_y) {
                return Err(ContractError::BadPubkey);
            }
            let depositor = deps.api.addr_canonicalize(info.sender.as_str())?;
            let msg = key_possession_message(rollup, to, depositor.as_slice());
            let pk = [pubkey_x.0, pubkey_y.0].concat();
            let proof = key_proof.ok_or(ContractError::BadKeyProof)?;
            if verifier.verify_signature(&pk, &msg, proof) != rollup_host::VALID {
                return Err(ContractError::BadKeyProof);
            }
            OWNERS.save(
                deps.storage,
                (rollup, to),
                &(info.sender.clone(), pubkey_x, pubkey_y),
            )?;
            true
        }
    };
    if shard.next_seq == shard.included_seq {
        // The queue was empty: this deposit is its front from now.
        shard.front_since = env.block.height;
    }
    let seq = shard.next_seq;
    let op = DepositOp {
        to,
        amount: U128(amount),
        pubkey_x,
        pubkey_y,
    };
    QUEUE.save(
        deps.storage,
        (rollup, seq),
        &Queued {
            depositor: info.sender.clone(),
            height: env.block.height,
            op,
        },
    )?;
    shard.next_seq += 1;
    shard.pending += Uint128::new(amount);
    SHARDS.save(deps.storage, rollup, &shard)?;
    Ok(Response::new()
        .add_attribute("action", "deposit")
        .add_event(
            Event::new("rollup_deposit")
                .add_attribute("rollup", rollup.to_string())
                .add_attribute("seq", seq.to_string())
                .add_attribute("to", to.to_string())
                .add_attribute("amount", amount.to_string())
                .add_attribute("depositor", info.sender)
                .add_attribute("sets_key", new_owner.to_string()),
        ))
}

#[allow(clippy::too_many_arguments)]
fn settle(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    rollup: u32,
    batch: u64,
    deposits: Vec<DepositOp>,
    mut payouts: Vec<Payout>,
    fees: Payout,
) -> Result<Response, ContractError> {
    let withdrawals = payouts.len();
    let fee_amount = fees.amount.0;
    payouts.push(fees);
    let cfg = only_verifier(&deps, &info)?;
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
    if shard.frozen {
        return Err(ContractError::Frozen(rollup));
    }
    // The batch's deposits are the queue's front, in order: a batch can neither credit money
    // that was not paid in nor skip a deposit.
    // (Checked in full before anything changes, so a refusal leaves no trace even outside a
    // transaction's rollback.)
    for (position, d) in deposits.iter().enumerate() {
        let seq = shard.included_seq + position as u64;
        match QUEUE.may_load(deps.storage, (rollup, seq))? {
            Some(q) if q.op == *d => {}
            _ => {
                return Err(ContractError::DepositMismatch {
                    rollup,
                    batch,
                    position,
                })
            }
        }
    }
    let included: u128 = deposits.iter().map(|d| d.amount.0).sum();
    let wanted: u128 = payouts.iter().map(|p| p.amount.0).sum();
    let holds = shard.held.u128() + included;
    if wanted > holds {
        return Err(ContractError::Overdrawn {
            rollup,
            wanted,
            held: holds,
        });
    }
    for _ in &deposits {
        QUEUE.remove(deps.storage, (rollup, shard.included_seq));
        shard.included_seq += 1;
    }
    if !deposits.is_empty() {
        shard.front_since = env.block.height;
    }
    shard.pending -= Uint128::new(included);
    shard.held = Uint128::new(holds - wanted);
    SHARDS.save(deps.storage, rollup, &shard)?;
    let mut resp = Response::new().add_attribute("action", "settle").add_event(
        Event::new("rollup_settled")
            .add_attribute("rollup", rollup.to_string())
            .add_attribute("batch", batch.to_string())
            .add_attribute("deposits", deposits.len().to_string())
            .add_attribute("withdrawals", withdrawals.to_string())
            .add_attribute("fees", fee_amount.to_string())
            .add_attribute("paid", wanted.to_string()),
    );
    for p in &payouts {
        let to = deps.api.addr_validate(&p.recipient)?;
        if let Some(m) = pay(&to, p.amount.0, &cfg.denom) {
            resp = resp.add_message(m);
        }
    }
    Ok(resp)
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let cfg = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                verifier: cfg.verifier.into_string(),
                denom: cfg.denom,
                inclusion_blocks: cfg.inclusion_blocks,
            })
        }
        QueryMsg::Rollup { rollup } => {
            let cfg = CONFIG.load(deps.storage)?;
            let s = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
            let oldest = QUEUE.may_load(deps.storage, (rollup, s.included_seq))?;
            let overdue = oldest.is_some_and(|q| {
                let waiting_since = q.height.max(s.front_since);
                env.block.height > waiting_since.saturating_add(cfg.inclusion_blocks)
            });
            to_json_binary(&RollupBalance {
                rollup,
                held: U128(s.held.u128()),
                pending: U128(s.pending.u128()),
                next_seq: s.next_seq,
                included_seq: s.included_seq,
                overdue,
                frozen: s.frozen,
                exited: U128(s.exited.u128()),
                refunded: U128(s.refunded.u128()),
            })
        }
        QueryMsg::Owner { rollup, index } => {
            let o = OWNERS.may_load(deps.storage, (rollup, index))?;
            to_json_binary(&OwnerResponse {
                owner: o.as_ref().map(|(a, _, _)| a.to_string()),
                pubkey_x: o.as_ref().map(|(_, x, _)| *x),
                pubkey_y: o.as_ref().map(|(_, _, y)| *y),
            })
        }
        QueryMsg::Pending {
            rollup,
            start_after,
            limit,
        } => {
            let limit = limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT) as usize;
            let deposits = QUEUE
                .prefix(rollup)
                .range(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit)
                .map(|r| {
                    r.map(|(seq, q)| PendingDeposit {
                        seq,
                        depositor: q.depositor.into_string(),
                        height: q.height,
                        op: q.op,
                    })
                })
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&PendingResponse { deposits })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
    use cosmwasm_std::{coins, from_json, Addr, CosmosMsg, OwnedDeps};

    type Deps =
        OwnedDeps<cosmwasm_std::testing::MockStorage, MockApi, cosmwasm_std::testing::MockQuerier>;

    /// The chain's verifier as the tests need it: every key proof holds unless it is empty.
    struct Stand;
    impl ProofVerifier for Stand {
        fn verify_batch(&self, _: &[u8], _: &[u8], _: &[u8]) -> u32 {
            rollup_host::UNSUPPORTED
        }
        fn vk_digest(&self, _: u32) -> Result<[u8; 32], u32> {
            Err(rollup_host::UNSUPPORTED)
        }
        fn verify_exit(&self, _: &[u8; 32], _: &[u8]) -> u32 {
            rollup_host::UNSUPPORTED
        }
        fn verify_signature(&self, _: &[u8], _: &[u8], sig: &[u8]) -> u32 {
            if sig.is_empty() {
                rollup_host::INVALID
            } else {
                rollup_host::VALID
            }
        }
    }

    /// `execute` against the stand-in verifier.
    fn execute(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        execute_with(deps, env, info, msg, &Stand)
    }

    /// The verifier contract as the mock querier answers: rollups 1 and 2 live, 3 frozen.
    fn mock_verifier(deps: &mut Deps) {
        use cosmwasm_std::{ContractResult, SystemResult, WasmQuery};
        deps.querier.update_wasm(|q| {
            let WasmQuery::Smart { msg, .. } = q else {
                panic!("unexpected {q:?}")
            };
            let VerifierQuery::Rollup { id } = from_json(msg).unwrap() else {
                panic!("unexpected")
            };
            if id > 3 {
                return SystemResult::Ok(ContractResult::Err(format!("no rollup {id}")));
            }
            let info = RollupInfo {
                id,
                operator: "op".into(),
                ops_per_step: 3,
                vk_digest: Hex32::default(),
                state_root: Hex32::default(),
                batch_index: 0,
                registered_height: 1,
                last_batch_height: 1,
                bond: U128(0),
                frozen_at: (id == 3).then_some(5),
            };
            SystemResult::Ok(ContractResult::Ok(to_json_binary(&info).unwrap()))
        });
    }

    fn setup() -> (Deps, Addr) {
        let mut deps = mock_dependencies();
        mock_verifier(&mut deps);
        let verifier = deps.api.addr_make("verifier");
        let msg = InstantiateMsg {
            verifier: verifier.to_string(),
            denom: "uxyz".into(),
            inclusion_blocks: 10,
        };
        let r = instantiate(deps.as_mut(), mock_env(), message_info(&verifier, &[]), msg).unwrap();
        // it offers itself to the verifier
        assert_eq!(r.messages.len(), 1);
        (deps, verifier)
    }

    /// A point of Vesta: x = -1, y = 2 (y² = x³ + 5).
    fn key() -> (Hex32, Hex32) {
        let mut x = [0u8; 32];
        x[..8].copy_from_slice(&0x8c46eb2100000000u64.to_le_bytes());
        x[8..16].copy_from_slice(&0x224698fc0994a8ddu64.to_le_bytes());
        x[24..].copy_from_slice(&0x4000000000000000u64.to_le_bytes());
        let mut y = [0u8; 32];
        y[0] = 2;
        (Hex32(x), Hex32(y))
    }

    fn deposit_msg(to: u32) -> ExecuteMsg {
        let (pubkey_x, pubkey_y) = key();
        ExecuteMsg::Deposit {
            rollup: 1,
            to,
            pubkey_x,
            pubkey_y,
            key_proof: Some(rollup_msgs::Base64(vec![1; 96])),
        }
    }

    fn op(to: u32, amount: u128) -> DepositOp {
        let (pubkey_x, pubkey_y) = key();
        DepositOp {
            to,
            amount: U128(amount),
            pubkey_x,
            pubkey_y,
        }
    }

    fn balance(deps: &Deps) -> RollupBalance {
        from_json(query(deps.as_ref(), mock_env(), QueryMsg::Rollup { rollup: 1 }).unwrap())
            .unwrap()
    }

    fn settle_as(
        deps: &mut Deps,
        who: &Addr,
        deposits: Vec<DepositOp>,
        payouts: Vec<Payout>,
    ) -> Result<Response, ContractError> {
        settle_with_fees(deps, who, deposits, payouts, 0)
    }

    fn settle_with_fees(
        deps: &mut Deps,
        who: &Addr,
        deposits: Vec<DepositOp>,
        payouts: Vec<Payout>,
        fees: u128,
    ) -> Result<Response, ContractError> {
        let operator = deps.api.addr_make("operator").to_string();
        let msg = ExecuteMsg::Settle {
            rollup: 1,
            batch: 0,
            deposits,
            payouts,
            fees: U128(fees),
            operator,
        };
        execute(deps.as_mut(), mock_env(), message_info(who, &[]), msg)
    }

    #[test]
    fn a_batch_pays_its_fees_to_the_operator_within_what_the_rollup_holds() {
        let (mut deps, verifier) = setup();
        let alice = deps.api.addr_make("alice");
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&alice, &coins(100, "uxyz")),
            deposit_msg(3),
        )
        .unwrap();
        let e = settle_with_fees(&mut deps, &verifier, vec![op(3, 100)], vec![], 101);
        assert!(matches!(e, Err(ContractError::Overdrawn { .. })));
        let r = settle_with_fees(&mut deps, &verifier, vec![op(3, 100)], vec![], 7).unwrap();
        let operator = deps.api.addr_make("operator");
        assert_eq!(
            r.messages[0].msg,
            CosmosMsg::Bank(BankMsg::Send {
                to_address: operator.to_string(),
                amount: coins(7, "uxyz")
            })
        );
        assert_eq!(balance(&deps).held, U128(93));
    }

    #[test]
    fn deposits_need_one_representable_coin_and_a_tree_index() {
        let (mut deps, _) = setup();
        let user = deps.api.addr_make("user");
        let run = |deps: &mut Deps, funds: &[Coin], to: u32| {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&user, funds),
                deposit_msg(to),
            )
        };
        assert_eq!(
            run(&mut deps, &[], 0).unwrap_err(),
            ContractError::WrongFunds("uxyz".into())
        );
        assert!(run(&mut deps, &coins(5, "other"), 0).is_err());
        assert_eq!(
            run(&mut deps, &coins((1 << 30) + 1, "uxyz"), 0).unwrap_err(),
            ContractError::UnrepresentableAmount((1 << 30) + 1)
        );
        assert_eq!(
            run(&mut deps, &coins(5, "uxyz"), 1 << 24).unwrap_err(),
            ContractError::BadAccount(1 << 24)
        );
        run(&mut deps, &coins(5_000_000_000, "uxyz"), 3).unwrap();
        let b = balance(&deps);
        assert_eq!(
            (b.pending, b.held, b.next_seq, b.included_seq),
            (U128(5_000_000_000), U128(0), 1, 0)
        );
    }

    #[test]
    fn settling_includes_the_queue_front_in_order_and_pays_within_what_the_rollup_holds() {
        let (mut deps, verifier) = setup();
        let user = deps.api.addr_make("user");
        for (to, amount) in [(3, 100u128), (4, 50)] {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&user, &coins(amount, "uxyz")),
                deposit_msg(to),
            )
            .unwrap();
        }
        // only the verifier settles
        assert_eq!(
            settle_as(&mut deps, &user, vec![], vec![]).unwrap_err(),
            ContractError::NotVerifier
        );
        // out of order, forged amounts, skipped deposits: refused
        for bad in [
            vec![op(4, 50)],
            vec![op(3, 101)],
            vec![op(3, 100), op(3, 100)],
        ] {
            assert!(matches!(
                settle_as(&mut deps, &verifier, bad, vec![]),
                Err(ContractError::DepositMismatch { .. })
            ));
        }
        let pay = |amount| Payout {
            recipient: user.to_string(),
            amount: U128(amount),
        };
        // more than it holds (the first deposit only: 100)
        assert_eq!(
            settle_as(&mut deps, &verifier, vec![op(3, 100)], vec![pay(101)]).unwrap_err(),
            ContractError::Overdrawn {
                rollup: 1,
                wanted: 101,
                held: 100
            }
        );
        let r = settle_as(&mut deps, &verifier, vec![op(3, 100)], vec![pay(30)]).unwrap();
        assert_eq!(
            r.messages[0].msg,
            CosmosMsg::Bank(BankMsg::Send {
                to_address: user.to_string(),
                amount: coins(30, "uxyz")
            })
        );
        let b = balance(&deps);
        assert_eq!((b.held, b.pending, b.included_seq), (U128(70), U128(50), 1));
        let p: PendingResponse = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Pending {
                    rollup: 1,
                    start_after: None,
                    limit: None,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(p.deposits.len(), 1);
        assert_eq!(
            (p.deposits[0].seq, p.deposits[0].op.clone()),
            (1, op(4, 50))
        );
    }

    fn run(deps: &mut Deps, who: &Addr, msg: ExecuteMsg) -> Result<Response, ContractError> {
        execute(deps.as_mut(), mock_env(), message_info(who, &[]), msg)
    }

    #[test]
    fn a_frozen_rollup_pays_exits_to_owners_refunds_the_queue_and_takes_nothing_new() {
        let (mut deps, verifier) = setup();
        let (alice, bob) = (deps.api.addr_make("alice"), deps.api.addr_make("bob"));
        for (who, to, amount) in [(&alice, 3, 100u128), (&bob, 4, 50), (&bob, 5, 7)] {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(who, &coins(amount, "uxyz")),
                deposit_msg(to),
            )
            .unwrap();
        }
        settle_as(&mut deps, &verifier, vec![op(3, 100), op(4, 50)], vec![]).unwrap();
        let owner = |deps: &Deps, index| -> OwnerResponse {
            from_json(
                query(
                    deps.as_ref(),
                    mock_env(),
                    QueryMsg::Owner { rollup: 1, index },
                )
                .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(owner(&deps, 3).owner, Some(alice.to_string()));
        assert_eq!(owner(&deps, 4).owner, Some(bob.to_string()));
        assert_eq!(
            owner(&deps, 5).owner,
            Some(bob.to_string()),
            "set by its first deposit, included or not"
        );
        // only while frozen, only from the verifier
        let exit = |index, amount| ExecuteMsg::PayExit {
            rollup: 1,
            index,
            amount: U128(amount),
        };
        assert_eq!(
            run(&mut deps, &verifier, exit(3, 10)).unwrap_err(),
            ContractError::NotFrozen(1)
        );
        let refund = ExecuteMsg::RefundPending {
            rollup: 1,
            limit: None,
        };
        assert_eq!(
            run(&mut deps, &alice, refund.clone()).unwrap_err(),
            ContractError::NotFrozen(1)
        );
        assert_eq!(
            run(&mut deps, &alice, ExecuteMsg::Freeze { rollup: 1 }).unwrap_err(),
            ContractError::NotVerifier
        );
        run(&mut deps, &verifier, ExecuteMsg::Freeze { rollup: 1 }).unwrap();
        // frozen: no deposits, no batches
        let late = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&alice, &coins(5, "uxyz")),
            deposit_msg(3),
        );
        assert_eq!(late.unwrap_err(), ContractError::NotLive(1));
        assert_eq!(
            settle_as(&mut deps, &verifier, vec![], vec![]).unwrap_err(),
            ContractError::Frozen(1)
        );
        // exits pay owners; never more than the rollup holds; unknown accounts have no owner
        let r = run(&mut deps, &verifier, exit(3, 90)).unwrap();
        assert_eq!(
            r.messages[0].msg,
            CosmosMsg::Bank(BankMsg::Send {
                to_address: alice.to_string(),
                amount: coins(90, "uxyz")
            })
        );
        assert_eq!(
            run(&mut deps, &verifier, exit(4, 61)).unwrap_err(),
            ContractError::Overdrawn {
                rollup: 1,
                wanted: 61,
                held: 60
            }
        );
        assert_eq!(
            run(&mut deps, &verifier, exit(9, 0)).unwrap_err(),
            ContractError::NoOwner {
                rollup: 1,
                index: 9
            }
        );
        run(&mut deps, &verifier, exit(4, 60)).unwrap();
        // the queued deposit goes back to its depositor
        let r = run(&mut deps, &alice, refund).unwrap();
        assert_eq!(
            r.messages[0].msg,
            CosmosMsg::Bank(BankMsg::Send {
                to_address: bob.to_string(),
                amount: coins(7, "uxyz")
            })
        );
        let b = balance(&deps);
        assert_eq!(
            (b.held, b.pending, b.exited, b.refunded, b.frozen),
            (U128(0), U128(0), U128(150), U128(7), true)
        );
    }

    #[test]
    fn only_the_queue_front_can_be_rejected_and_it_is_refunded() {
        let (mut deps, verifier) = setup();
        let alice = deps.api.addr_make("alice");
        for to in [3, 4] {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &coins(10, "uxyz")),
                deposit_msg(to),
            )
            .unwrap();
        }
        assert_eq!(
            run(&mut deps, &alice, ExecuteMsg::Reject { rollup: 1, seq: 0 }).unwrap_err(),
            ContractError::NotVerifier
        );
        assert_eq!(
            run(
                &mut deps,
                &verifier,
                ExecuteMsg::Reject { rollup: 1, seq: 1 }
            )
            .unwrap_err(),
            ContractError::NotQueueFront { rollup: 1, seq: 1 }
        );
        let r = run(
            &mut deps,
            &verifier,
            ExecuteMsg::Reject { rollup: 1, seq: 0 },
        )
        .unwrap();
        assert_eq!(r.messages.len(), 1);
        let b = balance(&deps);
        assert_eq!((b.pending, b.included_seq), (U128(10), 1));
        // the next batch starts its deposits at the new front
        settle_as(&mut deps, &verifier, vec![op(4, 10)], vec![]).unwrap();
    }

    #[test]
    fn a_deposit_waiting_past_the_inclusion_deadline_is_overdue() {
        let (mut deps, _) = setup();
        let alice = deps.api.addr_make("alice");
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&alice, &coins(10, "uxyz")),
            deposit_msg(3),
        )
        .unwrap();
        assert!(!balance(&deps).overdue);
        let mut env = mock_env();
        env.block.height += 11;
        let b: RollupBalance =
            from_json(query(deps.as_ref(), env, QueryMsg::Rollup { rollup: 1 }).unwrap()).unwrap();
        assert!(b.overdue);
    }

    #[test]
    fn an_account_key_is_set_once_with_a_proof_and_only_live_rollups_take_deposits() {
        let (mut deps, _) = setup();
        let (alice, mallory) = (deps.api.addr_make("alice"), deps.api.addr_make("mallory"));
        let (x, y) = key();
        let dep = |rollup, proof: Option<Vec<u8>>| ExecuteMsg::Deposit {
            rollup,
            to: 7,
            pubkey_x: x,
            pubkey_y: y,
            key_proof: proof.map(rollup_msgs::Base64),
        };
        let run = |deps: &mut Deps, who: &Addr, msg| {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(who, &coins(5, "uxyz")),
                msg,
            )
        };
        // unknown and frozen rollups take nothing (a deposit before registration would be
        // overdue at once)
        assert_eq!(
            run(&mut deps, &alice, dep(9, Some(vec![1]))).unwrap_err(),
            ContractError::NotLive(9)
        );
        assert_eq!(
            run(&mut deps, &alice, dep(3, Some(vec![1]))).unwrap_err(),
            ContractError::NotLive(3)
        );
        // the first deposit needs the key's proof, and makes its depositor the owner
        assert_eq!(
            run(&mut deps, &alice, dep(1, None)).unwrap_err(),
            ContractError::BadKeyProof
        );
        assert_eq!(
            run(&mut deps, &alice, dep(1, Some(vec![]))).unwrap_err(),
            ContractError::BadKeyProof
        );
        run(&mut deps, &alice, dep(1, Some(vec![1]))).unwrap();
        // later deposits: the same key (no proof needed, and no new owner), never another
        run(&mut deps, &mallory, dep(1, None)).unwrap();
        let other = ExecuteMsg::Deposit {
            rollup: 1,
            to: 7,
            pubkey_x: x,
            pubkey_y: Hex32([9; 32]),
            key_proof: Some(rollup_msgs::Base64(vec![1])),
        };
        assert_eq!(
            run(&mut deps, &mallory, other).unwrap_err(),
            ContractError::KeyMismatch {
                rollup: 1,
                index: 7
            }
        );
        let o: OwnerResponse = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Owner {
                    rollup: 1,
                    index: 7,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!((o.owner, o.pubkey_x), (Some(alice.to_string()), Some(x)));
    }

    #[test]
    fn a_deposit_waits_from_when_it_reached_the_front() {
        let (mut deps, verifier) = setup();
        let alice = deps.api.addr_make("alice");
        for to in [3, 4] {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &coins(10, "uxyz")),
                deposit_msg(to),
            )
            .unwrap();
        }
        // the first is included 8 blocks later: the second's wait starts then
        let mut later = mock_env();
        later.block.height += 8;
        let operator = deps.api.addr_make("operator").to_string();
        let msg = ExecuteMsg::Settle {
            rollup: 1,
            batch: 0,
            deposits: vec![op(3, 10)],
            payouts: vec![],
            fees: U128(0),
            operator,
        };
        execute(
            deps.as_mut(),
            later.clone(),
            message_info(&verifier, &[]),
            msg,
        )
        .unwrap();
        let at = |deps: &Deps, dh: u64| -> bool {
            let mut env = mock_env();
            env.block.height += dh;
            from_json::<RollupBalance>(
                query(deps.as_ref(), env, QueryMsg::Rollup { rollup: 1 }).unwrap(),
            )
            .unwrap()
            .overdue
        };
        assert!(
            !at(&deps, 8 + 10),
            "10 blocks at the front: not yet overdue"
        );
        assert!(at(&deps, 8 + 11));
    }
}
