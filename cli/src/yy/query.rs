//! `proof query yy ...`: config, the altcoin registry, an altcoin's flows, HTLC swaps and how a
//! settled one ended (with a claim's secret, which the other side of a swap needs).

use anyhow::Result;
use clap::{Args, Subcommand};
use proof_rollup::chain::smart;
use serde_json::json;
use yy_msgs::{
    AltcoinResponse, AltcoinsResponse, ConfigResponse, Expiration, FlowResponse, QueryMsg,
    SettledResponse, SwapResponse, SwapsResponse,
};

use super::contract::YyContract;
use crate::output::{fields, table};
use crate::util::parse_address;
use crate::Ctx;

#[derive(Args)]
pub struct YyQueryArgs {
    #[command(flatten)]
    contract: YyContract,
    #[command(subcommand)]
    cmd: YyQuery,
}

#[derive(Subcommand)]
pub enum YyQuery {
    /// Governance, guardians and the chain's own coin
    Config,
    /// The registered altcoins (one page)
    Altcoins {
        #[arg(long)]
        start_after: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// One registered altcoin: its trace, limits and status
    Altcoin { denom: String },
    /// An altcoin's flows on a channel against its quotas
    Flow { denom: String, channel: String },
    /// An open HTLC swap
    Swap { id: String },
    /// Open HTLC swaps (one page), or a recipient's
    Swaps {
        #[arg(long)]
        recipient: Option<String>,
        #[arg(long)]
        start_after: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// How a swap ended: claimed (with its secret) or refunded
    Settled { id: String },
}

pub(super) fn expiry_text(e: &Expiration) -> String {
    match e {
        Expiration::AtHeight(h) => format!("height {h}"),
        Expiration::AtTime(t) => format!("unix time {t}"),
    }
}

fn swap_rows(s: &SwapResponse) -> Vec<(&'static str, String)> {
    vec![
        ("id", s.id.clone()),
        ("sender", s.sender.clone()),
        ("recipient", s.recipient.clone()),
        ("amount", format!("{}{}", s.amount.0, s.denom)),
        ("hash", s.hash.clone()),
        ("expires", expiry_text(&s.expires)),
    ]
}

fn altcoin_rows(a: &AltcoinResponse) -> Vec<(&'static str, String)> {
    let c = &a.altcoin;
    vec![
        ("denom", c.denom.clone()),
        ("display", c.display.clone()),
        ("base denom", c.base_denom.clone()),
        ("trace", c.trace_path.clone()),
        ("source chain", c.source_chain.clone()),
        ("channel", c.channel.clone()),
        ("decimals", c.decimals.to_string()),
        ("quotas", c.limits.quotas.len().to_string()),
        (
            "status",
            match &a.pause {
                Some(p) => format!("paused ({:?}: {})", p.cause, p.reason),
                None => "active".into(),
            },
        ),
    ]
}

pub async fn run(ctx: &Ctx, args: YyQueryArgs) -> Result<()> {
    let rpc = ctx.rpc()?;
    let yy = args.contract.address()?;
    match args.cmd {
        YyQuery::Config => {
            let c: ConfigResponse = smart(&rpc, &yy, &QueryMsg::Config {}).await?;
            ctx.output.emit(&json!(c), || {
                fields(&[
                    ("governance", c.governance.clone()),
                    ("native denom", c.native_denom.clone()),
                    ("guardians", c.guardians.join(", ")),
                ])
            });
        }
        YyQuery::Altcoins { start_after, limit } => {
            let r: AltcoinsResponse =
                smart(&rpc, &yy, &QueryMsg::Altcoins { start_after, limit }).await?;
            ctx.output.emit(&json!(r), || {
                let rows: Vec<Vec<String>> = r
                    .altcoins
                    .iter()
                    .map(|a| {
                        vec![
                            a.altcoin.denom.clone(),
                            a.altcoin.display.clone(),
                            a.altcoin.source_chain.clone(),
                            a.altcoin.channel.clone(),
                            if a.pause.is_some() {
                                "paused"
                            } else {
                                "active"
                            }
                            .into(),
                        ]
                    })
                    .collect();
                table(&["DENOM", "DISPLAY", "SOURCE", "CHANNEL", "STATUS"], &rows)
            });
        }
        YyQuery::Altcoin { denom } => {
            let a: AltcoinResponse = smart(&rpc, &yy, &QueryMsg::Altcoin { denom }).await?;
            ctx.output.emit(&json!(a), || fields(&altcoin_rows(&a)));
        }
        YyQuery::Flow { denom, channel } => {
            let f: FlowResponse = smart(&rpc, &yy, &QueryMsg::Flow { denom, channel }).await?;
            ctx.output.emit(&json!(f), || {
                let rows: Vec<Vec<String>> = f
                    .quotas
                    .iter()
                    .map(|q| {
                        vec![
                            q.name.clone(),
                            format!("{} / {}", q.inflow.0, q.max_inflow.0),
                            format!("{} / {}", q.outflow.0, q.max_outflow.0),
                            q.resets_at.to_string(),
                        ]
                    })
                    .collect();
                table(&["QUOTA", "IN / MAX", "OUT / MAX", "RESETS AT"], &rows)
            });
        }
        YyQuery::Swap { id } => {
            let s: SwapResponse = smart(&rpc, &yy, &QueryMsg::Swap { id }).await?;
            ctx.output.emit(&json!(s), || fields(&swap_rows(&s)));
        }
        YyQuery::Swaps {
            recipient,
            start_after,
            limit,
        } => {
            let q = match recipient {
                Some(r) => QueryMsg::SwapsByRecipient {
                    recipient: parse_address(&r)?.to_string(),
                    start_after,
                    limit,
                },
                None => QueryMsg::Swaps { start_after, limit },
            };
            let r: SwapsResponse = smart(&rpc, &yy, &q).await?;
            ctx.output.emit(&json!(r), || {
                let rows: Vec<Vec<String>> = r
                    .swaps
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.clone(),
                            format!("{}{}", s.amount.0, s.denom),
                            s.recipient.clone(),
                            expiry_text(&s.expires),
                        ]
                    })
                    .collect();
                table(&["ID", "AMOUNT", "RECIPIENT", "EXPIRES"], &rows)
            });
        }
        YyQuery::Settled { id } => {
            let s: SettledResponse = smart(&rpc, &yy, &QueryMsg::Settled { id }).await?;
            ctx.output.emit(&json!(s), || {
                fields(&[
                    ("id", s.id.clone()),
                    ("outcome", format!("{:?}", s.outcome).to_lowercase()),
                    ("secret", s.preimage.clone().unwrap_or_default()),
                    ("height", s.height.to_string()),
                ])
            });
        }
    }
    Ok(())
}
