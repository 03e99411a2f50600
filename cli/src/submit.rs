//! The CLI's one transaction path: flags shared by every `proof tx` command, the submit
//! itself (on the sdk's [`proof_sdk::submit`]), hints for the failures users meet, and how a
//! committed transaction is printed.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use cosmos_sdk_proto::Any;
use proof_sdk::rpc::TxResult;
use proof_sdk::submit::{
    self, GasLimit, SimulateError, Stage, SubmitError, SubmitOptions, Submitted,
};
use proof_sdk::{Address, Coin, PrivateKey, BASE_DENOM};
use serde_json::{json, Value};

use crate::output::events_text;
use crate::output::fields;
use crate::progress::Progress;
use crate::util::{parse_amount, parse_duration};
use crate::{password, Ctx};

/// Smallest fee the chain accepts for `gas` at its default gas price (the chain's own log says
/// more when genesis or governance set another price, or a fixed per-tx fee).
pub fn min_fee(gas: u64) -> u128 {
    proof_sdk::tx::min_gas_fee(gas)
}

/// `--gas`: a fixed limit or `auto` (simulate, then multiply by the adjustment).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gas {
    Auto,
    Fixed(u64),
}

pub fn parse_gas(s: &str) -> Result<Gas, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Gas::Auto);
    }
    match s.parse::<u64>() {
        Ok(0) => Err("--gas must be positive (or auto)".into()),
        Ok(n) => Ok(Gas::Fixed(n)),
        Err(_) => Err(format!("invalid gas {s:?}: expected a number or auto")),
    }
}

fn parse_adjustment(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && (1.0..=10.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "invalid gas adjustment {s:?}: expected a number between 1 and 10, e.g. 1.3"
        )),
    }
}

/// Flags shared by the wasm transactions (the signer is `--from`, as in wasmd's CLI).
#[derive(Args, Clone)]
pub struct TxFlags {
    /// Name of the local key that signs and pays
    #[arg(long)]
    pub from: String,
    /// Fee paid to validators [default: gas x 0.025uxyz, the chain's minimum]; empty for none
    #[arg(long)]
    pub fees: Option<String>,
    /// Gas limit, or `auto` to estimate it by simulating the transaction
    #[arg(long, default_value = "auto", value_parser = parse_gas)]
    pub gas: Gas,
    /// With --gas auto: the simulated gas is multiplied by this
    #[arg(long, default_value = "1.3", value_parser = parse_adjustment)]
    pub gas_adjustment: f64,
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Reject the transaction if it is not committed by this block height (0 = never)
    #[arg(long, default_value_t = 0)]
    pub timeout_height: u64,
    /// Chain id to sign for [default: the node's]
    #[arg(long)]
    pub chain_id: Option<String>,
    /// Return after the node accepted the tx into its mempool, without waiting for a block
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the tx to be committed (e.g. 30s, 2m)
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub wait_timeout: Duration,
}

/// Everything about a transaction except its messages, resolved from flags.
pub struct TxSpec {
    /// Local key name of the signer.
    pub key_name: String,
    pub from: Address,
    /// `None`: the chain's minimum fee for the final gas limit.
    pub fee: Option<Vec<Coin>>,
    pub gas: Gas,
    pub gas_adjustment: f64,
    pub memo: String,
    pub timeout_height: u64,
    pub chain_id: Option<String>,
    pub no_wait: bool,
    pub wait_timeout: Duration,
}

impl TxSpec {
    /// Resolves `--from` and `--fees` (local checks only, before any network call).
    pub fn from_flags(ctx: &Ctx, flags: &TxFlags) -> Result<Self> {
        let from = key_address(ctx, &flags.from)?;
        let fee = match flags.fees.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(Vec::new()),
            Some(f) => Some(parse_amount(f, "--fees")?),
        };
        Ok(Self {
            key_name: flags.from.clone(),
            from,
            fee,
            gas: flags.gas,
            gas_adjustment: flags.gas_adjustment,
            memo: flags.memo.clone(),
            timeout_height: flags.timeout_height,
            chain_id: flags.chain_id.clone(),
            no_wait: flags.no_wait,
            wait_timeout: flags.wait_timeout,
        })
    }
}

/// The address a local key's file records.
pub fn key_address(ctx: &Ctx, name: &str) -> Result<Address> {
    let key_file = ctx.keystore().get(name)?;
    key_file
        .address
        .parse()
        .with_context(|| format!("key file of {name:?} has an invalid address"))
}

/// What to do about a failed transaction, by error code and codespace.
fn hint(
    code: u32,
    codespace: &str,
    gas: u64,
    timeout_height: u64,
    from: &Address,
) -> Option<String> {
    if codespace == "wasm" {
        return Some(match code {
            2 => "the chain rejected the wasm code: build it with `bash contracts/build.sh` (optimised, wasm32-unknown-unknown)".into(),
            4 | 5 => "the contract returned an error: check the message against the contract's schema".into(),
            8 => "no such code or contract: check the id/address with `proof query wasm code ID` or `proof query wasm contract ADDR`".into(),
            10 => "the contract message must be valid JSON".into(),
            13 => "the wasm code is too large for the chain".into(),
            _ => return None,
        });
    }
    if !(codespace.is_empty() || codespace == "sdk") {
        return None;
    }
    Some(match code {
        2 => "the node could not decode the transaction; is --node a Proof chain node?".into(),
        3 | 32 => "account sequence mismatch: another transaction from this key is probably still pending; \
                   wait for it to be committed and retry"
            .into(),
        4 => "signature rejected: check that --chain-id matches the node (`proof query status`)".into(),
        5 => format!("insufficient funds for amount plus fees; check `proof query bank balances {from}`"),
        7 => "invalid address: recipient must be a proof1... address".into(),
        10 => "invalid coins: amounts must be positive with valid denoms, e.g. 1000uxyz".into(),
        11 => format!("out of gas: raise --gas (was {gas})"),
        12 => "memo too large: shorten --memo".into(),
        13 => format!(
            "fee too low: the message above gives the chain's minimum (at the default 0.025 {BASE_DENOM} per gas, --gas {gas} needs --fees {}{BASE_DENOM})",
            min_fee(gas)
        ),
        21 => "transaction too large (for contract code: optimise the wasm with `bash contracts/build.sh`)".into(),
        30 => format!("--timeout-height {timeout_height} has already passed; raise it or leave it out"),
        _ => return None,
    })
}

fn failure(
    stage: &str,
    code: u32,
    codespace: &str,
    log: &str,
    hint: Option<String>,
) -> anyhow::Error {
    let mut msg = format!("transaction {stage} (code {code}");
    if !codespace.is_empty() {
        msg.push_str(&format!(", codespace {codespace}"));
    }
    msg.push_str(&format!("): {log}"));
    if let Some(h) = hint {
        msg.push_str(&format!("\nhint: {h}"));
    }
    anyhow::anyhow!(msg)
}

/// A transaction that was committed successfully.
pub struct Committed {
    pub hash: String,
    pub res: TxResult,
}

impl Committed {
    /// The tx result's events (CometBFT 0.38 JSON: `[{type, attributes: [{key, value}]}]`).
    pub fn events(&self) -> &Value {
        &self.res.raw["tx_result"]["events"]
    }

    /// The first value of `key` in the first event of type `kind`.
    pub fn event_attr(&self, kind: &str, key: &str) -> Option<String> {
        self.res.event_attr(kind, key)
    }

    /// The `msg_responses` of the tx's `TxMsgData` (the `data` field, base64).
    pub fn msg_responses(&self) -> Vec<Any> {
        submit::msg_responses(&self.res)
    }
}

/// Signs `msgs` with the spec's key (after estimating gas if asked), broadcasts and, unless
/// `no_wait`, waits for the block, through the sdk's one submit path
/// ([`proof_sdk::submit::submit`]). Failures and the no-wait case are reported here (a JSON
/// document is still printed for scripts); a successful commit is returned for the caller to print.
pub async fn submit(
    ctx: &Ctx,
    spec: &TxSpec,
    msgs: Vec<Any>,
    progress: &mut Progress,
) -> Result<Option<Committed>> {
    let rpc = ctx.rpc()?;
    let from = &spec.from;
    let opts = SubmitOptions {
        gas: match spec.gas {
            Gas::Fixed(g) => GasLimit::Fixed(g),
            Gas::Auto => GasLimit::Simulate {
                adjustment: spec.gas_adjustment,
            },
        },
        fee: spec.fee.clone(),
        memo: spec.memo.clone(),
        timeout_height: spec.timeout_height,
        chain_id: spec.chain_id.clone(),
        wait: (!spec.no_wait).then_some(spec.wait_timeout),
    };
    // The key is unlocked only once the account is known to exist (no password prompt for
    // a transaction that cannot be sent).
    let unlock = || -> Result<PrivateKey> {
        let ks = ctx.keystore();
        let pw = password::unlock(ctx, &format!("key {:?}", spec.key_name))?;
        let key = ks.signing_key(&spec.key_name, &pw)?;
        drop(pw);
        if key.address() != *from {
            bail!(
                "key {:?} derives address {} but its file says {from}; the key file is corrupt",
                spec.key_name,
                key.address()
            );
        }
        Ok(key)
    };
    let mut pb = None;
    let sent = proof_sdk::submit::submit(&rpc, from, unlock, msgs, &opts, |stage| match stage {
        Stage::Signing => pb = progress.spinner("signing and broadcasting"),
        Stage::Broadcast(hash) => {
            crate::progress::finish(pb.take());
            if !spec.no_wait {
                pb = progress.spinner(&format!(
                    "waiting for tx {}… to be committed",
                    hash.get(..12).unwrap_or(hash)
                ));
            }
        }
        Stage::Poll => {
            if let Some(pb) = &pb {
                pb.tick();
            }
        }
    })
    .await;
    crate::progress::finish(pb.take());
    let (gas, res) = match sent {
        Ok(Submitted::Committed { gas, result }) => (gas, result),
        Ok(Submitted::Mempool { hash, gas }) => {
            let doc =
                json!({"txhash": hash, "stage": "mempool", "code": 0, "gas_wanted": gas.to_string()});
            ctx.output.emit(&doc, || {
                format!("txhash: {hash}\naccepted into the mempool; check it later with `proof query tx {hash}`")
            });
            return Ok(None);
        }
        Err(SubmitError::NoAccount(_, chain_id)) => bail!(
            "account {from} (key {:?}) does not exist on chain {chain_id} yet: it must receive funds first, \
             e.g. `proof tx bank send FUNDED_KEY {from} 1000000{BASE_DENOM}`",
            spec.key_name
        ),
        Err(SubmitError::Simulate(SimulateError::WouldFail { code, log })) => bail!(
            "the transaction would fail (simulation, code {code}): {log}\nhint: fix the cause above; --gas N skips the estimate but the transaction would fail the same way"
        ),
        Err(SubmitError::Simulate(SimulateError::Rpc(e))) | Err(SubmitError::Rpc(e)) => return Err(e),
        Err(SubmitError::Rejected { hash, gas, check }) => {
            if ctx.output.is_json() {
                crate::output::print_json(&json!({
                    "txhash": hash, "stage": "check_tx", "code": check.code,
                    "codespace": check.codespace, "log": check.log,
                    "gas_wanted": gas.to_string(),
                }));
            }
            let h = hint(check.code, &check.codespace, gas, spec.timeout_height, from);
            return Err(failure(
                "rejected by the node (CheckTx)",
                check.code,
                &check.codespace,
                &check.log,
                h,
            ));
        }
        Err(SubmitError::NotCommitted { hash, source, .. }) => {
            return Err(source.context(format!(
                "check later with `proof query tx {hash}`, or wait longer with --wait-timeout"
            )))
        }
    };
    let hash = res.hash.clone();
    if res.code != 0 {
        let committed = Committed { hash, res };
        print_committed(ctx, &committed, &[], false);
        let res = &committed.res;
        let codespace = codespace_of(res);
        let h = hint(res.code, &codespace, gas, spec.timeout_height, from);
        return Err(failure(
            &format!("failed in block {}", res.height),
            res.code,
            &codespace,
            &res.log,
            h,
        ));
    }
    Ok(Some(Committed { hash, res }))
}

/// A one-message tx whose result needs nothing beyond the standard fields (and, with
/// `with_events`, the tx's events).
pub async fn submit_one(ctx: &Ctx, spec: &TxSpec, msg: Any, with_events: bool) -> Result<()> {
    let mut progress = Progress::new(ctx, 1);
    if let Some(c) = submit(ctx, spec, vec![msg], &mut progress).await? {
        print_committed(ctx, &c, &[], with_events);
    }
    Ok(())
}

fn codespace_of(res: &TxResult) -> String {
    submit::codespace(res)
}

/// One command-specific result of a committed tx: JSON key, text label, value.
pub type Extra = (&'static str, &'static str, String);

/// Prints a committed tx: hash, height, code, gas, then `extras`; with `with_events` the JSON
/// document carries the tx's events (text output lists the contract's `wasm*` events).
pub fn print_committed(ctx: &Ctx, c: &Committed, extras: &[Extra], with_events: bool) {
    let res = &c.res;
    let codespace = codespace_of(res);
    let mut doc = json!({
        "txhash": c.hash,
        "stage": "committed",
        "height": res.height.to_string(),
        "code": res.code,
        "codespace": codespace,
        "log": res.log,
        "gas_wanted": res.gas_wanted.to_string(),
        "gas_used": res.gas_used.to_string(),
    });
    for (k, _, v) in extras {
        doc[*k] = Value::String(v.clone());
    }
    if with_events {
        doc["events"] = c.events().clone();
    }
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("txhash", c.hash.clone()),
            ("height", res.height.to_string()),
            (
                "code",
                if res.code == 0 {
                    "0 (success)".into()
                } else {
                    format!("{} ({codespace})", res.code)
                },
            ),
            ("gas used", format!("{} / {}", res.gas_used, res.gas_wanted)),
        ];
        if res.code != 0 {
            rows.push(("log", res.log.clone()));
        }
        for (_, label, v) in extras {
            rows.push((label, v.clone()));
        }
        let mut t = fields(&rows);
        if with_events {
            let wasm: Vec<Value> = c
                .events()
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| {
                    e["type"]
                        .as_str()
                        .is_some_and(|t| t == "wasm" || t.starts_with("wasm-"))
                })
                .cloned()
                .collect();
            if !wasm.is_empty() {
                t.push_str("contract events:\n");
                t.push_str(&events_text(&Value::Array(wasm)));
            }
        }
        t
    });
}

#[derive(Args)]
pub struct TxArgs {
    /// Fee paid to validators
    #[arg(long, default_value = "5000uxyz")]
    fees: String,
    /// Gas limit
    #[arg(long, default_value_t = 200_000)]
    gas: u64,
    /// Chain id to sign for [default: the node's]
    #[arg(long)]
    chain_id: Option<String>,
    /// How long to wait for the tx to be committed
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    wait_timeout: Duration,
}

/// Signs `msg` with local key `from_name` and submits it through the CLI's one tx path
/// (`tx::submit`: CheckTx and block failures with hints, `-o json` documents).
pub async fn broadcast(ctx: &Ctx, from_name: &str, msg: Any, args: &TxArgs) -> Result<()> {
    let fee = if args.fees.trim().is_empty() {
        vec![]
    } else {
        parse_amount(&args.fees, "--fees")?
    };
    let spec = TxSpec {
        key_name: from_name.to_string(),
        from: key_address(ctx, from_name)?,
        fee: Some(fee),
        gas: Gas::Fixed(args.gas),
        gas_adjustment: 1.0,
        memo: String::new(),
        timeout_height: 0,
        chain_id: args.chain_id.clone(),
        no_wait: false,
        wait_timeout: args.wait_timeout,
    };
    submit_one(ctx, &spec, msg, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_fee_rounds_up() {
        assert_eq!(min_fee(200_000), 5000);
        assert_eq!(min_fee(1), 1);
        assert_eq!(min_fee(40), 1);
        assert_eq!(min_fee(41), 2);
        assert_eq!(min_fee(0), 0);
    }

    #[test]
    fn gas_flags() {
        assert_eq!(parse_gas("auto").unwrap(), Gas::Auto);
        assert_eq!(parse_gas("AUTO").unwrap(), Gas::Auto);
        assert_eq!(parse_gas("250000").unwrap(), Gas::Fixed(250_000));
        assert!(parse_gas("0").is_err());
        assert!(parse_gas("lots").is_err());
        assert_eq!(parse_adjustment("1.5").unwrap(), 1.5);
        assert!(parse_adjustment("0.5").is_err());
        assert!(parse_adjustment("NaN").is_err());
        assert_eq!(submit::adjusted_gas(100_000, 1.3), 130_000);
        assert_eq!(submit::adjusted_gas(3, 1.5), 5);
        assert_eq!(submit::adjusted_gas(7, 1.0), 7);
    }

    #[test]
    fn wasm_failures_get_wasm_hints() {
        let a = Address::from_bytes(&[1u8; 20]).unwrap();
        assert!(hint(5, "wasm", 1, 0, &a)
            .unwrap()
            .contains("contract returned an error"));
        assert!(hint(5, "sdk", 1, 0, &a)
            .unwrap()
            .contains("insufficient funds"));
        assert!(hint(11, "", 123, 0, &a).unwrap().contains("was 123"));
        assert!(hint(5, "other", 1, 0, &a).is_none());
    }
}
