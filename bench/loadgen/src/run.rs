//! One load run: query accounts, pre-sign, submit open-loop, watch blocks, report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
use futures::StreamExt;
use proof_sdk::rpc::RpcClient;
use proof_sdk::tx::{self, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use prost::Message;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};

use crate::keys;
use crate::metrics::{self, NodeWork, ProcCpu};
use crate::sched;
use crate::stats::{self, ErrorClass, LatencyStats, SubmitStats, Tracker, TxHash, WindowStats};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How long one broadcast may take before its outcome is counted as unknown.
const BROADCAST_TIMEOUT: Duration = Duration::from_secs(8);
/// How long to wait for already accepted txs to commit after submission stops.
const DRAIN: Duration = Duration::from_secs(20);
/// Cap on draining and reading results beyond warmup + duration (plus <= 4 s for the final
/// metrics scrape, so a run ends within warmup + duration + 30 s).
const RUN_SLACK: Duration = Duration::from_secs(24);
/// Blocks fetched at once, and how long one block or block_results request may take.
const FETCH_CONCURRENCY: usize = 4;
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PubkeyMode {
    /// Put the public key in every tx.
    Always,
    /// Only in a sender's first tx (sequence 0, or while the chain has no key stored).
    First,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockResults {
    /// After the load (serialising results is costly for CometBFT; keeps it out of the window).
    After,
    /// As each block is seen (adds RPC load on the node during the measurement).
    During,
    /// Never: every tx found in a block counts as ok.
    Skip,
}

#[derive(Clone, Debug)]
pub struct RunOpts {
    pub nodes: Vec<String>,
    pub rate: f64,
    pub duration: f64,
    pub warmup: f64,
    pub seed: String,
    pub key_type: KeyType,
    pub chain_id: Option<String>,
    pub max_in_flight: usize,
    pub poll_ms: u64,
    pub pubkey: PubkeyMode,
    /// proofd Prometheus endpoints to diff over the run (optional).
    pub metrics: Vec<String>,
    /// When to read `block_results` for the result codes of our txs.
    pub block_results: BlockResults,
    /// Other processes whose CPU time to report (name, pid).
    pub watch: Vec<(String, u32)>,
    pub gas: u64,
    pub fee: Vec<Coin>,
    pub amount: Vec<Coin>,
    /// Contract workload: transfer 1 token of this cw20-style contract instead of `amount`.
    pub token: Option<Address>,
    /// IBC workload: an ICS-20 MsgTransfer of `amount` on this channel (port `transfer`) to
    /// the recipient's address on the counterparty, instead of a bank send.
    pub ibc_channel: Option<String>,
    pub quiet: bool,
}

/// The keys, derived once (also reused between the runs of a sweep).
pub struct Senders {
    pub keys: Vec<PrivateKey>,
    pub addrs: Vec<Address>,
}

impl Senders {
    pub fn derive(kind: KeyType, seed: &str, count: u32) -> Result<Self> {
        if count < 2 {
            bail!("--count must be at least 2 (each sender sends to another)");
        }
        let keys = keys::derive_keys(kind, seed, count)?;
        let addrs = keys.iter().map(PrivateKey::address).collect();
        Ok(Self { keys, addrs })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub nodes: Vec<String>,
    pub chain_id: String,
    pub key_type: String,
    pub senders: usize,
    pub target_rate: f64,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub max_in_flight: usize,
    pub pubkey: PubkeyMode,
    pub prep: PrepTimes,
    pub avg_tx_bytes: f64,

    pub submitted: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub rejected_by_code: BTreeMap<String, ErrorClass>,
    pub rpc_errors: u64,
    pub rpc_errors_by_kind: BTreeMap<String, ErrorClass>,
    pub unknown_outcome: u64,
    pub unknown_by_kind: BTreeMap<String, ErrorClass>,
    pub resigned: u64,
    /// Broadcasts sent a second time after a transport error.
    pub retried: u64,
    /// Submissions in the window / window length.
    pub achieved_submit_rate: f64,
    pub late_submissions: u64,
    pub max_schedule_lag_ms: f64,

    pub committed_ok: u64,
    pub committed_failed: u64,
    /// Committed txs whose result code was not read (counted in committed_ok).
    pub committed_unverified: u64,
    pub committed_failed_by_code: BTreeMap<String, ErrorClass>,
    /// Submitted, not refused, and not seen in a block before the end.
    pub not_committed: u64,
    pub window: WindowStats,
    /// All committed ok txs over the time from the first submission to the last block with ours.
    pub overall_committed_tps: f64,
    pub blocks_seen: usize,
    /// Heights the poller saw but whose block could not be read (their txs count as not committed).
    pub blocks_unread: BTreeMap<String, ErrorClass>,
    pub first_height: u64,
    pub last_height: u64,
    /// Submit -> block-seen latency of successful txs submitted in the window.
    pub latency: LatencyStats,
    /// Same, measured from each tx's scheduled send time (counts client-side queueing when the
    /// node pushes back; the open-loop view).
    pub latency_from_schedule: LatencyStats,
    /// proofd's own accounting over the run (if --metrics was given).
    pub node_work: Vec<NodeWork>,
    /// CPU seconds the load generator used during the run phase, and as % of one core.
    pub loadgen_cpu_s: Option<f64>,
    pub loadgen_cpu_pct: Option<f64>,
    /// CPU of the --watch-pid processes over the run phase.
    pub process_cpu: Vec<ProcCpu>,
    pub poll_interval_ms: u64,
    pub run_time_s: f64,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PrepTimes {
    pub mempool_wait_s: f64,
    pub account_query_s: f64,
    pub sign_s: f64,
}

struct SenderState {
    account_number: u64,
    next_seq: u64,
    pubkey_on_chain: bool,
}

struct Prepared {
    sender: u32,
    to: u32,
    seq: u64,
    bytes: Vec<u8>,
    hash: TxHash,
}

/// Everything a submit task needs besides its tx.
struct Ctx {
    chain_id: String,
    opts: RunOpts,
    t0: Instant,
    tracker: Mutex<Tracker>,
    submit: Mutex<SubmitStats>,
}

fn log(opts: &RunOpts, msg: impl AsRef<str>) {
    if !opts.quiet {
        eprintln!("[loadgen] {}", msg.as_ref());
    }
}

fn tx_params(opts: &RunOpts, include_pubkey: bool) -> TxParams {
    TxParams {
        memo: String::new(),
        timeout_height: 0,
        gas_limit: opts.gas,
        fee: opts.fee.clone(),
        include_pubkey,
    }
}

/// One transfer to sign: sender and recipient indices, account number, sequence.
struct Transfer {
    from: usize,
    to: usize,
    account_number: u64,
    sequence: u64,
    include_pubkey: bool,
}

fn sign_transfer(senders: &Senders, opts: &RunOpts, chain_id: &str, t: Transfer) -> Vec<u8> {
    let msg = match &opts.token {
        None if opts.ibc_channel.is_some() => ibc_transfer(
            &senders.addrs[t.from],
            &senders.addrs[t.to],
            opts.ibc_channel.as_deref().unwrap_or_default(),
            &opts.amount,
        ),
        None => msgs::bank_send(&senders.addrs[t.from], &senders.addrs[t.to], &opts.amount),
        Some(token) => msgs::to_any(&MsgExecuteContract {
            sender: senders.addrs[t.from].to_string(),
            contract: token.to_string(),
            msg: format!(
                r#"{{"transfer":{{"recipient":"{}","amount":"1"}}}}"#,
                senders.addrs[t.to]
            )
            .into_bytes(),
            funds: vec![],
        }),
    };
    let signer = Signer {
        key: &senders.keys[t.from],
        account_number: t.account_number,
        sequence: t.sequence,
    };
    tx::sign_tx(
        vec![msg],
        &[signer],
        &tx_params(opts, t.include_pubkey),
        chain_id,
    )
}

/// An ICS-20 transfer of the first coin of `amount` on `channel`, to `to` on the counterparty
/// (the same bech32 account there), timing out an hour after signing: the load generator
/// need not know the counterparty's height.
fn ibc_transfer(
    from: &Address,
    to: &Address,
    channel: &str,
    amount: &[Coin],
) -> cosmos_sdk_proto::Any {
    use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
    let coin = amount.first();
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        + Duration::from_secs(3600);
    let msg = MsgTransfer {
        source_port: "transfer".into(),
        source_channel: channel.into(),
        token: coin.map(|c| ibc_proto::cosmos::base::v1beta1::Coin {
            denom: c.denom.clone(),
            amount: c.amount.to_string(),
        }),
        sender: from.to_string(),
        receiver: to.to_string(),
        timeout_height: None,
        timeout_timestamp: in_an_hour.as_nanos() as u64,
        memo: String::new(),
    };
    cosmos_sdk_proto::Any {
        type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
        value: msg.encode_to_vec(),
    }
}

fn include_pubkey(mode: PubkeyMode, st: &SenderState, seq: u64) -> bool {
    match mode {
        PubkeyMode::Always => true,
        PubkeyMode::First => !st.pubkey_on_chain && seq == st.next_seq,
    }
}

async fn unconfirmed_txs(c: &RpcClient) -> Result<u64> {
    let r = c.call("num_unconfirmed_txs", json!({"limit": "1"})).await?;
    Ok(match &r["total"] {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    })
}

/// Waits (bounded) until every node's mempool is empty, so sequences queried now are current.
async fn wait_mempools_empty(clients: &[RpcClient], limit: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        let mut total = 0;
        for c in clients {
            total += unconfirmed_txs(c)
                .await
                .with_context(|| format!("num_unconfirmed_txs at {}", c.url()))?;
        }
        if total == 0 {
            return Ok(());
        }
        if start.elapsed() > limit {
            bail!("{total} txs still in the mempools after {limit:?}; sequences would be stale");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn query_account(c: &RpcClient, addr: &Address) -> Result<BaseAccount> {
    let req = QueryAccountRequest {
        address: addr.to_string(),
    };
    let mut last = None;
    for attempt in 0..3 {
        let q = tokio::time::timeout(
            Duration::from_secs(10),
            c.grpc_query::<_, QueryAccountResponse>(
                "/cosmos.auth.v1beta1.Query/Account",
                &req,
                None,
            ),
        )
        .await;
        match q {
            Ok(Ok(resp)) => {
                let any = resp
                    .account
                    .ok_or_else(|| anyhow!("account {addr}: empty reply"))?;
                if !any.type_url.ends_with("cosmos.auth.v1beta1.BaseAccount") {
                    bail!(
                        "account {addr} is a {}, expected a BaseAccount",
                        any.type_url
                    );
                }
                return BaseAccount::decode(any.value.as_slice())
                    .with_context(|| format!("account {addr}"));
            }
            Ok(Err(e)) => {
                let s = e.to_string();
                if s.contains("not found") || s.contains("code 22") || s.contains("does not exist")
                {
                    bail!(
                        "account {addr} not found on the chain: fund the senders in genesis with \
                         `proof-loadgen accounts` (same --seed/--count/--key-type). ({s})"
                    );
                }
                last = Some(e);
            }
            Err(_) => last = Some(anyhow!("account query timed out")),
        }
        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
    }
    Err(last
        .unwrap_or_else(|| anyhow!("account query failed"))
        .context(format!("account {addr}")))
}

pub async fn run(opts: &RunOpts, senders: Arc<Senders>) -> Result<Report> {
    if opts.nodes.is_empty() {
        bail!("--node needs at least one URL");
    }
    if opts.rate.is_nan()
        || opts.rate <= 0.0
        || opts.duration.is_nan()
        || opts.duration <= 0.0
        || opts.warmup < 0.0
    {
        bail!("--rate and --duration must be positive and --warmup >= 0");
    }
    let n = senders.keys.len();
    let clients: Vec<RpcClient> = opts
        .nodes
        .iter()
        .map(|u| RpcClient::new(u))
        .collect::<Result<_>>()?;
    let chain_id = match &opts.chain_id {
        Some(c) => c.clone(),
        None => clients[0]
            .chain_id()
            .await
            .context("cannot read the chain id (status)")?,
    };
    let mut prep = PrepTimes::default();

    // 1. Clean start: nothing of ours pending anywhere.
    let t = Instant::now();
    wait_mempools_empty(&clients, Duration::from_secs(60)).await?;
    prep.mempool_wait_s = t.elapsed().as_secs_f64();

    // 2. Account numbers and sequences (each sender is pinned to one node: node = sender % nodes,
    //    so its consecutive sequences reach one mempool in order).
    let t = Instant::now();
    log(opts, format!("querying {n} accounts"));
    let node_of = |s: usize| s % clients.len();
    let accounts: Vec<Result<(usize, BaseAccount)>> = futures::stream::iter(0..n)
        .map(|s| {
            let c = clients[node_of(s)].clone();
            let a = senders.addrs[s].clone();
            async move { query_account(&c, &a).await.map(|acc| (s, acc)) }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut states: Vec<Option<SenderState>> = (0..n).map(|_| None).collect();
    for a in accounts {
        let (s, acc) = a?;
        states[s] = Some(SenderState {
            account_number: acc.account_number,
            next_seq: acc.sequence,
            pubkey_on_chain: acc.pub_key.is_some(),
        });
    }
    let states: Vec<SenderState> = states
        .into_iter()
        .map(|s| s.expect("every account queried"))
        .collect();
    prep.account_query_s = t.elapsed().as_secs_f64();

    // 3. Pre-sign everything (signing is not part of what we measure, and shares the CPU).
    let t = Instant::now();
    let total = sched::total_for(opts.rate, opts.warmup + opts.duration);
    log(
        opts,
        format!(
            "pre-signing {total} transfers from {n} {} senders",
            opts.key_type
        ),
    );
    let recip_seed = keys::seed_u64(&opts.seed);
    let first_seq: Vec<u64> = states.iter().map(|s| s.next_seq).collect();
    let acc_num: Vec<u64> = states.iter().map(|s| s.account_number).collect();
    let pk_on_chain: Vec<bool> = states.iter().map(|s| s.pubkey_on_chain).collect();
    let prepared: Vec<Prepared> = tokio::task::block_in_place(|| {
        let threads = std::thread::available_parallelism()
            .map_or(1, |x| x.get())
            .max(1);
        let per = (total as usize).div_ceil(threads);
        std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads)
                .map(|th| {
                    let (senders, chain_id) = (&senders, &chain_id);
                    let (first_seq, acc_num, pk_on_chain) = (&first_seq, &acc_num, &pk_on_chain);
                    sc.spawn(move || {
                        let lo = (th * per) as u64;
                        let hi = (((th + 1) * per) as u64).min(total);
                        (lo..hi)
                            .map(|k| {
                                let (s, round) = sched::slot(k, n);
                                let to = keys::recipient(recip_seed, k, s, n);
                                let seq = first_seq[s] + round;
                                let pk = match opts.pubkey {
                                    PubkeyMode::Always => true,
                                    PubkeyMode::First => !pk_on_chain[s] && round == 0,
                                };
                                let bytes = sign_transfer(
                                    senders,
                                    opts,
                                    chain_id,
                                    Transfer {
                                        from: s,
                                        to,
                                        account_number: acc_num[s],
                                        sequence: seq,
                                        include_pubkey: pk,
                                    },
                                );
                                let hash = tx::tx_hash(&bytes);
                                Prepared {
                                    sender: s as u32,
                                    to: to as u32,
                                    seq,
                                    bytes,
                                    hash,
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().expect("signing thread panicked"))
                .collect()
        })
    });
    prep.sign_s = t.elapsed().as_secs_f64();
    let avg_tx_bytes =
        prepared.iter().map(|p| p.bytes.len()).sum::<usize>() as f64 / prepared.len().max(1) as f64;

    // 4. Go.
    let warmup = Duration::from_secs_f64(opts.warmup);
    let submit_end = warmup + Duration::from_secs_f64(opts.duration);
    let h0 = clients[0].latest_height().await.context("status")?;
    let http = reqwest::Client::new();
    let mut metrics_before = Vec::new();
    for url in &opts.metrics {
        metrics_before.push(metrics::scrape(&http, url).await.unwrap_or_else(|e| {
            eprintln!("[loadgen] warning: {e:#}");
            Default::default()
        }));
    }
    let cpu0 = metrics::own_cpu_seconds();
    let watch0: Vec<Option<f64>> = opts
        .watch
        .iter()
        .map(|(_, pid)| metrics::cpu_seconds(&pid.to_string()))
        .collect();
    let t0 = Instant::now();
    let ctx = Arc::new(Ctx {
        chain_id: chain_id.clone(),
        opts: opts.clone(),
        t0,
        tracker: Mutex::new(Tracker::new(warmup, submit_end)),
        submit: Mutex::new(SubmitStats::default()),
    });
    let sender_locks: Vec<Arc<tokio::sync::Mutex<SenderState>>> = states
        .into_iter()
        .map(|s| Arc::new(tokio::sync::Mutex::new(s)))
        .collect();
    log(
        opts,
        format!(
            "submitting {:.0} tx/s for {:.0}+{:.0} s to {} node(s), from height {h0}",
            opts.rate,
            opts.warmup,
            opts.duration,
            clients.len()
        ),
    );

    // Block watcher: the poller notes when each height first appears; the fetcher reads the
    // block and its results and matches tx hashes (so a slow fetch does not delay "seen" times).
    let (height_tx, height_rx) = mpsc::unbounded_channel::<(u64, Duration)>();
    let poll_client = clients[0].clone();
    let poll_every = Duration::from_millis(opts.poll_ms.max(1));
    let poller = tokio::spawn(async move {
        let mut last = h0;
        let mut iv = tokio::time::interval(poll_every);
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            iv.tick().await;
            let Ok(Ok(h)) =
                tokio::time::timeout(Duration::from_secs(2), poll_client.latest_height()).await
            else {
                continue;
            };
            let seen = t0.elapsed();
            while last < h {
                last += 1;
                if height_tx.send((last, seen)).is_err() {
                    return;
                }
            }
        }
    });
    let fetch_client = clients[0].clone();
    let fctx = ctx.clone();
    let during = opts.block_results == BlockResults::During;
    let fetcher = tokio::spawn(async move {
        let heights = futures::stream::unfold(height_rx, |mut rx| async move {
            rx.recv().await.map(|x| (x, rx))
        });
        heights
            .map(|(h, seen)| {
                let c = fetch_client.clone();
                async move {
                    let hashes = retrying(|| fetch_block_hashes(&c, h)).await;
                    let results = match (&hashes, during) {
                        (Ok(_), true) => Some(retrying(|| fetch_results(&c, h)).await),
                        _ => None,
                    };
                    (h, seen, hashes, results)
                }
            })
            // A few blocks at once: big blocks take a while to serve, and "seen" is already taken.
            .buffer_unordered(FETCH_CONCURRENCY)
            .for_each(|(h, seen, hashes, results)| {
                let mut tr = fctx.tracker.lock().expect("tracker lock");
                match hashes {
                    Ok(hashes) => tr.block(h, seen, hashes),
                    Err(e) => tr.fetch_errors.add(format!("block {h}"), &format!("{e:#}")),
                }
                match results {
                    Some(Ok(r)) => tr.results(h, &r),
                    Some(Err(e)) => tr
                        .fetch_errors
                        .add(format!("block_results {h}"), &format!("{e:#}")),
                    None => {}
                }
                futures::future::ready(())
            })
            .await;
    });

    // Open-loop scheduler.
    let sem = Arc::new(Semaphore::new(opts.max_in_flight.max(1)));
    let mut queue = prepared.into_iter();
    let deadline = tokio::time::Instant::from_std(t0 + submit_end);
    let mut next: u64 = 0;
    let mut iv = tokio::time::interval(Duration::from_millis(1));
    iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    'outer: while next < total {
        iv.tick().await;
        let el = t0.elapsed();
        if el >= submit_end {
            break;
        }
        let due = sched::due(el, opts.rate, total);
        while next < due {
            let Some(p) = queue.next() else { break 'outer };
            // Waiting for a free slot or for the sender's previous broadcast never runs past the
            // end of the submission period.
            let Ok(permit) = tokio::time::timeout_at(deadline, sem.clone().acquire_owned()).await
            else {
                break 'outer;
            };
            let permit = permit.expect("semaphore open");
            let Ok(guard) = tokio::time::timeout_at(
                deadline,
                sender_locks[p.sender as usize].clone().lock_owned(),
            )
            .await
            else {
                break 'outer;
            };
            let now = t0.elapsed();
            if now >= submit_end {
                break 'outer;
            }
            let lag = now.saturating_sub(sched::scheduled_at(next, opts.rate));
            {
                let mut st = ctx.submit.lock().expect("submit lock");
                st.max_lag = st.max_lag.max(lag);
                if lag > Duration::from_millis(10) {
                    st.late += 1;
                }
            }
            let client = clients[node_of(p.sender as usize)].clone();
            let scheduled = sched::scheduled_at(next, opts.rate);
            let (ctx, senders) = (ctx.clone(), senders.clone());
            tokio::spawn(async move {
                submit_one(&ctx, &senders, &client, p, scheduled, guard).await;
                drop(permit);
            });
            next += 1;
        }
    }
    drop(queue);
    let stop = t0.elapsed();
    log(
        opts,
        format!(
            "submission stopped after {:.1} s; {next} sent; draining",
            stop.as_secs_f64()
        ),
    );

    // Wait for in-flight broadcasts, then for the accepted txs to commit (bounded).
    let hard_end = submit_end + RUN_SLACK;
    let drain_end = (stop + DRAIN).min(hard_end);
    let all = opts.max_in_flight.max(1) as u32;
    let left = drain_end.saturating_sub(t0.elapsed());
    let _ = tokio::time::timeout(left, sem.acquire_many(all)).await;
    loop {
        let pending = ctx.tracker.lock().expect("tracker lock").pending();
        if pending == 0 || t0.elapsed() >= drain_end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    poller.abort();
    fetcher.abort();
    if opts.block_results != BlockResults::Skip {
        // Result codes of the blocks holding our txs, read now so that serialising them (costly
        // for CometBFT) does not compete with the load; bounded by the run's hard end.
        let heights = ctx
            .tracker
            .lock()
            .expect("tracker lock")
            .unverified_heights();
        let c = clients[0].clone();
        let left = hard_end.saturating_sub(t0.elapsed());
        let fetch_all = futures::stream::iter(heights)
            .map(|h| {
                let c = c.clone();
                async move { (h, retrying(|| fetch_results(&c, h)).await) }
            })
            .buffer_unordered(FETCH_CONCURRENCY)
            .for_each(|(h, r)| {
                let mut tr = ctx.tracker.lock().expect("tracker lock");
                match r {
                    Ok(r) => tr.results(h, &r),
                    Err(e) => tr
                        .fetch_errors
                        .add(format!("block_results {h}"), &format!("{e:#}")),
                }
                futures::future::ready(())
            });
        if tokio::time::timeout(left, fetch_all).await.is_err() {
            eprintln!("[loadgen] warning: out of time reading block results");
        }
    }
    let run_time = t0.elapsed();
    let loadgen_cpu_s = cpu0.zip(metrics::own_cpu_seconds()).map(|(a, b)| b - a);
    let process_cpu: Vec<ProcCpu> = opts
        .watch
        .iter()
        .zip(&watch0)
        .filter_map(|((name, pid), c0)| {
            let used = metrics::cpu_seconds(&pid.to_string())? - (*c0)?;
            Some(ProcCpu {
                name: name.clone(),
                pid: *pid,
                cpu_s: used,
                cpu_pct: 100.0 * used / run_time.as_secs_f64(),
            })
        })
        .collect();
    let mut node_work = Vec::new();
    let scrapes =
        futures::future::join_all(opts.metrics.iter().map(|url| metrics::scrape(&http, url)));
    match tokio::time::timeout(Duration::from_secs(4), scrapes).await {
        Ok(afters) => {
            for ((url, before), after) in opts.metrics.iter().zip(&metrics_before).zip(afters) {
                match after {
                    Ok(after) => node_work.push(NodeWork::between(url, before, &after)),
                    Err(e) => eprintln!("[loadgen] warning: {e:#}"),
                }
            }
        }
        Err(_) => eprintln!("[loadgen] warning: metrics did not answer within 4 s"),
    }

    // 5. Report.
    let tr = ctx.tracker.lock().expect("tracker lock");
    let st = ctx.submit.lock().expect("submit lock");
    let window = tr.window();
    let blocks = tr.block_recs();
    let mut notes = vec![format!(
        "commit time = when the poller (every {} ms, node {}) first saw the block's height: latencies \
         include ~{} ms average poll delay plus one status RPC",
        opts.poll_ms,
        opts.nodes[0],
        opts.poll_ms / 2
    )];
    if window.blocks < 3 {
        notes.push("fewer than 3 blocks in the window: the sustained rate is coarse; use a longer --duration".into());
    }
    let win_len = submit_end.saturating_sub(warmup).as_secs_f64();
    let achieved = if win_len > 0.0 {
        st.submitted_in_window as f64 / win_len
    } else {
        0.0
    };
    if achieved < 0.97 * opts.rate || st.max_lag > Duration::from_millis(500) {
        notes.push(format!(
            "{} of {} submissions left >10 ms after their scheduled time (max {:.0} ms): the node answered \
             broadcasts too slowly for the target with --max-in-flight={} (or a sender's previous tx was still \
             in flight), so the offered load fell below the target; see latency_from_schedule",
            st.late,
            st.submitted,
            st.max_lag.as_secs_f64() * 1000.0,
            opts.max_in_flight
        ));
    }
    if !tr.fetch_errors.0.is_empty() {
        notes.push(format!(
            "{} block(s) could not be read; their txs count as not committed",
            tr.fetch_errors.0.len()
        ));
    }
    let report = Report {
        nodes: opts.nodes.clone(),
        chain_id,
        key_type: opts.key_type.to_string(),
        senders: n,
        target_rate: opts.rate,
        warmup_s: opts.warmup,
        duration_s: opts.duration,
        max_in_flight: opts.max_in_flight,
        pubkey: opts.pubkey,
        prep,
        avg_tx_bytes,
        submitted: st.submitted,
        accepted: st.accepted,
        rejected: st.rejected.total(),
        rejected_by_code: st.rejected.0.clone(),
        rpc_errors: st.rpc_errors.total(),
        rpc_errors_by_kind: st.rpc_errors.0.clone(),
        unknown_outcome: st.unknown.total(),
        unknown_by_kind: st.unknown.0.clone(),
        resigned: st.resigned,
        retried: st.retried,
        achieved_submit_rate: achieved,
        late_submissions: st.late,
        max_schedule_lag_ms: st.max_lag.as_secs_f64() * 1000.0,
        committed_ok: tr.committed_ok(),
        committed_failed: tr.committed_failed(),
        committed_unverified: tr.committed_unverified(),
        committed_failed_by_code: tr.failed_by_code.0.clone(),
        not_committed: tr.pending() as u64,
        window,
        overall_committed_tps: tr.overall_tps(),
        blocks_seen: blocks.len(),
        blocks_unread: tr.fetch_errors.0.clone(),
        first_height: blocks.first().map_or(0, |b| b.height),
        last_height: blocks.last().map_or(0, |b| b.height),
        latency: tr.latency(),
        latency_from_schedule: tr.latency_from_schedule(),
        node_work,
        loadgen_cpu_s,
        loadgen_cpu_pct: loadgen_cpu_s.map(|c| 100.0 * c / run_time.as_secs_f64()),
        process_cpu,
        poll_interval_ms: opts.poll_ms,
        run_time_s: run_time.as_secs_f64(),
        notes,
    };
    Ok(report)
}

/// Sends one tx (re-signing it first if the sender's sequence moved) and books the outcome.
/// Holds the sender's lock throughout, so a sender never has two broadcasts in flight.
async fn submit_one(
    ctx: &Ctx,
    senders: &Senders,
    client: &RpcClient,
    p: Prepared,
    scheduled: Duration,
    mut st: tokio::sync::OwnedMutexGuard<SenderState>,
) {
    let opts = &ctx.opts;
    let (bytes, hash) = if p.seq == st.next_seq {
        (p.bytes, p.hash)
    } else {
        let seq = st.next_seq;
        let pk = include_pubkey(opts.pubkey, &st, seq);
        let b = sign_transfer(
            senders,
            opts,
            &ctx.chain_id,
            Transfer {
                from: p.sender as usize,
                to: p.to as usize,
                account_number: st.account_number,
                sequence: seq,
                include_pubkey: pk,
            },
        );
        let h = tx::tx_hash(&b);
        ctx.submit.lock().expect("submit lock").resigned += 1;
        (b, h)
    };
    let at = ctx.t0.elapsed();
    ctx.tracker
        .lock()
        .expect("tracker lock")
        .submitted(hash, at, scheduled);
    {
        let mut s = ctx.submit.lock().expect("submit lock");
        s.submitted += 1;
        if at >= Duration::from_secs_f64(opts.warmup) {
            s.submitted_in_window += 1;
        }
    }
    let mut res = tokio::time::timeout(BROADCAST_TIMEOUT, client.broadcast_tx_sync(&bytes)).await;
    if matches!(&res, Ok(Err(e)) if is_transport_error(e)) {
        // Typically a pooled keep-alive connection the server had just closed. Sending the same
        // bytes again is safe: if the first copy arrived, CometBFT answers "already exists in cache".
        ctx.submit.lock().expect("submit lock").retried += 1;
        res = tokio::time::timeout(BROADCAST_TIMEOUT, client.broadcast_tx_sync(&bytes)).await;
    }
    let mut s = ctx.submit.lock().expect("submit lock");
    match res {
        Ok(Ok(r)) if r.code == 0 => {
            s.accepted += 1;
            st.next_seq += 1;
            st.pubkey_on_chain = true;
        }
        Ok(Ok(r)) => {
            ctx.tracker.lock().expect("tracker lock").refused(&hash);
            let key = if r.codespace.is_empty() {
                format!("code {}", r.code)
            } else {
                format!("{} code {}", r.codespace, r.code)
            };
            s.rejected.add(key, &r.log);
            if let Some(exp) =
                stats::parse_expected_sequence(&r.log).filter(|_| r.code == 32 || r.code == 3)
            {
                st.next_seq = exp;
            }
        }
        Ok(Err(e)) if format!("{e:#}").contains("already exists in cache") => {
            // Our earlier copy (before a transport error) is in the mempool or a block.
            s.accepted += 1;
            st.next_seq += 1;
            st.pubkey_on_chain = true;
        }
        Ok(Err(e)) => {
            let msg = format!("{e:#}");
            if is_transport_error(&e) {
                // The request may or may not have arrived: assume it did; a later sequence
                // mismatch (with "expected N" in its log) resynchronises the sender.
                s.unknown.add("transport error", &msg);
                st.next_seq += 1;
            } else {
                // A JSON-RPC error (mempool full, tx already in cache, ...): not in the mempool.
                ctx.tracker.lock().expect("tracker lock").refused(&hash);
                s.rpc_errors.add(stats::rpc_error_key(&msg), &msg);
            }
        }
        Err(_) => {
            s.unknown.add(
                "broadcast timeout",
                &format!("no answer within {BROADCAST_TIMEOUT:?}"),
            );
            st.next_seq += 1;
        }
    }
}

/// The request failed below JSON-RPC (connection refused/reset, ...): it may or may not have
/// reached the node.
fn is_transport_error(e: &anyhow::Error) -> bool {
    format!("{e:#}").contains("cannot reach the node")
}

/// Runs `f` up to 5 times, 250 ms apart, until it succeeds.
async fn retrying<T, F, Fut>(mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if tries >= 4 => return Err(e),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

/// sha256 of each tx of block `h`, in block order.
async fn fetch_block_hashes(c: &RpcClient, h: u64) -> Result<Vec<TxHash>> {
    let b = tokio::time::timeout(FETCH_TIMEOUT, c.block(Some(h)))
        .await
        .map_err(|_| anyhow!("block {h}: no answer within {FETCH_TIMEOUT:?}"))??;
    let txs = b["block"]["data"]["txs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    txs.iter()
        .map(|t| {
            let raw = B64
                .decode(t.as_str().unwrap_or_default())
                .context("tx is not base64")?;
            Ok(tx::tx_hash(&raw))
        })
        .collect()
}

/// (code, log) of each tx of block `h`, in block order, from `block_results`.
async fn fetch_results(c: &RpcClient, h: u64) -> Result<Vec<(u32, String)>> {
    let r = tokio::time::timeout(FETCH_TIMEOUT, c.block_results(h))
        .await
        .map_err(|_| anyhow!("block_results {h}: no answer within {FETCH_TIMEOUT:?}"))??;
    Ok(r["txs_results"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|res| {
            let code = match &res["code"] {
                Value::Number(n) => n.as_u64().unwrap_or(0) as u32,
                Value::String(s) => s.parse().unwrap_or(0),
                _ => 0,
            };
            (code, res["log"].as_str().unwrap_or_default().to_string())
        })
        .collect())
}

pub fn print_text(r: &Report) {
    println!(
        "== proof-loadgen: {} senders ({}), target {:.0} tx/s, {:.0} s (+{:.0} s warmup), nodes {}",
        r.senders,
        r.key_type,
        r.target_rate,
        r.duration_s,
        r.warmup_s,
        r.nodes.join(",")
    );
    println!(
        "prep: mempool wait {:.1} s, account queries {:.1} s, signing {:.1} s; avg tx {:.0} bytes",
        r.prep.mempool_wait_s, r.prep.account_query_s, r.prep.sign_s, r.avg_tx_bytes
    );
    println!(
        "submitted {}  accepted (CheckTx 0) {}  rejected {}  rpc errors {}  unknown {}  re-signed {}  re-sent {}",
        r.submitted, r.accepted, r.rejected, r.rpc_errors, r.unknown_outcome, r.resigned, r.retried
    );
    for (title, table) in [
        ("rejected", &r.rejected_by_code),
        ("rpc error", &r.rpc_errors_by_kind),
        ("unknown", &r.unknown_by_kind),
        ("committed failed", &r.committed_failed_by_code),
    ] {
        for (k, e) in table {
            println!("  {title} [{k}] x{}: {}", e.count, e.first_logs.join(" | "));
        }
    }
    println!(
        "achieved submit rate {:.1} tx/s (window); {} late (max lag {:.0} ms)",
        r.achieved_submit_rate, r.late_submissions, r.max_schedule_lag_ms
    );
    println!(
        "committed ok {}  committed failed {}  not committed {}  (code unread {})",
        r.committed_ok, r.committed_failed, r.not_committed, r.committed_unverified
    );
    println!(
        "SUSTAINED {:.1} tx/s committed over the window: {} blocks, {:.1} txs/block, {:.2} s/block; \
         {} blocks seen (heights {}..{}); whole run {:.1} tx/s",
        r.window.sustained_tps,
        r.window.blocks,
        r.window.mean_txs_per_block,
        r.window.mean_block_interval_s,
        r.blocks_seen,
        r.first_height,
        r.last_height,
        r.overall_committed_tps
    );
    let l = &r.latency;
    println!(
        "latency submit->commit (n={}): p50 {:.0} ms  p90 {:.0} ms  p99 {:.0} ms  max {:.0} ms  mean {:.0} ms",
        l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms
    );
    let l = &r.latency_from_schedule;
    println!(
        "latency scheduled->commit (open-loop view): p50 {:.0} ms  p90 {:.0} ms  p99 {:.0} ms  max {:.0} ms",
        l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
    );
    for w in &r.node_work {
        let per_block = |x: f64| {
            if w.blocks_finalized > 0.0 {
                1000.0 * x / w.blocks_finalized
            } else {
                0.0
            }
        };
        println!(
            "node {}: {} blocks, {} txs; ABCI time prepare {:.1} s, process {:.1} s, finalize {:.1} s \
             ({:.0} ms/block), commit {:.1} s ({:.0} ms/block); CheckTx new {} (failed {}), recheck {}; failed in blocks {}",
            w.url,
            w.blocks_finalized,
            w.block_txs,
            w.prepare_proposal_s,
            w.process_proposal_s,
            w.finalize_block_s,
            per_block(w.finalize_block_s),
            w.commit_s,
            per_block(w.commit_s),
            w.check_tx_new,
            w.check_tx_failed,
            w.check_tx_recheck,
            w.block_txs_failed
        );
    }
    if let (Some(c), Some(p)) = (r.loadgen_cpu_s, r.loadgen_cpu_pct) {
        println!("loadgen CPU {c:.1} s ({p:.0}% of one core)");
    }
    for p in &r.process_cpu {
        println!(
            "{} (pid {}) CPU {:.1} s ({:.0}% of one core)",
            p.name, p.pid, p.cpu_s, p.cpu_pct
        );
    }
    for (h, e) in &r.blocks_unread {
        println!("  unread {h}: {}", e.first_logs.join(" | "));
    }
    println!("run time {:.1} s", r.run_time_s);
    for n in &r.notes {
        println!("note: {n}");
    }
}
