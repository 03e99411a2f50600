//! `proof-rollup-bench`: what the operator's parts reach on this machine (see BENCHMARKS.md).
//!
//! * `ingest`: signed transfers through the sequencer with soft confirmations: the signature
//!   check alone (on every core), the sequencer alone (groups journaled with one fsync each), and
//!   the whole API over HTTP with concurrent clients (accepted/s, p50/p99 of the receipt).
//! * `prove`: the operator's pipeline (batcher + N prover workers) proving batches of B
//!   transfers: proven transfers/s, and CPU time per transfer.

use anyhow::Result;
use clap::{Parser, Subcommand};
use proof_rollup::api::ApiState;
use proof_rollup::intake::{run_sequencer, Request};
use proof_rollup::metrics::Metrics;
use proof_rollup::pipeline::{run_batcher, spawn_workers, Batcher};
use proof_rollup::receipt::ReceiptSigner;
use proof_rollup::sequencer::{ClosedBatch, Input, SeqConfig, Sequencer};
use proof_rollup::sigcheck::{check_now, SigChecker, MAX_BATCH};
use proof_rollup::status::Status;
use proof_rollup::wire::{tx_hash, TransferBody};
use proof_zk::{Op, RollupId, SecretKey, ZkParams};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROLLUP: u32 = 1;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Ingest {
        #[arg(long, default_value_t = 1024)]
        accounts: u32,
        #[arg(long, default_value_t = 20_000)]
        transfers: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
    },
    Prove {
        #[arg(long, default_value_t = 8)]
        k: usize,
        #[arg(long, default_value_t = 256)]
        batch: usize,
        /// Worker counts to run, e.g. 1,2,4
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        workers: Vec<usize>,
        /// Batches proven per run = workers × this
        #[arg(long, default_value_t = 1)]
        batches_per_worker: usize,
        #[arg(long)]
        params: Option<std::path::PathBuf>,
    },
}

fn key(i: u32) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    SecretKey::from_seed(&seed)
}

/// `accounts` deposits, then `n` transfers in rounds (every account sends once per round), signed
/// on every core. Returns (keys, deposits, transfers in nonce order per account).
fn workload(accounts: u32, n: usize) -> (Vec<Op>, Vec<Op>) {
    let keys: Vec<SecretKey> = (0..accounts).map(key).collect();
    let deposits = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Op::Deposit {
            to: i as u32,
            pubkey: k.public_key(),
            amount: 1_000_000_000,
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let keys = Arc::new(keys);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let keys = keys.clone();
            std::thread::spawn(move || {
                (0..n)
                    .filter(|j| j % threads == t)
                    .map(|j| {
                        let from = (j as u32) % accounts;
                        let nonce = (j as u32 / accounts) as u64;
                        let to = (from + 1) % accounts;
                        (
                            j,
                            Op::transfer(
                                &keys[from as usize],
                                RollupId(ROLLUP),
                                from,
                                to,
                                10,
                                1,
                                nonce,
                            )
                            .expect("packable"),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<(usize, Op)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_by_key(|(j, _)| *j);
    (deposits, all.into_iter().map(|(_, o)| o).collect())
}

fn sequencer(dir: &std::path::Path, batch_size: usize) -> (Sequencer, Arc<Status>) {
    let status = Arc::new(Status::default());
    let signer = Arc::new(ReceiptSigner::new(ed25519_dalek::SigningKey::from_bytes(
        &[1; 32],
    )));
    let cfg = SeqConfig {
        rollup: ROLLUP,
        batch_size,
        batch_time: Duration::from_secs(3600),
        min_fee: 1,
    };
    let (s, _) = Sequencer::open(cfg, dir.join("journal"), signer, status.clone()).unwrap();
    (s, status)
}

fn deposit_all(s: &mut Sequencer, deposits: &[Op]) {
    let inputs = deposits
        .iter()
        .enumerate()
        .map(|(i, op)| Input::Deposit {
            seq: i as u64,
            op: op.clone(),
        })
        .collect();
    s.process(inputs, Instant::now());
}

fn pct(h: &hdrhistogram::Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn ingest(accounts: u32, n: usize, clients: usize) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!("signing {n} transfers from {accounts} accounts ...");
    let (deposits, transfers) = workload(accounts, n);

    // 1. The signature check alone, on every core.
    let dir = tempfile::tempdir()?;
    let (mut s, status) = sequencer(dir.path(), 4096);
    deposit_all(&mut s, &deposits);
    let t = Instant::now();
    let transfers = Arc::new(transfers);
    let hs: Vec<_> = (0..cores)
        .map(|c| {
            let (tr, st) = (transfers.clone(), status.clone());
            std::thread::spawn(move || {
                for op in tr.iter().skip(c).step_by(cores) {
                    check_now(&st, ROLLUP, op).unwrap();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let sig_rate = n as f64 / t.elapsed().as_secs_f64();

    // 1b. The same signatures through the API's batched checker, 8,192 in flight at a time
    //     (its queue holds 16,384).
    let checker = SigChecker::start(cores);
    let t = Instant::now();
    let rt = tokio::runtime::Handle::current();
    for wave in transfers.chunks(8192) {
        let waits: Vec<_> = wave
            .iter()
            .map(|op| {
                let (checker, st, op) = (checker.clone(), status.clone(), op.clone());
                rt.spawn(async move { checker.check(&st, ROLLUP, &op).await })
            })
            .collect();
        for w in waits {
            w.await?.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    let batch_rate = n as f64 / t.elapsed().as_secs_f64();
    drop(checker);

    // 2. The sequencer alone: groups of 1024, one journal write + fdatasync per group.
    let t = Instant::now();
    for chunk in transfers.chunks(1024) {
        let inputs = chunk
            .iter()
            .map(|op| Input::Submit {
                op: op.clone(),
                hash: tx_hash(op).unwrap(),
            })
            .collect();
        let (answers, _) = s.process(inputs, Instant::now());
        assert!(answers.iter().all(|a| a.is_ok()));
    }
    let seq_rate = n as f64 / t.elapsed().as_secs_f64();
    drop(s);

    // 3. The API over HTTP: `clients` concurrent clients, each sending its accounts' transfers
    //    in nonce order, one request at a time.
    let dir = tempfile::tempdir()?;
    let (mut s, status) = sequencer(dir.path(), 4096);
    deposit_all(&mut s, &deposits);
    let metrics = Metrics::new();
    let (req_tx, req_rx) = std::sync::mpsc::channel::<Request>();
    let (closed_tx, closed_rx) = std::sync::mpsc::channel::<ClosedBatch>();
    std::thread::spawn(move || for _ in closed_rx {});
    {
        let (st, m) = (status.clone(), metrics.clone());
        std::thread::spawn(move || run_sequencer(s, req_rx, closed_tx, 0, st, m));
    }
    let state = ApiState {
        requests: req_tx,
        status,
        metrics,
        rollup: ROLLUP,
        ops_per_step: 8,
        receipt_key: String::new(),
        min_fee: 1,
        provers: 0,
        max_pending_batches: u64::MAX,
        sigs: SigChecker::start(cores),
        keepalive: proof_rollup::events::Keepalive::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(proof_rollup::api::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let bodies: Vec<String> = transfers
        .iter()
        .map(|op| {
            let Op::Transfer {
                from,
                to,
                amount,
                fee,
                nonce,
                sig,
            } = op
            else {
                unreachable!()
            };
            serde_json::to_string(&TransferBody {
                from: *from,
                to: *to,
                amount: proof_rollup::wire::Amount(*amount),
                fee: proof_rollup::wire::Amount(*fee),
                nonce: *nonce,
                signature: hex::encode(sig.to_bytes()),
            })
            .unwrap()
        })
        .collect();
    let bodies = Arc::new(bodies);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let url = format!("http://{addr}/v1/transfers");
    let t = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (bodies, http, url) = (bodies.clone(), http.clone(), url.clone());
            tokio::spawn(async move {
                let mut h = hdrhistogram::Histogram::<u64>::new(3).unwrap();
                // client c owns the accounts a with a % clients == c: their nonces stay in order
                for (j, b) in bodies.iter().enumerate() {
                    if (j as u32 % accounts) as usize % clients != c {
                        continue;
                    }
                    let t = Instant::now();
                    let r = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(b.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
                    let _ = r.bytes().await;
                    h.record(t.elapsed().as_micros() as u64).unwrap();
                }
                h
            })
        })
        .collect();
    let mut lat = hdrhistogram::Histogram::<u64>::new(3).unwrap();
    for t in tasks {
        lat.add(t.await?).unwrap();
    }
    let http_rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "cores": cores, "transfers": n, "accounts": accounts, "clients": clients,
            "signature_checks_per_s": sig_rate.round(),
            "batched_signature_checks_per_s": batch_rate.round(), "max_batch": MAX_BATCH,
            "sequencer_only_per_s": seq_rate.round(),
            "http_accepted_per_s": http_rate.round(),
            "http_p50_ms": pct(&lat, 0.50), "http_p99_ms": pct(&lat, 0.99),
        })
    );
    Ok(())
}

/// CPU seconds of this process so far (user + system, from /proc).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn prove(
    k: usize,
    batch: usize,
    workers: &[usize],
    per_worker: usize,
    params: std::path::PathBuf,
) -> Result<()> {
    eprintln!("loading parameters K = {k} ...");
    let params = Arc::new(ZkParams::load_or_generate(&params, k)?);
    for &w in workers {
        let batches = w * per_worker;
        let accounts = 64u32;
        let (deposits, transfers) = workload(accounts, batch * batches);
        let mut batcher = Batcher::new(ROLLUP, k);
        batcher.skip(&ClosedBatch {
            index: 0,
            ops: deposits,
        })?;
        let status = Arc::new(Status::default());
        let metrics = Metrics::new();
        let (closed_tx, closed_rx) = std::sync::mpsc::channel();
        let (jobs_tx, jobs_rx) = std::sync::mpsc::sync_channel(w);
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
        for (i, chunk) in transfers.chunks(batch).enumerate() {
            closed_tx.send(ClosedBatch {
                index: i as u64 + 1,
                ops: chunk.to_vec(),
            })?;
        }
        drop(closed_tx);
        let (c0, t) = (cpu_secs(), Instant::now());
        let st = status.clone();
        let b = std::thread::spawn(move || run_batcher(batcher, closed_rx, jobs_tx, st));
        let hs = spawn_workers(
            w,
            params.clone(),
            ROLLUP,
            jobs_rx,
            done_tx,
            status.clone(),
            metrics,
        );
        let mut got = 0;
        while got < batches {
            let p = done_rx
                .blocking_recv()
                .expect("a worker failed: see the log");
            eprintln!(
                "  batch {} proven by worker {} (fold {:.1} s, compress {:.1} s)",
                p.index,
                p.worker,
                p.times.recursive.as_secs_f64(),
                p.times.compress.as_secs_f64()
            );
            got += 1;
        }
        let wall = t.elapsed().as_secs_f64();
        let cpu = cpu_secs() - c0;
        b.join().unwrap();
        drop(done_rx);
        for h in hs {
            let _ = h.join();
        }
        let n = (batch * batches) as f64;
        println!(
            "{}",
            serde_json::json!({
                "k": k, "batch": batch, "workers": w, "batches": batches,
                "wall_s": (wall * 10.0).round() / 10.0,
                "proven_transfers_per_s": (n / wall * 100.0).round() / 100.0,
                "cpu_ms_per_transfer": (cpu * 1000.0 / n).round(),
            })
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Ingest {
            accounts,
            transfers,
            clients,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(ingest(accounts, transfers, clients)),
        Cmd::Prove {
            k,
            batch,
            workers,
            batches_per_worker,
            params,
        } => prove(
            k,
            batch,
            &workers,
            batches_per_worker,
            params.unwrap_or_else(ZkParams::default_dir),
        ),
    }
}
