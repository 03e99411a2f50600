//! `template`: a starter CosmWasm contract for the Proof chain.
//!
//! A counter with an owner. Copy this crate to start a new contract (see README.md): it shows the
//! four entry points the chain calls (`instantiate`, `execute`, `query`, `migrate`), typed
//! messages, state with `cw-storage-plus`, a typed error, and native unit tests.
//!
//! Messages are JSON; serde's `snake_case` renaming gives the usual CosmWasm shapes:
//! - instantiate `{"count": 0}`
//! - execute `{"increment": {}}`, `{"reset": {"count": 5}}` (owner only)
//! - query `{"get_count": {}}` → `{"count": 5, "owner": "proof1..."}`
//! - migrate `{}`

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdError,
    StdResult,
};
use cw_storage_plus::Item;
use serde::{Deserialize, Serialize};

/// Recorded in `CONTRACT_VERSION` so a later migration knows what it is upgrading from.
pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION_STR: &str = env!("CARGO_PKG_VERSION");

// ---------------------------------------------------------------------------------------------
// Messages: what callers send (JSON) and what queries answer.

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct InstantiateMsg {
    /// The counter's starting value.
    pub count: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Adds one to the counter. Anyone may call it.
    Increment {},
    /// Sets the counter. Only the owner (the instantiator) may call it.
    Reset { count: i32 },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    /// The counter and its owner, as a `CountResponse`.
    GetCount {},
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CountResponse {
    pub count: i32,
    pub owner: Addr,
}

/// Sent with `MsgMigrateContract`; empty here, but a real upgrade may carry parameters.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MigrateMsg {}

// ---------------------------------------------------------------------------------------------
// State: each `Item` is one key in the contract's own storage (`proof query wasm state raw ADDR
// state --encoding ascii` reads it back).

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct State {
    pub count: i32,
    pub owner: Addr,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ContractVersion {
    /// The crate that wrote the state (`template`, or your crate's name).
    pub contract: String,
    /// Its version (`CARGO_PKG_VERSION`).
    pub version: String,
}

pub const STATE: Item<State> = Item::new("state");
pub const CONTRACT_VERSION: Item<ContractVersion> = Item::new("contract_version");

// ---------------------------------------------------------------------------------------------
// Errors: returning `Err` aborts the call and reverts all its writes; the chain reports the
// message (`execute wasm contract failed: ...`, codespace `wasm`).

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("unauthorized: only the owner {owner} can do this (sender {sender})")]
    Unauthorized { owner: Addr, sender: Addr },
    #[error("counter overflow")]
    Overflow,
    #[error("cannot migrate from contract {found:?}: this code is {expected:?}")]
    WrongContract { expected: String, found: String },
}

fn record_version(deps: DepsMut) -> StdResult<()> {
    CONTRACT_VERSION.save(
        deps.storage,
        &ContractVersion {
            contract: CONTRACT_NAME.to_string(),
            version: CONTRACT_VERSION_STR.to_string(),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Entry points. `#[entry_point]` exports each one with the ABI the chain's VM calls.

/// Runs once, when `MsgInstantiateContract` creates the contract. The sender becomes the owner.
#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let state = State {
        count: msg.count,
        owner: info.sender.clone(),
    };
    STATE.save(deps.storage, &state)?;
    record_version(deps)?;
    // Attributes end up in the tx's `wasm` event, which clients (and `proof tx wasm`) show.
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", info.sender)
        .add_attribute("count", msg.count.to_string()))
}

/// Handles `MsgExecuteContract`. Coins sent with the message (`--amount`) are already in the
/// contract's balance when this runs; this contract simply keeps them.
#[entry_point]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Increment {} => increment(deps),
        ExecuteMsg::Reset { count } => reset(deps, info, count),
    }
}

fn increment(deps: DepsMut) -> Result<Response, ContractError> {
    let state = STATE.update(deps.storage, |mut s| -> Result<_, ContractError> {
        s.count = s.count.checked_add(1).ok_or(ContractError::Overflow)?;
        Ok(s)
    })?;
    Ok(Response::new()
        .add_attribute("action", "increment")
        .add_attribute("count", state.count.to_string()))
}

fn reset(deps: DepsMut, info: MessageInfo, count: i32) -> Result<Response, ContractError> {
    STATE.update(deps.storage, |mut s| -> Result<_, ContractError> {
        if info.sender != s.owner {
            return Err(ContractError::Unauthorized {
                owner: s.owner,
                sender: info.sender.clone(),
            });
        }
        s.count = count;
        Ok(s)
    })?;
    Ok(Response::new()
        .add_attribute("action", "reset")
        .add_attribute("count", count.to_string()))
}

/// Read-only: answers `SmartContractState` queries (`proof query wasm state smart ADDR '{...}'`).
#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::GetCount {} => {
            let s = STATE.load(deps.storage)?;
            to_json_binary(&CountResponse {
                count: s.count,
                owner: s.owner,
            })
        }
    }
}

/// Runs when the contract's admin moves it to new code (`MsgMigrateContract`). The state is kept
/// as is; a real upgrade would convert it here. Refuses state written by a different contract.
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

// ---------------------------------------------------------------------------------------------
// Native unit tests (`cargo test -p template` in contracts/): cosmwasm-std's mocks stand in for
// the chain, so the logic is tested without building wasm.

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{
        message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
    };
    use cosmwasm_std::{coins, from_json, Attribute, OwnedDeps};

    fn setup(count: i32) -> (OwnedDeps<MockStorage, MockApi, MockQuerier>, Addr) {
        let mut deps = mock_dependencies();
        let owner = deps.api.addr_make("owner");
        let res = instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&owner, &[]),
            InstantiateMsg { count },
        )
        .unwrap();
        assert!(res
            .attributes
            .contains(&Attribute::new("count", count.to_string())));
        (deps, owner)
    }

    fn get_count(deps: Deps) -> CountResponse {
        from_json(query(deps, mock_env(), QueryMsg::GetCount {}).unwrap()).unwrap()
    }

    #[test]
    fn instantiate_sets_count_owner_and_version() {
        let (deps, owner) = setup(17);
        assert_eq!(get_count(deps.as_ref()), CountResponse { count: 17, owner });
        assert_eq!(
            CONTRACT_VERSION.load(&deps.storage).unwrap(),
            ContractVersion {
                contract: "template".into(),
                version: CONTRACT_VERSION_STR.into()
            }
        );
    }

    #[test]
    fn anyone_can_increment_with_or_without_funds() {
        let (mut deps, owner) = setup(1);
        let stranger = MockApi::default().addr_make("stranger");
        let res = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&stranger, &coins(10, "uxyz")),
            ExecuteMsg::Increment {},
        )
        .unwrap();
        assert_eq!(res.attributes[1], Attribute::new("count", "2"));
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&owner, &[]),
            ExecuteMsg::Increment {},
        )
        .unwrap();
        assert_eq!(get_count(deps.as_ref()).count, 3);
    }

    #[test]
    fn increment_refuses_to_overflow() {
        let (mut deps, owner) = setup(i32::MAX);
        let err = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&owner, &[]),
            ExecuteMsg::Increment {},
        )
        .unwrap_err();
        assert!(matches!(err, ContractError::Overflow), "{err}");
        assert_eq!(get_count(deps.as_ref()).count, i32::MAX);
    }

    #[test]
    fn only_the_owner_can_reset() {
        let (mut deps, owner) = setup(5);
        let stranger = MockApi::default().addr_make("stranger");
        let err = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&stranger, &[]),
            ExecuteMsg::Reset { count: 0 },
        )
        .unwrap_err();
        assert!(
            matches!(&err, ContractError::Unauthorized { owner: o, sender: s } if *o == owner && *s == stranger),
            "{err}"
        );
        assert!(err.to_string().starts_with("unauthorized: only the owner"));
        assert_eq!(get_count(deps.as_ref()).count, 5);

        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&owner, &[]),
            ExecuteMsg::Reset { count: -3 },
        )
        .unwrap();
        assert_eq!(get_count(deps.as_ref()).count, -3);
    }

    #[test]
    fn migrate_keeps_state_and_records_the_version() {
        let (mut deps, owner) = setup(9);
        // Pretend an older release wrote the state.
        CONTRACT_VERSION
            .save(
                &mut deps.storage,
                &ContractVersion {
                    contract: "template".into(),
                    version: "0.0.1".into(),
                },
            )
            .unwrap();
        let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(res
            .attributes
            .contains(&Attribute::new("from_version", "0.0.1")));
        assert_eq!(
            CONTRACT_VERSION.load(&deps.storage).unwrap().version,
            CONTRACT_VERSION_STR
        );
        assert_eq!(get_count(deps.as_ref()), CountResponse { count: 9, owner });
    }

    #[test]
    fn migrate_refuses_another_contracts_state() {
        let (mut deps, _) = setup(1);
        CONTRACT_VERSION
            .save(
                &mut deps.storage,
                &ContractVersion {
                    contract: "cw20-base".into(),
                    version: "1.0.0".into(),
                },
            )
            .unwrap();
        let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
        assert!(matches!(err, ContractError::WrongContract { .. }), "{err}");
    }

    #[test]
    fn messages_have_the_documented_json_shapes() {
        assert_eq!(
            from_json::<ExecuteMsg>(br#"{"increment":{}}"#).unwrap(),
            ExecuteMsg::Increment {}
        );
        assert_eq!(
            from_json::<ExecuteMsg>(br#"{"reset":{"count":5}}"#).unwrap(),
            ExecuteMsg::Reset { count: 5 }
        );
        assert_eq!(
            from_json::<QueryMsg>(br#"{"get_count":{}}"#).unwrap(),
            QueryMsg::GetCount {}
        );
        assert_eq!(
            from_json::<InstantiateMsg>(br#"{"count":0}"#).unwrap(),
            InstantiateMsg { count: 0 }
        );
    }
}
