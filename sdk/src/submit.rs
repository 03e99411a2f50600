//! The one client path for sending a transaction, shared by the CLI, the load generator and
//! every service that signs (relayer, rollup operator): fetch the signer's account, estimate
//! gas with `Simulate` if asked, sign (SIGN_MODE_DIRECT), broadcast (CheckTx), wait for the
//! block, and decode the result.
//!
//! [`submit`] runs all of it and reports each stage to a callback (for progress display);
//! its pieces are public for callers that keep their own account state (a load generator
//! tracking sequences itself signs with [`crate::tx::sign_tx`] and uses [`broadcast`]).

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, ModuleAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};

use crate::rpc::{BroadcastResult, RpcClient, TxResult};
use crate::tx::{build_auth_info, build_body, min_gas_fee, sign_tx, tx_hash_hex, Signer, TxParams};
use crate::{Address, Coin, PrivateKey, BASE_DENOM};

const PATH_ACCOUNT: &str = "/cosmos.auth.v1beta1.Query/Account";
const PATH_SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";

/// The parts of an on-chain account a client needs to sign for it.
pub struct AccountInfo {
    pub address: String,
    pub account_number: u64,
    pub sequence: u64,
    pub pub_key: Option<Any>,
    /// Set for module accounts.
    pub module: Option<String>,
}

fn looks_not_found(log: &str) -> bool {
    let l = log.to_ascii_lowercase();
    l.contains("not found") || l.contains("unknown address") || l.contains("does not exist")
}

/// Fetches an account; `Ok(None)` if the chain has no such account yet.
pub async fn fetch_account(
    rpc: &RpcClient,
    addr: &Address,
    height: Option<u64>,
) -> Result<Option<AccountInfo>> {
    let req = QueryAccountRequest {
        address: addr.to_string(),
    };
    let r = rpc
        .abci_query(PATH_ACCOUNT, &req.encode_to_vec(), height, false)
        .await?;
    if r.code != 0 {
        if looks_not_found(&r.log) {
            return Ok(None);
        }
        bail!("{PATH_ACCOUNT} failed (code {}): {}", r.code, r.log);
    }
    let resp = QueryAccountResponse::decode(r.value.as_slice())
        .with_context(|| format!("{PATH_ACCOUNT}: cannot decode the reply"))?;
    let Some(any) = resp.account else {
        return Ok(None);
    };
    decode_account(&any).map(Some)
}

fn decode_account(any: &Any) -> Result<AccountInfo> {
    let from_base = |b: BaseAccount, module: Option<String>| AccountInfo {
        address: b.address,
        account_number: b.account_number,
        sequence: b.sequence,
        pub_key: b.pub_key,
        module,
    };
    if any.type_url == BaseAccount::type_url() {
        let b = BaseAccount::decode(any.value.as_slice()).context("cannot decode BaseAccount")?;
        Ok(from_base(b, None))
    } else if any.type_url == ModuleAccount::type_url() {
        let m =
            ModuleAccount::decode(any.value.as_slice()).context("cannot decode ModuleAccount")?;
        let b = m
            .base_account
            .ok_or_else(|| anyhow!("module account {:?} has no base account", m.name))?;
        Ok(from_base(b, Some(m.name)))
    } else {
        bail!("unsupported account type {}", any.type_url)
    }
}

/// The chain id to sign for: `given` if set, else the node's.
pub async fn chain_id(rpc: &RpcClient, given: Option<&str>) -> Result<String> {
    match given {
        Some(c) if !c.trim().is_empty() => Ok(c.to_string()),
        _ => rpc
            .chain_id()
            .await
            .context("cannot learn the chain id from the node (or pass --chain-id)"),
    }
}

/// Why a simulation did not give a gas figure.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The chain ran the transaction and it failed: it would fail the same way for real.
    #[error("the transaction would fail (simulation, code {code}): {log}")]
    WouldFail { code: u32, log: String },
    #[error(transparent)]
    Rpc(#[from] anyhow::Error),
}

/// Estimates the gas of `msgs` with `Simulate`: the tx goes unsigned (the chain prices the
/// signature bytes it will carry) with the fee it will pay, if known.
pub async fn simulate_gas(
    rpc: &RpcClient,
    msgs: &[Any],
    signer: &Signer<'_>,
    params: &TxParams,
) -> Result<u64, SimulateError> {
    let body_bytes = build_body(msgs.to_vec(), params).encode_to_vec();
    let auth_info_bytes = build_auth_info(std::slice::from_ref(signer), params).encode_to_vec();
    let tx_bytes = TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![Vec::new()],
    }
    .encode_to_vec();
    let req = SimulateRequest {
        tx_bytes,
        ..Default::default()
    };
    let r = rpc
        .abci_query(PATH_SIMULATE, &req.encode_to_vec(), None, false)
        .await
        .context("gas estimation (simulate) failed")?;
    if r.code != 0 {
        return Err(SimulateError::WouldFail {
            code: r.code,
            log: r.log,
        });
    }
    let resp = SimulateResponse::decode(r.value.as_slice())
        .with_context(|| format!("{PATH_SIMULATE}: cannot decode the reply"))?;
    resp.gas_info
        .map(|g| g.gas_used)
        .filter(|&g| g > 0)
        .ok_or_else(|| anyhow!("{PATH_SIMULATE}: the node reported no gas used").into())
}

/// `used * adjustment`, rounded up (client-side only: never part of consensus).
pub fn adjusted_gas(used: u64, adjustment: f64) -> u64 {
    // f64 is exact for integers below 2^53; gas values are far smaller.
    (used as f64 * adjustment).ceil() as u64
}

/// Broadcasts signed tx bytes and returns their hash with the CheckTx outcome.
pub async fn broadcast(rpc: &RpcClient, tx: &[u8]) -> Result<(String, BroadcastResult)> {
    let hash = tx_hash_hex(tx);
    let check = rpc
        .broadcast_tx_sync(tx)
        .await
        .context("broadcast failed")?;
    Ok((hash, check))
}

/// The `msg_responses` of a committed tx's `TxMsgData` (its `data` field, base64).
pub fn msg_responses(res: &TxResult) -> Vec<Any> {
    let b64 = res.raw["tx_result"]["data"].as_str().unwrap_or("");
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .and_then(|d| TxMsgData::decode(d.as_slice()).ok())
        .map(|d| d.msg_responses)
        .unwrap_or_default()
}

/// The codespace of a committed tx's result.
pub fn codespace(res: &TxResult) -> String {
    res.raw["tx_result"]["codespace"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Whether a committed transaction failed for running out of gas: the SDK's code 11 in its own
/// codespace (a contract's code 11 in `wasm` is something else).
pub fn is_out_of_gas(res: &TxResult) -> bool {
    res.code == 11 && matches!(codespace(res).as_str(), "sdk" | "")
}

/// How the gas limit is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GasLimit {
    Fixed(u64),
    /// Simulate, then multiply what it used by the adjustment.
    Simulate {
        adjustment: f64,
    },
}

/// What [`submit`] sends and how long it waits.
#[derive(Clone, Debug)]
pub struct SubmitOptions {
    pub gas: GasLimit,
    /// `None`: the minimum fee for the gas limit at the default gas price, in the base denom.
    pub fee: Option<Vec<Coin>>,
    pub memo: String,
    pub timeout_height: u64,
    /// `None`: the node's.
    pub chain_id: Option<String>,
    /// `None`: return once CheckTx accepted it.
    pub wait: Option<Duration>,
}

/// Where [`submit`] is, for progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage<'a> {
    /// The key is unlocked: estimating gas (if asked), signing, broadcasting.
    Signing,
    /// CheckTx accepted the transaction with this hash.
    Broadcast(&'a str),
    /// One more poll for the block found nothing yet.
    Poll,
}

/// How far a submitted transaction got.
#[derive(Debug)]
pub enum Submitted {
    /// In the mempool (the caller did not wait).
    Mempool { hash: String, gas: u64 },
    /// Committed, whether its messages succeeded (`result.code == 0`) or failed.
    Committed { gas: u64, result: TxResult },
}

/// Why a transaction was not submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("account {0} does not exist on chain {1} yet: it must receive funds first")]
    NoAccount(Address, String),
    #[error(transparent)]
    Simulate(#[from] SimulateError),
    /// CheckTx refused it: it never reached a block.
    #[error("rejected by the node (CheckTx, code {}): {}", .check.code, .check.log)]
    Rejected {
        hash: String,
        gas: u64,
        check: BroadcastResult,
    },
    /// Broadcast but not seen committed within the wait.
    #[error("transaction {hash} was not committed in time: {source}")]
    NotCommitted {
        hash: String,
        gas: u64,
        source: anyhow::Error,
    },
    #[error(transparent)]
    Rpc(#[from] anyhow::Error),
}

/// Submits `msgs` signed by `from`'s key: account, gas, sign, CheckTx, and (if `opts.wait`)
/// the block. `unlock` is asked for the key only once the account is known to exist. A
/// committed transaction whose messages failed is `Ok(Submitted::Committed)` with a non-zero
/// code: it was included and paid its fee.
pub async fn submit<K: std::borrow::Borrow<PrivateKey>>(
    rpc: &RpcClient,
    from: &Address,
    unlock: impl FnOnce() -> Result<K>,
    msgs: Vec<Any>,
    opts: &SubmitOptions,
    mut on_stage: impl FnMut(Stage<'_>),
) -> Result<Submitted, SubmitError> {
    let (chain_id, account) = tokio::try_join!(
        chain_id(rpc, opts.chain_id.as_deref()),
        fetch_account(rpc, from, None)
    )?;
    let account = account.ok_or_else(|| SubmitError::NoAccount(from.clone(), chain_id.clone()))?;
    let key = unlock()?;
    on_stage(Stage::Signing);
    let signer = Signer {
        key: key.borrow(),
        account_number: account.account_number,
        sequence: account.sequence,
    };
    let mut params = TxParams {
        memo: opts.memo.clone(),
        timeout_height: opts.timeout_height,
        gas_limit: 0,
        fee: opts.fee.clone().unwrap_or_default(),
        include_pubkey: true,
    };
    let gas = match opts.gas {
        GasLimit::Fixed(g) => g,
        GasLimit::Simulate { adjustment } => adjusted_gas(
            simulate_gas(rpc, &msgs, &signer, &params).await?,
            adjustment,
        ),
    };
    params.gas_limit = gas;
    if opts.fee.is_none() {
        params.fee = vec![Coin::new(min_gas_fee(gas), BASE_DENOM)];
    }
    let tx = sign_tx(msgs, &[signer], &params, &chain_id);
    let (hash, check) = broadcast(rpc, &tx).await?;
    if check.code != 0 {
        return Err(SubmitError::Rejected { hash, gas, check });
    }
    on_stage(Stage::Broadcast(&hash));
    let Some(wait) = opts.wait else {
        return Ok(Submitted::Mempool { hash, gas });
    };
    match rpc.wait_for_tx(&hash, wait, || on_stage(Stage::Poll)).await {
        Ok(result) => Ok(Submitted::Committed { gas, result }),
        Err(source) => Err(SubmitError::NotCommitted { hash, gas, source }),
    }
}
