//! Entry points and handlers.

use cosmwasm_std::{
    entry_point, to_json_binary, BankMsg, Binary, Coin, Deps, DepsMut, Env, Event, MessageInfo,
    Order, Response, StdResult, Uint128,
};
use cw_storage_plus::Bound;
use rollup_msgs::data::{is_canonical_field, pack_amount, ACCOUNT_CAPACITY};
use rollup_msgs::{Hex32, U128};

use crate::error::ContractError;
use crate::msg::{
    ConfigResponse, DepositOp, ExecuteMsg, InstantiateMsg, Payout, PendingDeposit, PendingResponse,
    QueryMsg, RollupBalance,
};
use crate::state::{Config, Queued, CONFIG, QUEUE, SHARDS};

const MAX_LIMIT: u32 = 100;

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let verifier = deps.api.addr_validate(&msg.verifier)?;
    CONFIG.save(
        deps.storage,
        &Config {
            verifier,
            denom: msg.denom,
        },
    )?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Deposit {
            rollup,
            to,
            pubkey_x,
            pubkey_y,
        } => deposit(deps, env, info, rollup, to, pubkey_x, pubkey_y),
        ExecuteMsg::Settle {
            rollup,
            batch,
            deposits,
            payouts,
        } => settle(deps, info, rollup, batch, deposits, payouts),
    }
}

fn deposit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    rollup: u32,
    to: u32,
    pubkey_x: Hex32,
    pubkey_y: Hex32,
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
    // Key coordinates that are not field elements could never be published in a batch.
    if !is_canonical_field(&pubkey_x) || !is_canonical_field(&pubkey_y) {
        return Err(ContractError::BadPubkey);
    }
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
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
                .add_attribute("depositor", info.sender),
        ))
}

fn settle(
    deps: DepsMut,
    info: MessageInfo,
    rollup: u32,
    batch: u64,
    deposits: Vec<DepositOp>,
    payouts: Vec<Payout>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.verifier {
        return Err(ContractError::NotVerifier);
    }
    let mut shard = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
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
    shard.pending -= Uint128::new(included);
    shard.held = Uint128::new(holds - wanted);
    SHARDS.save(deps.storage, rollup, &shard)?;
    let mut resp = Response::new().add_attribute("action", "settle").add_event(
        Event::new("rollup_settled")
            .add_attribute("rollup", rollup.to_string())
            .add_attribute("batch", batch.to_string())
            .add_attribute("deposits", deposits.len().to_string())
            .add_attribute("payouts", payouts.len().to_string())
            .add_attribute("paid", wanted.to_string()),
    );
    for p in payouts.into_iter().filter(|p| p.amount.0 > 0) {
        deps.api.addr_validate(&p.recipient)?;
        resp = resp.add_message(BankMsg::Send {
            to_address: p.recipient,
            amount: vec![Coin::new(p.amount.0, cfg.denom.clone())],
        });
    }
    Ok(resp)
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let cfg = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                verifier: cfg.verifier.into_string(),
                denom: cfg.denom,
            })
        }
        QueryMsg::Rollup { rollup } => {
            let s = SHARDS.may_load(deps.storage, rollup)?.unwrap_or_default();
            to_json_binary(&RollupBalance {
                rollup,
                held: U128(s.held.u128()),
                pending: U128(s.pending.u128()),
                next_seq: s.next_seq,
                included_seq: s.included_seq,
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

    fn setup() -> (Deps, Addr) {
        let mut deps = mock_dependencies();
        let verifier = deps.api.addr_make("verifier");
        let msg = InstantiateMsg {
            verifier: verifier.to_string(),
            denom: "uxyz".into(),
        };
        instantiate(deps.as_mut(), mock_env(), message_info(&verifier, &[]), msg).unwrap();
        (deps, verifier)
    }

    fn deposit_msg(to: u32) -> ExecuteMsg {
        ExecuteMsg::Deposit {
            rollup: 1,
            to,
            pubkey_x: Hex32([1; 32]),
            pubkey_y: Hex32([2; 32]),
        }
    }

    fn op(to: u32, amount: u128) -> DepositOp {
        DepositOp {
            to,
            amount: U128(amount),
            pubkey_x: Hex32([1; 32]),
            pubkey_y: Hex32([2; 32]),
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
        let msg = ExecuteMsg::Settle {
            rollup: 1,
            batch: 0,
            deposits,
            payouts,
        };
        execute(deps.as_mut(), mock_env(), message_info(who, &[]), msg)
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
}
