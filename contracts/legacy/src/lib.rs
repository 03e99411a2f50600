//! `legacy`: a counter contract built against cosmwasm-std 2.x (2-argument `migrate`).

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Order, Response,
    StdError, StdResult,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct InstantiateMsg {
    pub start: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Increment { by: u64 },
    Note { text: String },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    Count {},
    Notes {},
}

fn load(deps: Deps) -> StdResult<u64> {
    let raw = deps
        .storage
        .get(b"count")
        .ok_or_else(|| StdError::not_found("count"))?;
    Ok(u64::from_be_bytes(
        raw.try_into()
            .map_err(|_| StdError::generic_err("corrupt"))?,
    ))
}

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    deps.api.addr_validate(info.sender.as_str())?;
    deps.storage.set(b"count", &msg.start.to_be_bytes());
    Ok(Response::new().add_attribute("start", msg.start.to_string()))
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Increment { by } => {
            let c = load(deps.as_ref())?
                .checked_add(by)
                .ok_or_else(|| StdError::generic_err("overflow"))?;
            deps.storage.set(b"count", &c.to_be_bytes());
            Ok(Response::new().add_attribute("count", c.to_string()))
        }
        ExecuteMsg::Note { text } => {
            let n = deps
                .storage
                .range_keys(Some(b"note/"), Some(b"note0"), Order::Ascending)
                .count();
            deps.storage
                .set(format!("note/{n:04}").as_bytes(), text.as_bytes());
            Ok(Response::new())
        }
    }
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Count {} => to_json_binary(&load(deps)?),
        QueryMsg::Notes {} => {
            let notes: Vec<String> = deps
                .storage
                .range_values(Some(b"note/"), Some(b"note0"), Order::Descending)
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .collect();
            to_json_binary(&notes)
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct MigrateMsg {}

#[entry_point]
pub fn migrate(_deps: DepsMut, _env: Env, _msg: MigrateMsg) -> StdResult<Response> {
    Ok(Response::new().add_attribute("migrated", "v2"))
}
