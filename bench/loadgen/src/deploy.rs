//! Deploys the token (cw20-style) contract for the contract-execution workload: one upload and
//! one instantiation whose initial balances give every sender tokens to transfer.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{MsgInstantiateContract, MsgStoreCode};
use cosmos_sdk_proto::Any;
use proof_sdk::rpc::{RpcClient, TxResult};
use proof_sdk::submit::{self, GasLimit, SubmitOptions, Submitted};
use proof_sdk::{msgs, Address, PrivateKey};
use serde_json::json;

/// Gas for the upload and for the instantiation (which writes one balance per sender).
const STORE_GAS: u64 = 45_000_000;
const INSTANTIATE_GAS_PER_HOLDER: u64 = 12_000;

/// One transaction through the sdk's submit path, waited for; failure at any stage is an error.
async fn submit(
    c: &RpcClient,
    chain_id: &str,
    key: &PrivateKey,
    msg: Any,
    gas: u64,
) -> Result<TxResult> {
    let opts = SubmitOptions {
        gas: GasLimit::Fixed(gas),
        fee: None,
        memo: String::new(),
        timeout_height: 0,
        chain_id: Some(chain_id.to_string()),
        wait: Some(Duration::from_secs(60)),
    };
    let sent = submit::submit(c, &key.address(), || Ok(key), vec![msg], &opts, |_| {}).await?;
    let Submitted::Committed { result, .. } = sent else {
        bail!("the transaction was not waited for");
    };
    if result.code != 0 {
        bail!("tx failed ({}): {}", result.code, result.log);
    }
    Ok(result)
}

/// Uploads `wasm` from `deployer` and instantiates it with `per_holder` tokens for each holder.
/// Returns the contract address.
pub async fn deploy_token(
    c: &RpcClient,
    chain_id: &str,
    deployer: &PrivateKey,
    wasm: &Path,
    holders: &[Address],
    per_holder: u128,
) -> Result<Address> {
    let code = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let store = msgs::to_any(&MsgStoreCode {
        sender: deployer.address().to_string(),
        wasm_byte_code: code,
        instantiate_permission: None,
    });
    let r = submit(c, chain_id, deployer, store, STORE_GAS)
        .await
        .context("storing the token code")?;
    let code_id: u64 = r
        .event_attr("store_code", "code_id")
        .context("no store_code event")?
        .parse()?;
    let balances: Vec<_> = holders
        .iter()
        .map(|a| json!({"address": a.to_string(), "amount": per_holder.to_string()}))
        .collect();
    let init = json!({"name": "Bench Token", "symbol": "BENCH", "decimals": 6,
        "initial_balances": balances, "minter": null});
    let inst = msgs::to_any(&MsgInstantiateContract {
        sender: deployer.address().to_string(),
        admin: String::new(),
        code_id,
        label: "loadgen token".into(),
        msg: init.to_string().into_bytes(),
        funds: vec![],
    });
    let gas = 5_000_000 + INSTANTIATE_GAS_PER_HOLDER * holders.len() as u64;
    let r = submit(c, chain_id, deployer, inst, gas)
        .await
        .context("instantiating the token")?;
    r.event_attr("instantiate", "_contract_address")
        .context("no instantiate event")?
        .parse()
        .map_err(Into::into)
}
