//! `token`: a cw20-style fungible token (balances, transfer, burn, mint, allowances-free), written
//! for the VM benchmarks and tests. Messages and queries follow cw20's JSON shapes.

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdError,
    StdResult, Uint128,
};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone)]
pub struct Cw20Coin {
    pub address: String,
    pub amount: Uint128,
}

#[derive(Serialize, Deserialize)]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub initial_balances: Vec<Cw20Coin>,
    pub minter: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Transfer { recipient: String, amount: Uint128 },
    Burn { amount: Uint128 },
    Mint { recipient: String, amount: Uint128 },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    Balance {
        address: String,
    },
    TokenInfo {},
    AllAccounts {
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

#[derive(Serialize, Deserialize)]
pub struct TokenInfo {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub total_supply: Uint128,
    pub minter: Option<Addr>,
}

#[derive(Serialize, Deserialize)]
pub struct BalanceResponse {
    pub balance: Uint128,
}

#[derive(Serialize, Deserialize)]
pub struct AllAccountsResponse {
    pub accounts: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub struct MigrateMsg {}

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("insufficient funds: balance {balance}, required {required}")]
    InsufficientFunds { balance: Uint128, required: Uint128 },
    #[error("invalid zero amount")]
    InvalidZeroAmount,
    #[error("unauthorized")]
    Unauthorized,
}

const TOKEN_INFO: Item<TokenInfo> = Item::new("token_info");
const BALANCES: Map<&Addr, Uint128> = Map::new("balance");

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let mut total = Uint128::zero();
    for c in &msg.initial_balances {
        let addr = deps.api.addr_validate(&c.address)?;
        BALANCES.update(deps.storage, &addr, |b| -> StdResult<_> {
            Ok(b.unwrap_or_default().checked_add(c.amount)?)
        })?;
        total = total.checked_add(c.amount).map_err(StdError::from)?;
    }
    let minter = msg.minter.map(|m| deps.api.addr_validate(&m)).transpose()?;
    TOKEN_INFO.save(
        deps.storage,
        &TokenInfo {
            name: msg.name,
            symbol: msg.symbol,
            decimals: msg.decimals,
            total_supply: total,
            minter,
        },
    )?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

fn sub_balance(deps: &mut DepsMut, who: &Addr, amount: Uint128) -> Result<(), ContractError> {
    let balance = BALANCES.may_load(deps.storage, who)?.unwrap_or_default();
    let left = balance
        .checked_sub(amount)
        .map_err(|_| ContractError::InsufficientFunds {
            balance,
            required: amount,
        })?;
    BALANCES.save(deps.storage, who, &left)?;
    Ok(())
}

#[entry_point]
pub fn execute(
    mut deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Transfer { recipient, amount } => {
            if amount.is_zero() {
                return Err(ContractError::InvalidZeroAmount);
            }
            let rcpt = deps.api.addr_validate(&recipient)?;
            sub_balance(&mut deps, &info.sender, amount)?;
            BALANCES.update(deps.storage, &rcpt, |b| -> StdResult<_> {
                Ok(b.unwrap_or_default().checked_add(amount)?)
            })?;
            Ok(Response::new()
                .add_attribute("action", "transfer")
                .add_attribute("from", info.sender)
                .add_attribute("to", recipient)
                .add_attribute("amount", amount))
        }
        ExecuteMsg::Burn { amount } => {
            if amount.is_zero() {
                return Err(ContractError::InvalidZeroAmount);
            }
            sub_balance(&mut deps, &info.sender, amount)?;
            TOKEN_INFO.update(deps.storage, |mut t| -> StdResult<_> {
                t.total_supply = t.total_supply.checked_sub(amount)?;
                Ok(t)
            })?;
            Ok(Response::new()
                .add_attribute("action", "burn")
                .add_attribute("amount", amount))
        }
        ExecuteMsg::Mint { recipient, amount } => {
            let mut t = TOKEN_INFO.load(deps.storage)?;
            if t.minter.as_ref() != Some(&info.sender) {
                return Err(ContractError::Unauthorized);
            }
            t.total_supply = t.total_supply.checked_add(amount).map_err(StdError::from)?;
            TOKEN_INFO.save(deps.storage, &t)?;
            let rcpt = deps.api.addr_validate(&recipient)?;
            BALANCES.update(deps.storage, &rcpt, |b| -> StdResult<_> {
                Ok(b.unwrap_or_default().checked_add(amount)?)
            })?;
            Ok(Response::new()
                .add_attribute("action", "mint")
                .add_attribute("amount", amount))
        }
    }
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Balance { address } => {
            let addr = deps.api.addr_validate(&address)?;
            let balance = BALANCES.may_load(deps.storage, &addr)?.unwrap_or_default();
            to_json_binary(&BalanceResponse { balance })
        }
        QueryMsg::TokenInfo {} => to_json_binary(&TOKEN_INFO.load(deps.storage)?),
        QueryMsg::AllAccounts { start_after, limit } => {
            let start = start_after.map(Addr::unchecked);
            let accounts = BALANCES
                .keys(
                    deps.storage,
                    start.as_ref().map(cw_storage_plus::Bound::exclusive),
                    None,
                    cosmwasm_std::Order::Ascending,
                )
                .take(limit.unwrap_or(10) as usize)
                .map(|k| k.map(|a| a.to_string()))
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&AllAccountsResponse { accounts })
        }
    }
}

#[entry_point]
pub fn migrate(_deps: DepsMut, _env: Env, _msg: MigrateMsg) -> StdResult<Response> {
    Ok(Response::new().add_attribute("action", "migrate"))
}
