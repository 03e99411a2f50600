//! `proof tx ...`: build, sign (SIGN_MODE_DIRECT), broadcast and wait for transactions.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use proof_sdk::rpc::RpcClient;
use proof_sdk::tx::{sign_tx, tx_hash_hex, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, BASE_DENOM};
use serde_json::json;

use crate::output::fields;
use crate::query::fetch_account;
use crate::util::{parse_amount, parse_duration, resolve_address};
use crate::{password, Ctx};

#[derive(Subcommand)]
pub enum TxCmd {
    /// Bank module transactions
    Bank {
        #[command(subcommand)]
        cmd: BankTx,
    },
    /// Delegate, unbond, redelegate, create a validator
    Staking {
        #[command(subcommand)]
        cmd: crate::staking::StakingTx,
    },
    /// Unjail a validator
    Slashing {
        #[command(subcommand)]
        cmd: crate::staking::SlashingTx,
    },
    /// Parameter-change proposals, deposits and votes
    Gov {
        #[command(subcommand)]
        cmd: crate::gov::GovTx,
    },
}

#[derive(Subcommand)]
pub enum BankTx {
    /// Send coins from a local key to an address
    Send(SendArgs),
}

#[derive(Args)]
pub struct SendArgs {
    /// Name of the local key that signs and pays
    from: String,
    /// Recipient: proof1... address (or a local key name)
    to: String,
    /// Coins to send, e.g. 1000uxyz or 10uxyz,5foo
    amount: String,
    /// Fee paid to validators (empty for none)
    #[arg(long, default_value = "5000uxyz")]
    fees: String,
    /// Gas limit
    #[arg(long, default_value_t = 200_000)]
    gas: u64,
    #[arg(long, default_value = "")]
    memo: String,
    /// Reject the transaction if it is not committed by this block height (0 = never)
    #[arg(long, default_value_t = 0)]
    timeout_height: u64,
    /// Chain id to sign for [default: the node's]
    #[arg(long)]
    chain_id: Option<String>,
    /// Return after the node accepted the tx into its mempool, without waiting for a block
    #[arg(long)]
    no_wait: bool,
    /// How long to wait for the tx to be committed (e.g. 30s, 2m)
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    wait_timeout: Duration,
}

pub async fn run(ctx: &Ctx, cmd: TxCmd) -> Result<()> {
    match cmd {
        TxCmd::Bank {
            cmd: BankTx::Send(args),
        } => send(ctx, args).await,
        TxCmd::Staking { cmd } => crate::staking::tx_staking(ctx, cmd).await,
        TxCmd::Slashing { cmd } => crate::staking::tx_slashing(ctx, cmd).await,
        TxCmd::Gov { cmd } => crate::gov::tx(ctx, cmd).await,
    }
}

/// Smallest fee the chain accepts for `gas`: gas * 0.025 uxyz, rounded up.
fn min_fee(gas: u64) -> u128 {
    (u128::from(gas) * 25).div_ceil(1000)
}

/// What to do about a failed transaction, by Cosmos SDK error code.
fn hint(code: u32, codespace: &str, args: &SendArgs, from: &Address) -> Option<String> {
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
        11 => format!("out of gas: raise --gas (was {})", args.gas),
        12 => "memo too large: shorten --memo".into(),
        13 => format!(
            "fee too low: the chain needs at least gas * 0.025 {BASE_DENOM}; for --gas {} pass --fees {}{BASE_DENOM} or more",
            args.gas,
            min_fee(args.gas)
        ),
        21 => "transaction too large".into(),
        30 => format!("--timeout-height {} has already passed; raise it or leave it out", args.timeout_height),
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

fn spinner(ctx: &Ctx, hash: &str) -> Option<ProgressBar> {
    // A spinner would corrupt machine-readable output or logs, so only draw it for a human.
    if ctx.output.is_json() || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        pb.set_style(style);
    }
    // Short enough to stay on one line of a narrow terminal; the full hash is printed afterwards.
    pb.set_message(format!(
        "waiting for tx {}… to be committed",
        hash.get(..12).unwrap_or(hash)
    ));
    pb.enable_steady_tick(Duration::from_millis(100));
    Some(pb)
}

async fn chain_id(rpc: &RpcClient, given: Option<String>) -> Result<String> {
    match given {
        Some(c) if !c.trim().is_empty() => Ok(c),
        _ => rpc
            .chain_id()
            .await
            .context("cannot learn the chain id from the node (or pass --chain-id)"),
    }
}

async fn send(ctx: &Ctx, args: SendArgs) -> Result<()> {
    // Validate everything local before touching the network or asking for a password.
    let ks = ctx.keystore();
    let key_file = ks.get(&args.from)?;
    let from: Address = key_file
        .address
        .parse()
        .with_context(|| format!("key file of {:?} has an invalid address", args.from))?;
    let to = resolve_address(&ks, &args.to)?;
    let amount = parse_amount(&args.amount, "amount")?;
    let fee: Vec<Coin> = if args.fees.trim().is_empty() {
        Vec::new()
    } else {
        parse_amount(&args.fees, "--fees")?
    };
    if args.gas == 0 {
        bail!("--gas must be positive (a bank send needs well under 200000)");
    }

    let rpc = ctx.rpc()?;
    let chain_id = chain_id(&rpc, args.chain_id.clone()).await?;
    let Some(account) = fetch_account(&rpc, &from, None).await? else {
        bail!(
            "account {from} (key {:?}) does not exist on chain {chain_id} yet: it must receive funds first, \
             e.g. `proof tx bank send FUNDED_KEY {from} 1000000{BASE_DENOM}`",
            args.from
        );
    };

    let pw = password::unlock(ctx, &format!("key {:?}", args.from))?;
    let key = ks.signing_key(&args.from, &pw)?;
    drop(pw);
    if key.address() != from {
        bail!(
            "key {:?} derives address {} but its file says {from}; the key file is corrupt",
            args.from,
            key.address()
        );
    }

    let params = TxParams {
        memo: args.memo.clone(),
        timeout_height: args.timeout_height,
        gas_limit: args.gas,
        fee,
        include_pubkey: true,
    };
    let signer = Signer {
        key: &key,
        account_number: account.account_number,
        sequence: account.sequence,
    };
    let tx = sign_tx(
        vec![msgs::bank_send(&from, &to, &amount)],
        &[signer],
        &params,
        &chain_id,
    );
    let hash = tx_hash_hex(&tx);

    let check = rpc
        .broadcast_tx_sync(&tx)
        .await
        .context("broadcast failed")?;
    if check.code != 0 {
        if ctx.output.is_json() {
            crate::output::print_json(&json!({
                "txhash": hash, "stage": "check_tx", "code": check.code,
                "codespace": check.codespace, "log": check.log,
            }));
        }
        let h = hint(check.code, &check.codespace, &args, &from);
        return Err(failure(
            "rejected by the node (CheckTx)",
            check.code,
            &check.codespace,
            &check.log,
            h,
        ));
    }

    if args.no_wait {
        let doc = json!({"txhash": hash, "stage": "mempool", "code": 0});
        ctx.output.emit(&doc, || {
            format!("txhash: {hash}\naccepted into the mempool; check it later with `proof query tx {hash}`")
        });
        return Ok(());
    }

    let pb = spinner(ctx, &hash);
    let waited = rpc
        .wait_for_tx(&hash, args.wait_timeout, || {
            if let Some(pb) = &pb {
                pb.tick();
            }
        })
        .await;
    if let Some(pb) = &pb {
        pb.finish_and_clear();
    }
    let res = waited.with_context(|| {
        format!("check later with `proof query tx {hash}`, or wait longer with --wait-timeout")
    })?;
    let codespace = res.raw["tx_result"]["codespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let doc = json!({
        "txhash": hash,
        "stage": "committed",
        "height": res.height.to_string(),
        "code": res.code,
        "codespace": codespace,
        "log": res.log,
        "gas_wanted": res.gas_wanted.to_string(),
        "gas_used": res.gas_used.to_string(),
    });
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("txhash", hash.clone()),
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
        fields(&rows)
    });
    if res.code != 0 {
        let h = hint(res.code, &codespace, &args, &from);
        return Err(failure(
            &format!("failed in block {}", res.height),
            res.code,
            &codespace,
            &res.log,
            h,
        ));
    }
    Ok(())
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
}
