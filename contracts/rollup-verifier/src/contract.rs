//! Entry points and handlers.

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, AnyMsg, Binary, CanonicalAddr, CosmosMsg, Deps, DepsMut,
    Env, Event, MessageInfo, Order, Response, StdResult, Uint128, Uint256, WasmMsg,
};
use cw_storage_plus::Bound;
use rollup_msgs::data::{parse_batch, parse_exit, recipient_bytes, ExitClaim};
use rollup_msgs::verifier::EMPTY_ROOT;
use rollup_msgs::xx::{DepositOp, Payout};
use rollup_msgs::{Hex32, U128};
use sha2::{Digest, Sha256};

use crate::error::ContractError;
use crate::msg::{
    BatchInfo, ConfigResponse, ExecuteMsg, InstantiateMsg, PendingResponse, QueryMsg,
    RollupBalance, RollupInfo, RollupsResponse, SettlementConfig, SettlementMsg, SettlementQuery,
};
use crate::state::{Batch, Config, Rollup, BATCHES, CONFIG, EXITED, NEXT_ID, ROLLUPS};
use crate::zk::{self, Host, ProofVerifier};

const MAX_LIMIT: u32 = 100;
/// A rollup may be frozen for silence only after this many blocks without a batch: shorter
/// windows would let a few slow blocks freeze an honest operator.
pub const MIN_LIVENESS_BLOCKS: u64 = 5;

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let governance = deps.api.addr_validate(&msg.governance)?;
    if msg.liveness_blocks < MIN_LIVENESS_BLOCKS {
        return Err(ContractError::DeadlineTooShort {
            what: "liveness_blocks",
            min: MIN_LIVENESS_BLOCKS,
        });
    }
    CONFIG.save(
        deps.storage,
        &Config {
            governance,
            settlement: None,
            operator_bond: Uint128::new(msg.operator_bond.0),
            bond_denom: msg.bond_denom,
            liveness_blocks: msg.liveness_blocks,
        },
    )?;
    NEXT_ID.save(deps.storage, &1)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
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

/// `execute` with the verifier given (the chain's, or a stand-in in unit tests).
pub fn execute_with(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Register {
            ops_per_step,
            operator,
        } => register(deps, env, info, ops_per_step, operator, verifier),
        ExecuteMsg::SubmitBatch {
            rollup,
            new_root,
            data,
            proof,
        } => submit_batch(
            deps, env, info, rollup, new_root, &data.0, &proof.0, verifier,
        ),
        ExecuteMsg::SetSettlement { address } => {
            let mut cfg = CONFIG.load(deps.storage)?;
            if info.sender != cfg.governance {
                return Err(ContractError::NotGovernance("set the settlement contract"));
            }
            cfg.settlement = Some(deps.api.addr_validate(&address)?);
            CONFIG.save(deps.storage, &cfg)?;
            Ok(Response::new()
                .add_attribute("action", "set_settlement")
                .add_attribute("settlement", address))
        }
        ExecuteMsg::AdoptSettlement {} => adopt_settlement(deps, env, info),
        ExecuteMsg::Freeze { rollup } => freeze(deps, env, rollup),
        ExecuteMsg::Exit { rollup, proof } => exit(deps, rollup, &proof.0, verifier),
        ExecuteMsg::RejectDeposit { rollup, proof } => {
            reject_deposit(deps, rollup, &proof.0, verifier)
        }
    }
}

fn settlement_of(cfg: &Config) -> Result<Addr, ContractError> {
    cfg.settlement.clone().ok_or(ContractError::NoSettlement)
}

fn load_rollup(deps: &DepsMut, id: u32) -> Result<Rollup, ContractError> {
    ROLLUPS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownRollup(id))
}

fn settle_msg(settlement: &Addr, msg: &SettlementMsg) -> StdResult<WasmMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: settlement.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    })
}

/// A new `xx` offering itself: adopted once, if it names this verifier and was created by the
/// account that created this contract (so only the deployer's own `xx` is ever adopted).
fn adopt_settlement(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    if cfg.settlement.is_some() {
        return Err(ContractError::CannotAdopt);
    }
    let theirs = deps
        .querier
        .query_wasm_contract_info(info.sender.as_str())
        .map_err(|_| ContractError::CannotAdopt)?;
    let ours = deps
        .querier
        .query_wasm_contract_info(env.contract.address.as_str())?;
    let named: SettlementConfig = deps
        .querier
        .query_wasm_smart(info.sender.as_str(), &SettlementQuery::Config {})
        .map_err(|_| ContractError::CannotAdopt)?;
    if theirs.creator != ours.creator || named.verifier != env.contract.address.as_str() {
        return Err(ContractError::CannotAdopt);
    }
    cfg.settlement = Some(info.sender.clone());
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "adopt_settlement")
        .add_attribute("settlement", info.sender))
}

/// Anyone may freeze a rollup whose operator stopped: no batch for `liveness_blocks`, or a
/// deposit left out past `xx`'s inclusion deadline (forced inclusion).
fn freeze(deps: DepsMut, env: Env, id: u32) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let settlement = settlement_of(&cfg)?;
    let mut rollup = load_rollup(&deps, id)?;
    if rollup.frozen_at.is_some() {
        return Err(ContractError::Frozen(id));
    }
    let stalled = env.block.height > rollup.last_batch_height.saturating_add(cfg.liveness_blocks);
    let shard: RollupBalance = deps
        .querier
        .query_wasm_smart(settlement.as_str(), &SettlementQuery::Rollup { rollup: id })?;
    if !stalled && !shard.overdue {
        return Err(ContractError::Live {
            rollup: id,
            last: rollup.last_batch_height,
        });
    }
    rollup.frozen_at = Some(env.block.height);
    ROLLUPS.save(deps.storage, id, &rollup)?;
    let why = if stalled {
        "no batch"
    } else {
        "deposit overdue"
    };
    Ok(Response::new()
        .add_attribute("action", "freeze")
        .add_message(settle_msg(
            &settlement,
            &SettlementMsg::Freeze { rollup: id },
        )?)
        .add_event(
            Event::new("rollup_frozen")
                .add_attribute("rollup", id.to_string())
                .add_attribute("reason", why)
                .add_attribute("root", zk::hex(&rollup.state_root)),
        ))
}

/// Checks an exit proof against rollup `id`'s verified root (the rollup frozen or not, as
/// `frozen` asks) and reads the account from it; with the settlement contract that pays.
fn proven_account(
    deps: &DepsMut,
    id: u32,
    frozen: bool,
    proof: &[u8],
    verifier: &dyn ProofVerifier,
) -> Result<(Addr, ExitClaim), ContractError> {
    let settlement = settlement_of(&CONFIG.load(deps.storage)?)?;
    let rollup = load_rollup(deps, id)?;
    match (frozen, rollup.frozen_at.is_some()) {
        (true, false) => return Err(ContractError::NotFrozen(id)),
        (false, true) => return Err(ContractError::Frozen(id)),
        _ => {}
    }
    let claim = parse_exit(proof).map_err(|e| ContractError::BadData(e.to_string()))?;
    match verifier.verify_exit(&rollup.state_root, proof) {
        zk::VALID => Ok((settlement, claim)),
        zk::INVALID => Err(ContractError::InvalidExitProof(id)),
        c => Err(zk::verdict(c, id, &rollup.vk_digest)
            .err()
            .unwrap_or(ContractError::VerifierCode(c))),
    }
}

/// A frozen rollup's account takes out its balance at the last verified root, once; `xx` pays
/// the account's owner. No operator is involved.
fn exit(
    deps: DepsMut,
    id: u32,
    proof: &[u8],
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    let (settlement, account) = proven_account(&deps, id, true, proof, verifier)?;
    if EXITED.has(deps.storage, (id, account.index)) {
        return Err(ContractError::AlreadyExited {
            rollup: id,
            index: account.index,
        });
    }
    if account.balance == 0 {
        return Err(ContractError::NothingToExit(account.index));
    }
    EXITED.save(deps.storage, (id, account.index), &())?;
    let pay = SettlementMsg::PayExit {
        rollup: id,
        index: account.index,
        amount: U128(u128::from(account.balance)),
    };
    Ok(Response::new()
        .add_attribute("action", "exit")
        .add_attribute("rollup", id.to_string())
        .add_attribute("index", account.index.to_string())
        .add_attribute("amount", account.balance.to_string())
        .add_message(settle_msg(&settlement, &pay)?))
}

/// The deposit at the queue's front can never be included when its account, at the verified
/// root, holds another key (keys are set once, by a deposit, and never change) or a balance the
/// deposit would push past 64 bits: refunded, so the queue moves on.
fn reject_deposit(
    deps: DepsMut,
    id: u32,
    proof: &[u8],
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    let (settlement, account) = proven_account(&deps, id, false, proof, verifier)?;
    let front: PendingResponse = deps.querier.query_wasm_smart(
        settlement.as_str(),
        &SettlementQuery::Pending {
            rollup: id,
            start_after: None,
            limit: Some(1),
        },
    )?;
    let d = front
        .deposits
        .first()
        .ok_or(ContractError::NoQueuedDeposit(id))?;
    if d.op.to != account.index {
        return Err(ContractError::BadData(format!(
            "the queued deposit is for account {}, the proof for account {}",
            d.op.to, account.index
        )));
    }
    let empty = account.pubkey_x == Hex32([0; 32]) && account.pubkey_y == Hex32([0; 32]);
    let other_key =
        !empty && (account.pubkey_x, account.pubkey_y) != (d.op.pubkey_x, d.op.pubkey_y);
    let overflows = u128::from(account.balance) + d.op.amount.0 > u128::from(u64::MAX);
    if !other_key && !overflows {
        return Err(ContractError::DepositIsValid);
    }
    let reject = SettlementMsg::Reject {
        rollup: id,
        seq: d.seq,
    };
    Ok(Response::new()
        .add_attribute("action", "reject_deposit")
        .add_attribute("rollup", id.to_string())
        .add_attribute("seq", d.seq.to_string())
        .add_message(settle_msg(&settlement, &reject)?))
}

fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    ops_per_step: u32,
    operator: Option<String>,
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let by_governance = info.sender == cfg.governance;
    let operator = match (&operator, by_governance) {
        (Some(o), true) => deps.api.addr_validate(o)?,
        (Some(o), false) if o.as_str() != info.sender.as_str() => {
            return Err(ContractError::NotGovernance(
                "register a rollup for someone else",
            ))
        }
        _ => info.sender.clone(),
    };
    // Governance bonds nothing; anyone else bonds exactly the configured amount.
    let bond = if by_governance {
        Uint128::zero()
    } else {
        cfg.operator_bond
    };
    let paid: Vec<_> = info.funds.iter().filter(|c| !c.amount.is_zero()).collect();
    let exact = match paid.as_slice() {
        [] => bond.is_zero(),
        [c] => c.denom == cfg.bond_denom && c.amount == Uint256::from(bond.u128()),
        _ => false,
    };
    if !exact {
        return Err(ContractError::WrongBond {
            amount: bond.u128(),
            denom: cfg.bond_denom,
        });
    }
    let vk_digest = verifier
        .vk_digest(ops_per_step)
        .map_err(|code| match code {
            zk::UNKNOWN_KEY => ContractError::UnsupportedStepSize(ops_per_step),
            c => zk::verdict(c, 0, &[0; 32])
                .err()
                .unwrap_or(ContractError::VerifierCode(c)),
        })?;
    let id = NEXT_ID.load(deps.storage)?;
    NEXT_ID.save(deps.storage, &(id + 1))?;
    ROLLUPS.save(
        deps.storage,
        id,
        &Rollup {
            operator: operator.clone(),
            ops_per_step,
            vk_digest,
            state_root: EMPTY_ROOT.0,
            batch_index: 0,
            registered_height: env.block.height,
            last_batch_height: env.block.height,
            bond,
            frozen_at: None,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "register")
        .add_event(
            Event::new("rollup_registered")
                .add_attribute("rollup", id.to_string())
                .add_attribute("operator", operator)
                .add_attribute("ops_per_step", ops_per_step.to_string())
                .add_attribute("vk_digest", zk::hex(&vk_digest)),
        )
        .set_data(to_json_binary(&id)?))
}

#[allow(clippy::too_many_arguments)]
fn submit_batch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u32,
    new_root: Hex32,
    data: &[u8],
    proof: &[u8],
    verifier: &dyn ProofVerifier,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut rollup = ROLLUPS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownRollup(id))?;
    if info.sender != rollup.operator {
        return Err(ContractError::NotOperator { rollup: id });
    }
    if rollup.frozen_at.is_some() {
        return Err(ContractError::Frozen(id));
    }
    let settlement = cfg.settlement.ok_or(ContractError::NoSettlement)?;
    let summary = parse_batch(data).map_err(|e| ContractError::BadData(e.to_string()))?;
    // The proof must start at the verified root: a batch built on any other state (a stale
    // root, a fork of the operator's) cannot verify.
    let mut claim = Vec::with_capacity(104);
    claim.extend_from_slice(&rollup.vk_digest);
    claim.extend_from_slice(&rollup.ops_per_step.to_le_bytes());
    claim.extend_from_slice(&id.to_le_bytes());
    claim.extend_from_slice(&rollup.state_root);
    claim.extend_from_slice(&new_root.0);
    zk::verdict(
        verifier.verify_batch(&claim, data, proof),
        id,
        &rollup.vk_digest,
    )?;

    let payouts = summary
        .withdrawals
        .iter()
        .map(|w| {
            let canonical = CanonicalAddr::from(recipient_bytes(&w.recipient).to_vec());
            Ok(Payout {
                recipient: deps.api.addr_humanize(&canonical)?.into_string(),
                amount: U128(u128::from(w.amount)),
            })
        })
        .collect::<StdResult<Vec<_>>>()?;
    let withdrawn: u128 = payouts.iter().map(|p| p.amount.0).sum();
    let deposits: Vec<DepositOp> = summary
        .deposits
        .iter()
        .map(|d| DepositOp {
            to: d.to,
            amount: U128(u128::from(d.amount)),
            pubkey_x: d.pubkey_x,
            pubkey_y: d.pubkey_y,
        })
        .collect();
    let index = rollup.batch_index;
    let batch = Batch {
        old_root: rollup.state_root,
        new_root: new_root.0,
        data_sha256: Sha256::digest(data).into(),
        deposits: deposits.len() as u32,
        transfers: summary.transfers,
        withdrawals: payouts.len() as u32,
        withdrawn: Uint128::new(withdrawn),
        fees: Uint128::new(summary.fees),
        height: env.block.height,
    };
    BATCHES.save(deps.storage, (id, index), &batch)?;
    rollup.state_root = new_root.0;
    rollup.batch_index += 1;
    rollup.last_batch_height = env.block.height;
    ROLLUPS.save(deps.storage, id, &rollup)?;

    // The money moves in `xx`: it checks the deposits against its queue and pays the
    // withdrawals; if it refuses, this whole batch is refused with it.
    let settle = settle_msg(
        &settlement,
        &SettlementMsg::Settle {
            rollup: id,
            batch: index,
            deposits,
            payouts,
            fees: U128(summary.fees),
            operator: rollup.operator.to_string(),
        },
    )?;
    // The L1 record: the chain puts the verified batch into this epoch's checkpoint.
    let record = CosmosMsg::Any(AnyMsg {
        type_url: rollup_msgs::chain::RECORD_BATCH_TYPE_URL.into(),
        value: Binary::new(rollup_msgs::chain::record_batch(
            env.contract.address.as_str(),
            id,
            index,
            &batch.old_root,
            &batch.new_root,
            &batch.data_sha256,
        )),
    });
    Ok(Response::new()
        .add_attribute("action", "submit_batch")
        .add_message(settle)
        .add_message(record)
        .add_event(
            Event::new("rollup_batch")
                .add_attribute("rollup", id.to_string())
                .add_attribute("index", index.to_string())
                .add_attribute("old_root", zk::hex(&batch.old_root))
                .add_attribute("new_root", zk::hex(&batch.new_root))
                .add_attribute("data_sha256", zk::hex(&batch.data_sha256))
                .add_attribute("deposits", batch.deposits.to_string())
                .add_attribute("transfers", batch.transfers.to_string())
                .add_attribute("withdrawals", batch.withdrawals.to_string())
                .add_attribute("withdrawn", withdrawn.to_string())
                // The data itself, so anyone can rebuild the rollup from the chain's events,
                // whoever (an account or a contract) posted the batch.
                .add_attribute("data", Binary::new(data.to_vec()).to_base64()),
        ))
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => {
            let cfg = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                governance: cfg.governance.into_string(),
                settlement: cfg.settlement.map(Addr::into_string),
                operator_bond: U128(cfg.operator_bond.u128()),
                bond_denom: cfg.bond_denom,
                next_id: NEXT_ID.load(deps.storage)?,
            })?
        }
        QueryMsg::Rollup { id } => {
            let r = ROLLUPS
                .may_load(deps.storage, id)?
                .ok_or(ContractError::UnknownRollup(id))?;
            to_json_binary(&info(id, r))?
        }
        QueryMsg::Rollups { start_after, limit } => {
            let limit = limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT) as usize;
            let rollups = ROLLUPS
                .range(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit)
                .map(|r| r.map(|(id, r)| info(id, r)))
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&RollupsResponse { rollups })?
        }
        QueryMsg::Exited { rollup, index } => {
            to_json_binary(&EXITED.has(deps.storage, (rollup, index)))?
        }
        QueryMsg::Batch { rollup, index } => {
            let b = BATCHES
                .may_load(deps.storage, (rollup, index))?
                .ok_or_else(|| {
                    ContractError::Std(cosmwasm_std::StdError::msg(format!(
                        "rollup {rollup} has no verified batch {index}"
                    )))
                })?;
            to_json_binary(&BatchInfo {
                rollup,
                index,
                old_root: Hex32(b.old_root),
                new_root: Hex32(b.new_root),
                data_sha256: Hex32(b.data_sha256),
                deposits: b.deposits,
                transfers: b.transfers,
                withdrawals: b.withdrawals,
                withdrawn: U128(b.withdrawn.u128()),
                fees: U128(b.fees.u128()),
                height: b.height,
            })?
        }
    })
}

fn info(id: u32, r: Rollup) -> RollupInfo {
    RollupInfo {
        id,
        operator: r.operator.into_string(),
        ops_per_step: r.ops_per_step,
        vk_digest: Hex32(r.vk_digest),
        state_root: Hex32(r.state_root),
        batch_index: r.batch_index,
        registered_height: r.registered_height,
        last_batch_height: r.last_batch_height,
        bond: U128(r.bond.u128()),
        frozen_at: r.frozen_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
    use cosmwasm_std::{coins, from_json, Api, OwnedDeps};
    use rollup_msgs::data::{encode_batch, recipient_field, WithdrawalOp};
    use rollup_msgs::xx::DepositOp;
    use rollup_msgs::Base64;
    use std::cell::RefCell;

    /// A verifier that answers `code` and remembers the claims it saw.
    struct Stand {
        code: u32,
        claims: RefCell<Vec<Vec<u8>>>,
    }
    impl ProofVerifier for Stand {
        fn verify_batch(&self, claim: &[u8], _: &[u8], _: &[u8]) -> u32 {
            self.claims.borrow_mut().push(claim.to_vec());
            self.code
        }
        fn vk_digest(&self, k: u32) -> Result<[u8; 32], u32> {
            if (1..=16).contains(&k) {
                Ok([k as u8; 32])
            } else {
                Err(zk::UNKNOWN_KEY)
            }
        }
        fn verify_exit(&self, root: &[u8; 32], _: &[u8]) -> u32 {
            self.claims.borrow_mut().push(root.to_vec());
            self.code
        }
        fn verify_signature(&self, _: &[u8], _: &[u8], _: &[u8]) -> u32 {
            self.code
        }
    }
    fn stand(code: u32) -> Stand {
        Stand {
            code,
            claims: RefCell::new(vec![]),
        }
    }

    type Deps =
        OwnedDeps<cosmwasm_std::testing::MockStorage, MockApi, cosmwasm_std::testing::MockQuerier>;

    fn setup() -> (Deps, Addr, Addr, Addr) {
        let mut deps = mock_dependencies();
        let gov = deps.api.addr_make("gov");
        let op = deps.api.addr_make("operator");
        let xx = deps.api.addr_make("xx");
        let msg = InstantiateMsg {
            governance: gov.to_string(),
            operator_bond: U128(1_000),
            bond_denom: "uxyz".into(),
            liveness_blocks: 100,
        };
        instantiate(deps.as_mut(), mock_env(), message_info(&gov, &[]), msg).unwrap();
        let set = ExecuteMsg::SetSettlement {
            address: xx.to_string(),
        };
        execute_with(
            deps.as_mut(),
            mock_env(),
            message_info(&gov, &[]),
            set,
            &stand(0),
        )
        .unwrap();
        (deps, gov, op, xx)
    }

    fn register_as(
        deps: &mut Deps,
        who: &Addr,
        funds: &[cosmwasm_std::Coin],
        k: u32,
    ) -> Result<u32, ContractError> {
        let msg = ExecuteMsg::Register {
            ops_per_step: k,
            operator: None,
        };
        let r = execute_with(
            deps.as_mut(),
            mock_env(),
            message_info(who, funds),
            msg,
            &stand(0),
        )?;
        Ok(from_json(r.data.unwrap()).unwrap())
    }

    fn rollup(deps: &Deps, id: u32) -> RollupInfo {
        from_json(query(deps.as_ref(), mock_env(), QueryMsg::Rollup { id }).unwrap()).unwrap()
    }

    #[test]
    fn operators_register_with_the_exact_bond_and_governance_without() {
        let (mut deps, gov, op, _) = setup();
        assert_eq!(
            register_as(&mut deps, &op, &coins(999, "uxyz"), 3),
            Err(ContractError::WrongBond {
                amount: 1000,
                denom: "uxyz".into()
            })
        );
        assert!(register_as(&mut deps, &op, &coins(1000, "other"), 3).is_err());
        assert_eq!(
            register_as(&mut deps, &op, &coins(1000, "uxyz"), 17),
            Err(ContractError::UnsupportedStepSize(17))
        );
        assert_eq!(register_as(&mut deps, &op, &coins(1000, "uxyz"), 3), Ok(1));
        assert_eq!(register_as(&mut deps, &gov, &[], 8), Ok(2));
        let r = rollup(&deps, 1);
        assert_eq!(
            (r.operator, r.bond, r.vk_digest),
            (op.to_string(), U128(1000), Hex32([3; 32]))
        );
        assert_eq!(r.state_root, EMPTY_ROOT);
        assert_eq!(rollup(&deps, 2).bond, U128(0));
        let someone = deps.api.addr_make("someone");
        let msg = ExecuteMsg::Register {
            ops_per_step: 3,
            operator: Some(op.to_string()),
        };
        let e = execute_with(
            deps.as_mut(),
            mock_env(),
            message_info(&someone, &coins(1000, "uxyz")),
            msg,
            &stand(0),
        );
        assert!(matches!(e, Err(ContractError::NotGovernance(_))));
    }

    /// A batch with one transfer and one withdrawal to `recipient` (an account: 20 bytes).
    fn batch_data(recipient: &Addr, deps: &Deps) -> Vec<u8> {
        let canonical = deps.api.addr_canonicalize(recipient.as_str()).unwrap();
        let w = WithdrawalOp {
            from: 0,
            amount: 400,
            fee: 1,
            recipient: recipient_field(canonical.as_slice()).unwrap(),
        };
        encode_batch(&[], &[(0, 1, 5, 0)], &[w]).unwrap()
    }

    fn submit(
        deps: &mut Deps,
        who: &Addr,
        root: u8,
        data: &[u8],
        v: &Stand,
    ) -> Result<Response, ContractError> {
        let msg = ExecuteMsg::SubmitBatch {
            rollup: 1,
            new_root: Hex32([root; 32]),
            data: Base64(data.to_vec()),
            proof: Base64(vec![7; 10]),
        };
        execute_with(deps.as_mut(), mock_env(), message_info(who, &[]), msg, v)
    }

    #[test]
    fn a_verified_batch_advances_the_root_records_and_settles_through_xx() {
        let (mut deps, _gov, op, xx) = setup();
        register_as(&mut deps, &op, &coins(1000, "uxyz"), 3).unwrap();
        let user = deps
            .api
            .addr_humanize(&CanonicalAddr::from(vec![7u8; 20]))
            .unwrap();
        let data = batch_data(&user, &deps);
        let v = stand(zk::VALID);
        let r = submit(&mut deps, &op, 9, &data, &v).unwrap();
        // the claim starts at the rollup's root, under its key and step size
        let claim = v.claims.borrow()[0].clone();
        assert_eq!(&claim[..32], &[3; 32]);
        assert_eq!(&claim[32..36], &3u32.to_le_bytes());
        assert_eq!(&claim[36..40], &1u32.to_le_bytes());
        assert_eq!(&claim[40..72], &EMPTY_ROOT.0);
        assert_eq!(&claim[72..], &[9; 32]);
        let info = rollup(&deps, 1);
        assert_eq!((info.state_root, info.batch_index), (Hex32([9; 32]), 1));
        let CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr, msg, ..
        }) = &r.messages[0].msg
        else {
            panic!("expected a settle message");
        };
        assert_eq!(contract_addr, xx.as_str());
        let SettlementMsg::Settle {
            rollup,
            batch,
            deposits,
            payouts,
            fees,
            operator,
        } = from_json(msg).unwrap()
        else {
            panic!("expected settle");
        };
        assert_eq!((rollup, batch, deposits.len()), (1, 0, 0));
        assert_eq!((fees, operator), (U128(1), op.to_string()));
        let CosmosMsg::Any(record) = &r.messages[1].msg else {
            panic!("expected the checkpoint record");
        };
        assert_eq!(record.type_url, rollup_msgs::chain::RECORD_BATCH_TYPE_URL);
        assert_eq!(
            payouts,
            vec![Payout {
                recipient: user.to_string(),
                amount: U128(400)
            }]
        );
        let b: BatchInfo = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Batch {
                    rollup: 1,
                    index: 0,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (b.transfers, b.withdrawals, b.withdrawn, b.fees),
            (1, 1, U128(400), U128(1))
        );
        // the next claim starts at the new root
        submit(&mut deps, &op, 10, &data, &v).unwrap();
        assert_eq!(&v.claims.borrow()[1][40..72], &[9; 32]);
    }

    #[test]
    fn refused_batches_change_nothing() {
        let (mut deps, _gov, op, _) = setup();
        register_as(&mut deps, &op, &coins(1000, "uxyz"), 3).unwrap();
        let user = deps
            .api
            .addr_humanize(&CanonicalAddr::from(vec![7u8; 20]))
            .unwrap();
        let data = batch_data(&user, &deps);
        let before = rollup(&deps, 1);
        for (code, want) in [
            (zk::INVALID, ContractError::InvalidProof { rollup: 1 }),
            (zk::MALFORMED, ContractError::MalformedProof),
            (zk::NO_ROOM, ContractError::NoRoom),
            (zk::UNSUPPORTED, ContractError::Unsupported),
        ] {
            assert_eq!(
                submit(&mut deps, &op, 9, &data, &stand(code)).unwrap_err(),
                want
            );
        }
        assert!(matches!(
            submit(&mut deps, &op, 9, &data[..data.len() - 1], &stand(0)),
            Err(ContractError::BadData(_))
        ));
        assert_eq!(
            submit(&mut deps, &user, 9, &data, &stand(0)).unwrap_err(),
            ContractError::NotOperator { rollup: 1 }
        );
        assert_eq!(rollup(&deps, 1), before);
        assert!(query(
            deps.as_ref(),
            mock_env(),
            QueryMsg::Batch {
                rollup: 1,
                index: 0
            }
        )
        .is_err());
    }

    #[test]
    fn batches_wait_for_a_settlement_contract() {
        let mut deps = mock_dependencies();
        let gov = deps.api.addr_make("gov");
        let msg = InstantiateMsg {
            governance: gov.to_string(),
            operator_bond: U128(0),
            bond_denom: "uxyz".into(),
            liveness_blocks: 100,
        };
        instantiate(deps.as_mut(), mock_env(), message_info(&gov, &[]), msg).unwrap();
        register_as(&mut deps, &gov, &[], 3).unwrap();
        let data = encode_batch(&[], &[], &[]).unwrap();
        assert_eq!(
            submit(&mut deps, &gov, 1, &data, &stand(0)).unwrap_err(),
            ContractError::NoSettlement
        );
        let other = deps.api.addr_make("other");
        let set = ExecuteMsg::SetSettlement {
            address: other.to_string(),
        };
        assert!(matches!(
            execute_with(
                deps.as_mut(),
                mock_env(),
                message_info(&other, &[]),
                set,
                &stand(0)
            ),
            Err(ContractError::NotGovernance(_))
        ));
    }

    /// `xx` as the mock querier answers it: a shard's balance and queue front.
    fn mock_xx(deps: &mut Deps, overdue: bool, front: Option<rollup_msgs::xx::PendingDeposit>) {
        use cosmwasm_std::{ContractResult, SystemResult, WasmQuery};
        deps.querier.update_wasm(move |q| {
            let WasmQuery::Smart { msg, .. } = q else {
                panic!("unexpected query {q:?}")
            };
            let answer = match from_json::<SettlementQuery>(msg).unwrap() {
                SettlementQuery::Rollup { rollup } => to_json_binary(&RollupBalance {
                    rollup,
                    overdue,
                    ..Default::default()
                }),
                SettlementQuery::Pending { .. } => to_json_binary(&PendingResponse {
                    deposits: front.clone().into_iter().collect(),
                }),
                other => panic!("unexpected {other:?}"),
            };
            SystemResult::Ok(ContractResult::Ok(answer.unwrap()))
        });
    }

    fn exit_bytes(index: u32, key: u8, balance: u64) -> Vec<u8> {
        let mut b = vec![0u8; rollup_msgs::data::EXIT_PROOF_BYTES];
        b[..4].copy_from_slice(&index.to_le_bytes());
        b[4..68].fill(key);
        b[68..76].copy_from_slice(&balance.to_le_bytes());
        b
    }

    fn run(deps: &mut Deps, msg: ExecuteMsg, v: &Stand) -> Result<Response, ContractError> {
        let anyone = deps.api.addr_make("anyone");
        execute_with(
            deps.as_mut(),
            mock_env(),
            message_info(&anyone, &[]),
            msg,
            v,
        )
    }

    #[test]
    fn anyone_freezes_a_stalled_or_censoring_rollup_and_nothing_else() {
        let (mut deps, _gov, op, _) = setup();
        register_as(&mut deps, &op, &coins(1000, "uxyz"), 3).unwrap();
        mock_xx(&mut deps, false, None);
        let freeze = || ExecuteMsg::Freeze { rollup: 1 };
        assert!(matches!(
            run(&mut deps, freeze(), &stand(0)),
            Err(ContractError::Live { .. })
        ));
        // a deposit past its deadline: forced inclusion was ignored
        mock_xx(&mut deps, true, None);
        let r = run(&mut deps, freeze(), &stand(0)).unwrap();
        assert!(matches!(
            &r.messages[0].msg,
            CosmosMsg::Wasm(WasmMsg::Execute { .. })
        ));
        assert_eq!(rollup(&deps, 1).frozen_at, Some(mock_env().block.height));
        assert_eq!(
            run(&mut deps, freeze(), &stand(0)).unwrap_err(),
            ContractError::Frozen(1)
        );
        // a frozen rollup takes no batches
        let data = encode_batch(&[], &[], &[]).unwrap();
        assert_eq!(
            submit(&mut deps, &op, 1, &data, &stand(0)).unwrap_err(),
            ContractError::Frozen(1)
        );
    }

    #[test]
    fn a_rollup_without_batches_for_the_liveness_window_can_be_frozen() {
        let (mut deps, _gov, op, _) = setup();
        register_as(&mut deps, &op, &coins(1000, "uxyz"), 3).unwrap();
        mock_xx(&mut deps, false, None);
        let anyone = deps.api.addr_make("anyone");
        let mut env = mock_env();
        env.block.height += 100;
        let e = execute_with(
            deps.as_mut(),
            env.clone(),
            message_info(&anyone, &[]),
            ExecuteMsg::Freeze { rollup: 1 },
            &stand(0),
        );
        assert!(matches!(e, Err(ContractError::Live { .. })));
        env.block.height += 1;
        execute_with(
            deps.as_mut(),
            env,
            message_info(&anyone, &[]),
            ExecuteMsg::Freeze { rollup: 1 },
            &stand(0),
        )
        .unwrap();
    }

    #[test]
    fn each_account_exits_once_with_a_proof_against_the_last_verified_root() {
        let (mut deps, _gov, op, _) = setup();
        register_as(&mut deps, &op, &coins(1000, "uxyz"), 3).unwrap();
        let exit = |i, bal| ExecuteMsg::Exit {
            rollup: 1,
            proof: Base64(exit_bytes(i, 1, bal)),
        };
        assert_eq!(
            run(&mut deps, exit(4, 10), &stand(0)).unwrap_err(),
            ContractError::NotFrozen(1)
        );
        mock_xx(&mut deps, true, None);
        run(&mut deps, ExecuteMsg::Freeze { rollup: 1 }, &stand(0)).unwrap();
        assert_eq!(
            run(&mut deps, exit(4, 10), &stand(zk::INVALID)).unwrap_err(),
            ContractError::InvalidExitProof(1)
        );
        assert_eq!(
            run(&mut deps, exit(4, 0), &stand(0)).unwrap_err(),
            ContractError::NothingToExit(4)
        );
        let v = stand(zk::VALID);
        let r = run(&mut deps, exit(4, 10), &v).unwrap();
        assert_eq!(
            v.claims.borrow()[0],
            EMPTY_ROOT.0.to_vec(),
            "checked against the verified root"
        );
        let CosmosMsg::Wasm(WasmMsg::Execute { msg, .. }) = &r.messages[0].msg else {
            panic!()
        };
        let pay: SettlementMsg = from_json(msg).unwrap();
        assert_eq!(
            pay,
            SettlementMsg::PayExit {
                rollup: 1,
                index: 4,
                amount: U128(10)
            }
        );
        assert_eq!(
            run(&mut deps, exit(4, 10), &stand(0)).unwrap_err(),
            ContractError::AlreadyExited {
                rollup: 1,
                index: 4
            }
        );
        let exited: bool = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Exited {
                    rollup: 1,
                    index: 4,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert!(exited);
    }

    #[test]
    fn only_a_deposit_no_batch_can_include_is_rejected() {
        let (mut deps, _gov, op, _) = setup();
        register_as(&mut deps, &op, &coins(1000, "uxyz"), 3).unwrap();
        let queued = |key: u8, amount: u128| rollup_msgs::xx::PendingDeposit {
            seq: 7,
            depositor: "d".into(),
            height: 1,
            op: DepositOp {
                to: 4,
                amount: U128(amount),
                pubkey_x: Hex32([key; 32]),
                pubkey_y: Hex32([key; 32]),
            },
        };
        let reject = |i, key, bal| ExecuteMsg::RejectDeposit {
            rollup: 1,
            proof: Base64(exit_bytes(i, key, bal)),
        };
        mock_xx(&mut deps, false, None);
        assert_eq!(
            run(&mut deps, reject(4, 1, 0), &stand(0)).unwrap_err(),
            ContractError::NoQueuedDeposit(1)
        );
        mock_xx(&mut deps, false, Some(queued(1, 5)));
        // same key, or an empty account: the operator must include it
        assert_eq!(
            run(&mut deps, reject(4, 1, 0), &stand(0)).unwrap_err(),
            ContractError::DepositIsValid
        );
        assert_eq!(
            run(&mut deps, reject(4, 0, 0), &stand(0)).unwrap_err(),
            ContractError::DepositIsValid
        );
        // a proof for another account, or one that does not verify
        assert!(matches!(
            run(&mut deps, reject(5, 2, 0), &stand(0)),
            Err(ContractError::BadData(_))
        ));
        assert_eq!(
            run(&mut deps, reject(4, 2, 0), &stand(zk::INVALID)).unwrap_err(),
            ContractError::InvalidExitProof(1)
        );
        // another key, or a balance it would overflow: refunded
        for (key, bal) in [(2u8, 0u64), (1, u64::MAX - 4)] {
            let r = run(&mut deps, reject(4, key, bal), &stand(0)).unwrap();
            let CosmosMsg::Wasm(WasmMsg::Execute { msg, .. }) = &r.messages[0].msg else {
                panic!()
            };
            assert_eq!(
                from_json::<SettlementMsg>(msg).unwrap(),
                SettlementMsg::Reject { rollup: 1, seq: 7 }
            );
        }
    }
}
