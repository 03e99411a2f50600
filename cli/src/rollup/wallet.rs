//! `proof rollup ...`: the L3 wallet. Transfers and withdrawals are signed here with a rollup
//! key and sent to the rollup's operator (`proof_rollup::client`); the operator's soft
//! confirmation is checked (hash and receipt key), then the transaction is followed over the
//! operator's events websocket until the state asked for (by default: verified on the chain).
//! `exit` needs no operator: it is the chain transaction of `proof tx rollup exit`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use proof_rollup::client::OperatorClient;
use proof_rollup::receipt::Receipt;
use proof_rollup::wire::{
    tx_hash, StatusResponse, TransferBody, TxState, TxStatusResponse, WithdrawBody,
};
use serde_json::{json, Value};

use super::contracts::SystemContracts;
use super::keys::{secret_key, RollupKeysCmd};
use crate::output::fields;
use crate::progress::{finish, Progress};
use crate::submit::{TxFlags, TxSpec};
use crate::util::{parse_duration, resolve_address};
use crate::Ctx;

/// What a wallet pays at most when the operator names the fee (in the rollup's smallest unit).
const DEFAULT_MAX_FEE: u64 = 10_000;

#[derive(Args)]
pub struct RollupArgs {
    /// The rollup operator's API
    #[arg(
        long,
        global = true,
        env = "PROOF_ROLLUP_OPERATOR",
        default_value = "http://127.0.0.1:7780"
    )]
    operator: String,
    /// The rollup you mean to sign for: an operator serving another one is refused (the rollup
    /// id is in every signature, and a wallet should not take it from the operator alone)
    #[arg(long = "rollup-id", global = true, env = "PROOF_ROLLUP")]
    rollup_id: Option<u32>,
    #[command(subcommand)]
    cmd: RollupCmd,
}

/// How far to follow a transaction before returning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WaitFor {
    /// Return with the soft confirmation (the operator's signed receipt)
    Soft,
    /// Until its batch is closed
    InBatch,
    /// Until its batch is proven
    Proven,
    /// Until the verifier contract verified its batch on the chain
    Verified,
}

impl WaitFor {
    fn state(self) -> TxState {
        match self {
            WaitFor::Soft => TxState::SoftConfirmed,
            WaitFor::InBatch => TxState::InBatch,
            WaitFor::Proven => TxState::Proven,
            WaitFor::Verified => TxState::Verified,
        }
    }
}

#[derive(Args)]
pub struct Follow {
    /// Return once the transaction reaches this state
    #[arg(long, value_enum, default_value = "verified")]
    wait: WaitFor,
    /// Give up following after this long (the transaction stays confirmed)
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    wait_timeout: Duration,
}

/// Who signs and what fee they pay.
#[derive(Args)]
pub struct Pay {
    /// The operator's fee [default: its minimum, if at most --max-fee]
    #[arg(long)]
    fee: Option<u64>,
    /// The highest fee to pay when --fee is not given (the operator names its minimum)
    #[arg(long, default_value_t = DEFAULT_MAX_FEE)]
    max_fee: u64,
}

#[derive(Subcommand)]
pub enum RollupCmd {
    /// Rollup account keys (Schnorr over Vesta, from a BIP-39 mnemonic)
    Keys {
        #[command(subcommand)]
        cmd: RollupKeysCmd,
    },
    /// Send AMOUNT from your account to account --to, through the operator
    Send {
        /// The rollup key that owns the sending account
        key: String,
        /// The amount, in the rollup's smallest unit
        amount: u64,
        /// Your account's index in the rollup
        #[arg(long)]
        account: u32,
        /// The receiving account's index
        #[arg(long)]
        to: u32,
        #[command(flatten)]
        pay: Pay,
        #[command(flatten)]
        follow: Follow,
    },
    /// Withdraw AMOUNT from your account to a chain address, paid when its batch is verified
    Withdraw {
        key: String,
        amount: u64,
        #[arg(long)]
        account: u32,
        /// Chain address (proof1...) or the name of a chain key
        #[arg(long)]
        recipient: String,
        #[command(flatten)]
        pay: Pay,
        #[command(flatten)]
        follow: Follow,
    },
    /// An account's balance and nonce at the operator (soft) and at the last verified root
    Balance {
        #[arg(long)]
        account: u32,
    },
    /// Where a transaction is; with --wait, follow it until that state
    Status {
        /// The transaction hash (from the receipt)
        hash: String,
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        wait_timeout: Duration,
    },
    /// Take an account's balance out of a frozen rollup (a chain transaction, no operator
    /// needed: the exit proof is rebuilt from the batch data on chain)
    Exit {
        rollup: u32,
        #[arg(long)]
        account: u32,
        #[command(flatten)]
        contracts: SystemContracts,
        #[command(flatten)]
        tx: TxFlags,
    },
}

pub async fn run(ctx: &Ctx, args: RollupArgs) -> Result<()> {
    let client = OperatorClient::new(&args.operator);
    match args.cmd {
        RollupCmd::Keys { cmd } => super::keys::run(ctx, cmd),
        RollupCmd::Send {
            key,
            amount,
            account,
            to,
            pay,
            follow,
        } => {
            let s = Signer::ready(ctx, &client, args.rollup_id, &key, account, &pay).await?;
            let body = TransferBody::sign(&s.sk, s.rollup, account, to, amount, s.fee, s.nonce)?;
            let hash = tx_hash(&body.to_op()?)?;
            let sent = Instant::now();
            let receipt = client
                .submit("/v1/transfers", &body, &hash, &s.receipt_key)
                .await
                .context("the transfer was not confirmed")?;
            followed(ctx, &client, receipt, sent, &follow).await
        }
        RollupCmd::Withdraw {
            key,
            amount,
            account,
            recipient,
            pay,
            follow,
        } => {
            let recipient = resolve_address(&ctx.keystore(), &recipient)?;
            let s = Signer::ready(ctx, &client, args.rollup_id, &key, account, &pay).await?;
            let body =
                WithdrawBody::sign(&s.sk, s.rollup, account, amount, s.fee, s.nonce, &recipient)?;
            let hash = tx_hash(&body.to_op()?)?;
            let sent = Instant::now();
            let receipt = client
                .submit("/v1/withdrawals", &body, &hash, &s.receipt_key)
                .await
                .context("the withdrawal was not confirmed")?;
            followed(ctx, &client, receipt, sent, &follow).await
        }
        RollupCmd::Balance { account } => {
            let a = client.account(account).await?;
            let doc = json!(a);
            ctx.output.emit(&doc, || {
                fields(&[
                    ("account", a.index.to_string()),
                    ("balance (soft)", a.balance.0.to_string()),
                    ("balance (verified)", a.verified_balance.0.to_string()),
                    ("next nonce", a.nonce.to_string()),
                    ("pubkey", a.pubkey.clone().unwrap_or_else(|| "none".into())),
                ])
            });
            Ok(())
        }
        RollupCmd::Status {
            hash,
            wait,
            wait_timeout,
        } => {
            let hash = crate::util::normalize_tx_hash(&hash)?;
            let start = Instant::now();
            let now = client.tx(&hash).await?;
            let (last, stages) = match wait {
                None => (now.clone(), vec![Stage::at(&now, start)]),
                Some(w) => follow(ctx, &client, now, start, w.state(), wait_timeout).await?,
            };
            print_followed(ctx, None, &last, &stages);
            Ok(())
        }
        RollupCmd::Exit {
            rollup,
            account,
            contracts,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            super::tx::exit(ctx, &spec, &contracts.verifier()?, rollup, account).await
        }
    }
}

/// `--fee`, else the operator's minimum if it is at most `max_fee`: the operator's word alone
/// never sets what the wallet signs away.
fn choose_fee(fee: Option<u64>, max_fee: u64, status: &StatusResponse) -> Result<u64> {
    match fee {
        Some(f) => Ok(f),
        None if status.min_fee.0 <= max_fee => Ok(status.min_fee.0),
        None => bail!(
            "the operator asks a fee of {}, above --max-fee {max_fee}: pass --fee or --max-fee to pay it",
            status.min_fee.0
        ),
    }
}

/// What signing a transfer or withdrawal needs: the unlocked key, the rollup and receipt key
/// (from the operator's status, checked), the fee and the account's next nonce.
struct Signer {
    sk: proof_zk::SecretKey,
    rollup: u32,
    receipt_key: String,
    fee: u64,
    nonce: u64,
}

impl Signer {
    /// Unlocks `key`, asks the operator for its status and the sending account, and checks that
    /// the account holds the key and the operator serves the rollup meant.
    async fn ready(
        ctx: &Ctx,
        client: &OperatorClient,
        rollup: Option<u32>,
        key: &str,
        account: u32,
        pay: &Pay,
    ) -> Result<Signer> {
        let sk = secret_key(ctx, key)?;
        let status = client
            .status()
            .await
            .with_context(|| format!("cannot reach the operator at {}", client.base()))?;
        if rollup.is_none() {
            warn(
                ctx,
                &format!(
                    "signing for rollup {}, as the operator says; pass --rollup-id (or PROOF_ROLLUP) to be sure",
                    status.rollup
                ),
            );
        }
        if let Some(r) = rollup.filter(|r| *r != status.rollup) {
            bail!(
                "the operator at {} serves rollup {}, not rollup {r} (--rollup-id)",
                client.base(),
                status.rollup
            );
        }
        if let Some(why) = &status.halted {
            bail!("the operator takes no transactions now: {why}");
        }
        let acct = client.account(account).await?;
        let mine = super::keys::pubkey_hex(&sk.public_key());
        match &acct.pubkey {
            None => bail!("account {account} has no key yet: deposit to it first (`proof tx rollup deposit ... --key {key}`)"),
            Some(pk) if *pk != mine => bail!("account {account} holds key {pk}, not rollup key {key:?} ({mine})"),
            Some(_) => {}
        }
        Ok(Signer {
            fee: choose_fee(pay.fee, pay.max_fee, &status)?,
            sk,
            rollup: status.rollup,
            receipt_key: status.receipt_key,
            nonce: acct.nonce,
        })
    }
}

/// One state a transaction was seen in, and when (since it was sent).
struct Stage {
    state: TxState,
    millis: u128,
}

impl Stage {
    fn at(s: &TxStatusResponse, start: Instant) -> Stage {
        Stage {
            state: s.state,
            millis: start.elapsed().as_millis(),
        }
    }
}

fn state_name(s: TxState) -> &'static str {
    match s {
        TxState::SoftConfirmed => "soft-confirmed",
        TxState::InBatch => "in batch",
        TxState::Proven => "proven",
        TxState::Verified => "verified",
    }
}

async fn followed(
    ctx: &Ctx,
    client: &OperatorClient,
    receipt: Receipt,
    sent: Instant,
    f: &Follow,
) -> Result<()> {
    let soft = TxStatusResponse {
        hash: receipt.hash.clone(),
        batch: receipt.batch,
        position: receipt.position,
        state: TxState::SoftConfirmed,
        chain_tx: None,
        chain_height: None,
    };
    let followed = follow(ctx, client, soft, sent, f.wait.state(), f.wait_timeout).await;
    let (last, stages) = followed.with_context(|| {
        format!(
            "the transaction is soft-confirmed (batch {}, position {}); follow it with `proof rollup status {} --wait verified`",
            receipt.batch, receipt.position, receipt.hash
        )
    })?;
    print_followed(ctx, Some(&receipt), &last, &stages);
    Ok(())
}

/// Follows the transaction from `now` until `until` over the events websocket, reconnecting
/// (the operator may restart: it keeps every confirmed transaction) until `timeout`.
async fn follow(
    ctx: &Ctx,
    client: &OperatorClient,
    now: TxStatusResponse,
    start: Instant,
    until: TxState,
    timeout: Duration,
) -> Result<(TxStatusResponse, Vec<Stage>)> {
    let mut stages = vec![Stage::at(&now, start)];
    let mut last = now;
    let mut progress = Progress::new(ctx, 1);
    let bar = progress.spinner(&spin_text(&last));
    let hash = last.hash.clone();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut backoff = Duration::from_millis(200);
    while last.state < until {
        let step = async {
            let mut watch = client.watch_tx(&hash).await?;
            while let Some(s) = watch.next().await? {
                if s.state > last.state {
                    stages.push(Stage::at(&s, start));
                }
                last = s;
                if let Some(b) = &bar {
                    b.set_message(spin_text(&last));
                }
                if last.state >= until {
                    break;
                }
            }
            Ok::<_, proof_rollup::client::ClientError>(())
        };
        match tokio::time::timeout_at(deadline, step).await {
            Err(_) => {
                finish(bar);
                bail!(
                    "timed out after {timeout:?}: the transaction is {} (batch {}), not {}",
                    state_name(last.state),
                    last.batch,
                    state_name(until)
                );
            }
            Ok(Ok(())) => backoff = Duration::from_millis(200),
            Ok(Err(e)) if ends_follow(&e) => {
                finish(bar);
                return Err(e.into());
            }
            Ok(Err(e)) => {
                warn(ctx, &format!("{e}; reconnecting"));
                tokio::time::sleep(backoff.min(deadline - tokio::time::Instant::now())).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    finish(bar);
    Ok((last, stages))
}

/// Whether an error ends following: a refusal is an answer, not an outage, except
/// `unavailable`, which asks to come back later (the operator is busy or restarting).
fn ends_follow(e: &proof_rollup::client::ClientError) -> bool {
    e.code().is_some_and(|c| c != "unavailable")
}

fn spin_text(s: &TxStatusResponse) -> String {
    format!(
        "{} (batch {}, position {}); waiting for the next state",
        state_name(s.state),
        s.batch,
        s.position
    )
}

/// A warning on stderr, except in JSON mode (its stdout is one document; stderr stays quiet).
fn warn(ctx: &Ctx, msg: &str) {
    if !ctx.output.is_json() {
        eprintln!("warning: {msg}");
    }
}

fn print_followed(ctx: &Ctx, receipt: Option<&Receipt>, last: &TxStatusResponse, stages: &[Stage]) {
    let stage_docs: Vec<Value> = stages
        .iter()
        .map(|s| json!({"state": s.state, "after_ms": s.millis as u64}))
        .collect();
    let mut doc = json!({"status": last, "stages": stage_docs});
    if let Some(r) = receipt {
        doc["receipt"] = json!(r);
    }
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("hash", last.hash.clone()),
            ("batch", last.batch.to_string()),
            ("position", last.position.to_string()),
            ("state", state_name(last.state).to_string()),
        ];
        if let Some(h) = last.chain_height {
            rows.push(("chain height", h.to_string()));
        }
        if let Some(t) = &last.chain_tx {
            rows.push(("chain tx", t.clone()));
        }
        let seen = stages
            .iter()
            .map(|s| format!("{} after {} ms", state_name(s.state), s.millis))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(("seen", seen));
        fields(&rows)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proof_rollup::client::ClientError;
    use proof_rollup::wire::Amount;

    fn status(min_fee: u64) -> StatusResponse {
        StatusResponse {
            rollup: 1,
            receipt_key: String::new(),
            ops_per_step: 2,
            open_batch: 0,
            open_batch_ops: 0,
            verified_batches: 0,
            proven_waiting: 0,
            next_deposit_seq: 0,
            min_fee: Amount(min_fee),
            provers: 1,
            halted: None,
            post_error: None,
        }
    }

    #[test]
    fn the_operator_never_sets_a_fee_above_the_wallets_cap() {
        assert_eq!(choose_fee(None, 10, &status(7)).unwrap(), 7);
        let err = choose_fee(None, 10, &status(11)).unwrap_err().to_string();
        assert!(err.contains("above --max-fee 10"), "{err}");
        assert_eq!(
            choose_fee(Some(50), 10, &status(11)).unwrap(),
            50,
            "--fee is the user's own word"
        );
    }

    #[test]
    fn only_a_definite_refusal_ends_a_follow() {
        let refused = |code: &str| ClientError::Refused {
            status: 400,
            code: code.into(),
            message: String::new(),
        };
        assert!(ends_follow(&refused("unknown_tx")));
        assert!(
            !ends_follow(&refused("unavailable")),
            "busy: come back later"
        );
        assert!(!ends_follow(&ClientError::Events {
            url: String::new(),
            reason: "reset".into()
        }));
    }
}
