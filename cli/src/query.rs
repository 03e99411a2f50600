//! `proof query ...`: read-only calls against a node.

use anyhow::{bail, Result};
use base64::Engine as _;
use clap::Subcommand;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use cosmos_sdk_proto::Any;
use proof_sdk::rpc::RpcClient;
use proof_sdk::{Address, PublicKey};
use prost::Message;
use serde_json::{json, Value};

use crate::output::{events_text, str_field};
use crate::output::{fields, table};
use crate::rpc_util::grpc;
use crate::util::{normalize_tx_hash, resolve_address};
use crate::Ctx;
use proof_sdk::submit::fetch_account;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

const PATH_BALANCE: &str = "/cosmos.bank.v1beta1.Query/Balance";
const PATH_ALL_BALANCES: &str = "/cosmos.bank.v1beta1.Query/AllBalances";
const PATH_TOTAL_SUPPLY: &str = "/cosmos.bank.v1beta1.Query/TotalSupply";

/// Bounds paginated queries so a node that keeps returning a next key cannot loop us forever.
const MAX_PAGES: usize = 10_000;
const PAGE_LIMIT: u64 = 200;

#[derive(Subcommand)]
pub enum QueryCmd {
    /// Bank module queries
    Bank {
        #[command(subcommand)]
        cmd: BankQuery,
    },
    /// An account's number, sequence and public key
    Account {
        /// proof1... address or local key name
        address: String,
        #[arg(long)]
        height: Option<u64>,
    },
    /// A committed transaction by hash
    Tx { hash: String },
    /// A block (latest if no height is given)
    Block { height: Option<u64> },
    /// The node's chain id, latest height and sync state
    Status,
    /// Total supply of every denom (or one with --denom)
    Supply {
        #[arg(long)]
        denom: Option<String>,
        #[arg(long)]
        height: Option<u64>,
    },
    /// CosmWasm codes, contracts and contract state
    Wasm {
        #[command(subcommand)]
        cmd: crate::wasm_query::WasmQuery,
    },
    /// Validators, delegations, unbonding, pool, params, CometBFT's set
    Staking {
        #[command(subcommand)]
        cmd: crate::staking::StakingQuery,
    },
    /// An epoch checkpoint; --verify checks it, --height proves a block is in it
    Checkpoint(crate::staking::CheckpointArgs),
    /// Governance proposals
    Gov {
        #[command(subcommand)]
        cmd: crate::gov::GovQuery,
    },
    /// L3 rollups: info, list, batches, queued deposits, exit proofs rebuilt from the chain
    Rollup(crate::rollup::RollupQueryArgs),
    /// The AMM: pools, LP shares, the TWAP, queued swaps, quotes
    Amm(crate::amm::AmmQueryArgs),
    /// YY: the altcoin registry, flows against rate limits, HTLC swaps and their secrets
    Yy(crate::yy::YyQueryArgs),
    /// IBC: clients, connections, channels, voucher traces, escrow accounts
    Ibc {
        #[command(subcommand)]
        cmd: crate::ibc::IbcQuery,
    },
    /// The XYZ/USD price the fixed fee is priced at (the AMM's TWAP or the chain parameter), and
    /// the fixed fee in uxyz
    FeePrice,
    /// The contracts the chain calls at every end block, with their gas
    Clock {
        #[command(subcommand)]
        cmd: ClockQuery,
    },
}

#[derive(Subcommand)]
pub enum ClockQuery {
    /// `clock.contracts`: who is called, in order, and each call's gas
    Params,
}

#[derive(Subcommand)]
pub enum BankQuery {
    /// Balances of an address or local key
    Balances {
        /// proof1... address or local key name
        address: String,
        /// Only this denom
        #[arg(long)]
        denom: Option<String>,
        /// Query state at this height instead of the latest
        #[arg(long)]
        height: Option<u64>,
    },
}

pub async fn run(ctx: &Ctx, cmd: QueryCmd) -> Result<()> {
    let rpc = ctx.rpc()?;
    match cmd {
        QueryCmd::Bank {
            cmd:
                BankQuery::Balances {
                    address,
                    denom,
                    height,
                },
        } => {
            let addr = resolve_address(&ctx.keystore(), &address)?;
            balances(ctx, &rpc, &addr, denom.as_deref(), height).await
        }
        QueryCmd::Account { address, height } => {
            let addr = resolve_address(&ctx.keystore(), &address)?;
            account(ctx, &rpc, &addr, height).await
        }
        QueryCmd::Tx { hash } => tx(ctx, &rpc, &hash).await,
        QueryCmd::Block { height } => block(ctx, &rpc, height).await,
        QueryCmd::Status => status(ctx, &rpc).await,
        QueryCmd::Supply { denom, height } => supply(ctx, &rpc, denom.as_deref(), height).await,
        QueryCmd::Wasm { cmd } => crate::wasm_query::run(ctx, &rpc, cmd).await,
        QueryCmd::Staking { cmd } => crate::staking::query(ctx, cmd).await,
        QueryCmd::Checkpoint(args) => crate::staking::checkpoint(ctx, args).await,
        QueryCmd::Gov { cmd } => crate::gov::query(ctx, cmd).await,
        QueryCmd::Rollup(args) => crate::rollup::query(ctx, args).await,
        QueryCmd::Amm(args) => crate::amm::query(ctx, args).await,
        QueryCmd::Yy(args) => crate::yy::query(ctx, args).await,
        QueryCmd::Ibc { cmd } => crate::ibc::query(ctx, cmd).await,
        QueryCmd::Clock {
            cmd: ClockQuery::Params,
        } => clock_params(ctx, &rpc).await,
        QueryCmd::FeePrice => {
            let v: serde_json::Value = rpc
                .json_query(
                    "/proof.fee_price.v1.Query/Price",
                    serde_json::json!({}),
                    None,
                )
                .await?;
            ctx.output.emit(&v, || {
                crate::output::fields(&[
                    ("micro-USD per XYZ", v["micro_usd_per_xyz"].to_string()),
                    ("from", crate::output::str_field(&v["from"])),
                    (
                        "fixed fee",
                        format!("{}uxyz", crate::output::str_field(&v["fixed_fee_uxyz"])),
                    ),
                ])
            });
            Ok(())
        }
    }
}

/// Walks every page of a paginated query.
async fn all_pages<Req, Resp, T>(
    rpc: &RpcClient,
    path: &str,
    height: Option<u64>,
    make_req: impl Fn(PageRequest) -> Req,
    split: impl Fn(Resp) -> (Vec<T>, Vec<u8>),
) -> Result<(Vec<T>, u64)>
where
    Req: Message,
    Resp: Message + Default,
{
    let mut out = Vec::new();
    let mut key = Vec::new();
    let mut pinned = height;
    for _ in 0..MAX_PAGES {
        let page = PageRequest {
            key: key.clone(),
            limit: PAGE_LIMIT,
            ..Default::default()
        };
        let (resp, h) = grpc::<Req, Resp>(rpc, path, &make_req(page), pinned).await?;
        if pinned.is_none() && h > 0 {
            pinned = Some(h);
        }
        let (items, next) = split(resp);
        out.extend(items);
        if next.is_empty() || next == key {
            return Ok((out, h));
        }
        key = next;
    }
    bail!("{path}: more than {MAX_PAGES} pages; the node's pagination looks broken")
}

fn coins_json(coins: &[ProtoCoin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

fn coins_table(coins: &[ProtoCoin]) -> String {
    let rows: Vec<Vec<String>> = coins
        .iter()
        .map(|c| vec![c.amount.clone(), c.denom.clone()])
        .collect();
    table(&["AMOUNT", "DENOM"], &rows)
}

async fn balances(
    ctx: &Ctx,
    rpc: &RpcClient,
    addr: &Address,
    denom: Option<&str>,
    height: Option<u64>,
) -> Result<()> {
    let (coins, at) = match denom {
        Some(d) => {
            proof_sdk::coin::validate_denom(d)?;
            let req = QueryBalanceRequest {
                address: addr.to_string(),
                denom: d.to_string(),
            };
            let (resp, at) =
                grpc::<_, QueryBalanceResponse>(rpc, PATH_BALANCE, &req, height).await?;
            let coin = resp.balance.unwrap_or_else(|| ProtoCoin {
                denom: d.to_string(),
                amount: "0".into(),
            });
            (vec![coin], at)
        }
        None => {
            all_pages(
                rpc,
                PATH_ALL_BALANCES,
                height,
                |pagination| QueryAllBalancesRequest {
                    address: addr.to_string(),
                    pagination: Some(pagination),
                    resolve_denom: false,
                },
                |r: QueryAllBalancesResponse| {
                    (
                        r.balances,
                        r.pagination.map(|p| p.next_key).unwrap_or_default(),
                    )
                },
            )
            .await?
        }
    };
    let doc = json!({"address": addr.to_string(), "height": at.to_string(), "balances": coins_json(&coins)});
    ctx.output.emit(&doc, || {
        let mut t = fields(&[("address", addr.to_string()), ("height", at.to_string())]);
        if coins.is_empty() {
            t.push_str("no balances (the account has never received funds)\n");
        } else {
            t.push('\n');
            t.push_str(&coins_table(&coins));
        }
        t
    });
    Ok(())
}

async fn supply(
    ctx: &Ctx,
    rpc: &RpcClient,
    denom: Option<&str>,
    height: Option<u64>,
) -> Result<()> {
    let (mut coins, at) = all_pages(
        rpc,
        PATH_TOTAL_SUPPLY,
        height,
        |pagination| QueryTotalSupplyRequest {
            pagination: Some(pagination),
        },
        |r: QueryTotalSupplyResponse| {
            (
                r.supply,
                r.pagination.map(|p| p.next_key).unwrap_or_default(),
            )
        },
    )
    .await?;
    if let Some(d) = denom {
        coins.retain(|c| c.denom == d);
        if coins.is_empty() {
            coins.push(ProtoCoin {
                denom: d.to_string(),
                amount: "0".into(),
            });
        }
    }
    let doc = json!({"height": at.to_string(), "supply": coins_json(&coins)});
    ctx.output.emit(&doc, || {
        let mut t = fields(&[("height", at.to_string())]);
        t.push('\n');
        t.push_str(&coins_table(&coins));
        t
    });
    Ok(())
}

fn pubkey_type(pk: Option<&Any>) -> String {
    match pk {
        None => "none (set by the account's first transaction)".into(),
        Some(any) => match PublicKey::from_any(any) {
            Ok(pk) => pk.key_type().to_string(),
            Err(_) => any.type_url.clone(),
        },
    }
}

async fn account(ctx: &Ctx, rpc: &RpcClient, addr: &Address, height: Option<u64>) -> Result<()> {
    let Some(acc) = fetch_account(rpc, addr, height).await? else {
        bail!("account {addr} does not exist on chain; accounts are created when they first receive funds");
    };
    let pk_type = pubkey_type(acc.pub_key.as_ref());
    let doc = json!({
        "address": acc.address,
        "account_number": acc.account_number.to_string(),
        "sequence": acc.sequence.to_string(),
        "pub_key": acc.pub_key.as_ref().map(|pk| json!({"type_url": pk.type_url, "value": B64.encode(&pk.value)})),
        "pub_key_type": acc.pub_key.as_ref().map(|_| pk_type.clone()),
        "module": acc.module,
    });
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("address", acc.address.clone()),
            ("account number", acc.account_number.to_string()),
            ("sequence", acc.sequence.to_string()),
            ("pubkey type", pk_type.clone()),
        ];
        if let Some(m) = &acc.module {
            rows.push(("module", m.clone()));
        }
        fields(&rows)
    });
    Ok(())
}

/// Message type URLs and memo of a base64 tx, best effort (the node's `tx` field).
fn decode_tx_summary(b64: &str) -> Option<(Vec<String>, String)> {
    let raw = TxRaw::decode(B64.decode(b64).ok()?.as_slice()).ok()?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).ok()?;
    Some((
        body.messages.into_iter().map(|m| m.type_url).collect(),
        body.memo,
    ))
}

async fn tx(ctx: &Ctx, rpc: &RpcClient, hash: &str) -> Result<()> {
    let hash = normalize_tx_hash(hash)?;
    let Some(r) = rpc.tx(&hash).await? else {
        bail!("transaction {hash} not found: it is not committed (yet), or the node does not index transactions");
    };
    let res = &r.raw["tx_result"];
    let codespace = str_field(&res["codespace"]);
    let summary = r.raw["tx"].as_str().and_then(decode_tx_summary);
    let (messages, memo) = summary.clone().unwrap_or_default();
    let doc = json!({
        "txhash": hash,
        "height": r.height.to_string(),
        "code": r.code,
        "codespace": codespace,
        "log": r.log,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "messages": messages,
        "memo": memo,
        "events": res["events"].clone(),
    });
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("txhash", hash.clone()),
            ("height", r.height.to_string()),
            (
                "code",
                if r.code == 0 {
                    "0 (success)".into()
                } else {
                    format!("{} ({codespace})", r.code)
                },
            ),
            (
                "gas",
                format!("{} used / {} wanted", r.gas_used, r.gas_wanted),
            ),
        ];
        if !r.log.is_empty() {
            rows.push(("log", r.log.clone()));
        }
        if summary.is_some() {
            rows.push(("messages", messages.join(", ")));
            if !memo.is_empty() {
                rows.push(("memo", memo.clone()));
            }
        }
        let mut t = fields(&rows);
        let ev = events_text(&res["events"]);
        if !ev.is_empty() {
            t.push_str("events:\n");
            t.push_str(&ev);
        }
        t
    });
    Ok(())
}

async fn block(ctx: &Ctx, rpc: &RpcClient, height: Option<u64>) -> Result<()> {
    let r = rpc.block(height).await?;
    let header = &r["block"]["header"];
    let txs: Vec<String> = r["block"]["data"]["txs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().and_then(|s| B64.decode(s).ok()))
        .map(|b| proof_sdk::tx::tx_hash_hex(&b))
        .collect();
    let doc = json!({
        "height": str_field(&header["height"]),
        "hash": str_field(&r["block_id"]["hash"]),
        "time": str_field(&header["time"]),
        "chain_id": str_field(&header["chain_id"]),
        "proposer": str_field(&header["proposer_address"]),
        "app_hash": str_field(&header["app_hash"]),
        "num_txs": txs.len(),
        "txs": txs,
    });
    ctx.output.emit(&doc, || {
        let mut t = fields(&[
            ("height", str_field(&header["height"])),
            ("hash", str_field(&r["block_id"]["hash"])),
            ("time", str_field(&header["time"])),
            ("proposer", str_field(&header["proposer_address"])),
            ("app hash", str_field(&header["app_hash"])),
            ("txs", txs.len().to_string()),
        ]);
        for h in &txs {
            t.push_str(&format!("  {h}\n"));
        }
        t
    });
    Ok(())
}

async fn status(ctx: &Ctx, rpc: &RpcClient) -> Result<()> {
    let s = rpc.status().await?;
    let sync = &s["sync_info"];
    let doc = json!({
        "chain_id": str_field(&s["node_info"]["network"]),
        "moniker": str_field(&s["node_info"]["moniker"]),
        "node_version": str_field(&s["node_info"]["version"]),
        "latest_block_height": str_field(&sync["latest_block_height"]),
        "latest_block_hash": str_field(&sync["latest_block_hash"]),
        "latest_block_time": str_field(&sync["latest_block_time"]),
        "latest_app_hash": str_field(&sync["latest_app_hash"]),
        "catching_up": sync["catching_up"].as_bool().unwrap_or(false),
    });
    ctx.output.emit(&doc, || {
        fields(&[
            ("chain id", str_field(&s["node_info"]["network"])),
            ("moniker", str_field(&s["node_info"]["moniker"])),
            ("latest height", str_field(&sync["latest_block_height"])),
            ("latest block time", str_field(&sync["latest_block_time"])),
            ("app hash", str_field(&sync["latest_app_hash"])),
            (
                "catching up",
                sync["catching_up"].as_bool().unwrap_or(false).to_string(),
            ),
        ])
    });
    Ok(())
}

async fn clock_params(ctx: &Ctx, rpc: &RpcClient) -> Result<()> {
    let v: serde_json::Value = rpc
        .json_query("/proof.clock.v1.Query/Params", serde_json::json!({}), None)
        .await?;
    ctx.output.emit(&v, || {
        let rows: Vec<Vec<String>> = v["contracts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                vec![
                    c["address"].as_str().unwrap_or_default().to_string(),
                    c["gas_limit"].to_string(),
                ]
            })
            .collect();
        crate::output::table(&["CONTRACT", "GAS"], &rows)
    });
    Ok(())
}
