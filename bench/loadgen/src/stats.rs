//! Bookkeeping, free of I/O: submit times by tx hash, blocks as they are seen, latencies, counts.
//! All times are offsets from the start of submission (`t0`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

pub type TxHash = [u8; 32];

/// How many example logs to keep per error code.
const KEEP_LOGS: usize = 3;

/// Counts per error code (or error kind) with the first few logs.
#[derive(Default, Debug, Clone, Serialize)]
pub struct ErrorClass {
    pub count: u64,
    pub first_logs: Vec<String>,
}

#[derive(Default, Debug, Clone)]
pub struct ErrorTable(pub BTreeMap<String, ErrorClass>);

impl ErrorTable {
    pub fn add(&mut self, key: impl Into<String>, log: &str) {
        let e = self.0.entry(key.into()).or_default();
        e.count += 1;
        if e.first_logs.len() < KEEP_LOGS {
            let mut l: String = log.chars().take(300).collect();
            if l.len() < log.len() {
                l.push('…');
            }
            e.first_logs.push(l);
        }
    }
    pub fn total(&self) -> u64 {
        self.0.values().map(|e| e.count).sum()
    }
}

/// A block's numbers, as used for the window statistics.
#[derive(Debug, Clone, Serialize)]
pub struct BlockRec {
    pub height: u64,
    /// When the poller first saw the height (offset from t0).
    #[serde(serialize_with = "ser_secs")]
    pub seen: Duration,
    pub txs: usize,
    pub ours_ok: usize,
    pub ours_failed: usize,
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// One of our txs found in a block: its index there, when it was sent and when it was due.
struct Found {
    index: u32,
    submitted: Duration,
    scheduled: Duration,
}

struct BlockEntry {
    seen: Duration,
    txs: usize,
    found: Vec<Found>,
    /// Indices (in the block) of txs with a non-zero result code.
    failed: Vec<u32>,
    results_read: bool,
}

/// Submit->commit bookkeeping. Blocks are matched by tx hash as soon as they are seen; their
/// result codes may arrive later (`results`), so every statistic is computed at the end.
/// Latency is counted for successful transactions submitted inside the measurement window
/// `[window_start, window_end)`.
pub struct Tracker {
    window_start: Duration,
    window_end: Duration,
    /// Submit time and scheduled time of each tx not yet seen in a block.
    submits: HashMap<TxHash, (Duration, Duration)>,
    blocks: BTreeMap<u64, BlockEntry>,
    pub failed_by_code: ErrorTable,
    /// Blocks (or block results) that could not be read.
    pub fetch_errors: ErrorTable,
}

impl Tracker {
    pub fn new(window_start: Duration, window_end: Duration) -> Self {
        Self {
            window_start,
            window_end,
            submits: HashMap::new(),
            blocks: BTreeMap::new(),
            failed_by_code: ErrorTable::default(),
            fetch_errors: ErrorTable::default(),
        }
    }

    /// Records a submission (call just before sending). `scheduled` is when the open-loop
    /// schedule wanted it sent; latency from there includes any client-side queueing.
    pub fn submitted(&mut self, hash: TxHash, at: Duration, scheduled: Duration) {
        self.submits.insert(hash, (at, scheduled.min(at)));
    }

    /// Forgets a submission the node refused: it will never commit.
    pub fn refused(&mut self, hash: &TxHash) {
        self.submits.remove(hash);
    }

    /// Submitted transactions not (yet) seen in a block.
    pub fn pending(&self) -> usize {
        self.submits.len()
    }

    /// Records a block seen at `seen` with the hashes of its transactions, in block order.
    pub fn block(&mut self, height: u64, seen: Duration, hashes: impl IntoIterator<Item = TxHash>) {
        let mut e = BlockEntry {
            seen,
            txs: 0,
            found: Vec::new(),
            failed: Vec::new(),
            results_read: false,
        };
        for (i, hash) in hashes.into_iter().enumerate() {
            e.txs += 1;
            if let Some((submitted, scheduled)) = self.submits.remove(&hash) {
                e.found.push(Found {
                    index: i as u32,
                    submitted,
                    scheduled,
                });
            }
        }
        self.blocks.insert(height, e);
    }

    /// Heights of blocks holding our txs whose result codes are not known yet.
    pub fn unverified_heights(&self) -> Vec<u64> {
        self.blocks
            .iter()
            .filter(|(_, e)| !e.found.is_empty() && !e.results_read)
            .map(|(h, _)| *h)
            .collect()
    }

    /// Applies a block's result codes `(code, log)`, in block order.
    pub fn results(&mut self, height: u64, results: &[(u32, String)]) {
        let Some(e) = self.blocks.get_mut(&height) else {
            return;
        };
        if e.results_read {
            return;
        }
        if results.len() != e.txs {
            self.fetch_errors.add(
                format!("block {height}"),
                &format!("{} txs but {} results", e.txs, results.len()),
            );
            return;
        }
        e.results_read = true;
        for f in &e.found {
            let (code, log) = &results[f.index as usize];
            if *code != 0 {
                e.failed.push(f.index);
                self.failed_by_code.add(format!("code {code}"), log);
            }
        }
    }

    fn is_ok(e: &BlockEntry, f: &Found) -> bool {
        !e.failed.contains(&f.index)
    }

    pub fn committed_ok(&self) -> u64 {
        self.blocks
            .values()
            .map(|e| (e.found.len() - e.failed.len()) as u64)
            .sum()
    }

    pub fn committed_failed(&self) -> u64 {
        self.blocks.values().map(|e| e.failed.len() as u64).sum()
    }

    /// Our txs in blocks whose result codes were never read (counted as ok).
    pub fn committed_unverified(&self) -> u64 {
        self.blocks
            .values()
            .filter(|e| !e.results_read)
            .map(|e| e.found.len() as u64)
            .sum()
    }

    pub fn block_recs(&self) -> Vec<BlockRec> {
        self.blocks
            .iter()
            .map(|(h, e)| BlockRec {
                height: *h,
                seen: e.seen,
                txs: e.txs,
                ours_ok: e.found.len() - e.failed.len(),
                ours_failed: e.failed.len(),
            })
            .collect()
    }

    fn histogram(&self, from_schedule: bool) -> Histogram<u64> {
        // Microseconds, 1 µs .. 1 h, 3 significant digits.
        let mut h =
            Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds");
        for e in self.blocks.values() {
            for f in e.found.iter().filter(|f| Self::is_ok(e, f)) {
                if f.submitted >= self.window_start && f.submitted < self.window_end {
                    let from = if from_schedule {
                        f.scheduled
                    } else {
                        f.submitted
                    };
                    h.saturating_record(e.seen.saturating_sub(from).as_micros().max(1) as u64);
                }
            }
        }
        h
    }

    /// Latency from the actual send.
    pub fn latency(&self) -> LatencyStats {
        latency_stats(&self.histogram(false))
    }

    /// Latency from the scheduled send time (includes client-side queueing when the node
    /// backs up; equals `latency` when every tx left on time).
    pub fn latency_from_schedule(&self) -> LatencyStats {
        latency_stats(&self.histogram(true))
    }

    pub fn window(&self) -> WindowStats {
        window_stats(&self.block_recs(), self.window_start, self.window_end)
    }

    /// Whole-run throughput: every committed ok tx (warmup included) over the time from the
    /// start of submission to the last block holding one of ours. Less precise than the window
    /// rate at steady state, but meaningful when blocks are few and far apart.
    pub fn overall_tps(&self) -> f64 {
        let last = self
            .blocks
            .values()
            .filter(|e| !e.found.is_empty())
            .map(|e| e.seen)
            .max();
        match last {
            Some(t) if t > Duration::ZERO => self.committed_ok() as f64 / t.as_secs_f64(),
            _ => 0.0,
        }
    }
}

fn latency_stats(h: &Histogram<u64>) -> LatencyStats {
    let ms = |us: u64| us as f64 / 1000.0;
    if h.is_empty() {
        return LatencyStats::default();
    }
    LatencyStats {
        count: h.len(),
        mean_ms: h.mean() / 1000.0,
        p50_ms: ms(h.value_at_quantile(0.50)),
        p90_ms: ms(h.value_at_quantile(0.90)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

#[derive(Default, Debug, Clone, Serialize, PartialEq)]
pub struct LatencyStats {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Default, Debug, Clone, Serialize, PartialEq)]
pub struct WindowStats {
    /// Blocks seen inside the window.
    pub blocks: usize,
    /// Successful load-generator txs in those blocks.
    pub committed_ok: u64,
    /// All txs in those blocks (ours or not, ok or failed) / blocks.
    pub mean_txs_per_block: f64,
    /// Committed ok tx/s: txs of blocks 2..n over the time between the first and the last block
    /// seen in the window (block-aligned, so a partial block interval does not skew it); with fewer
    /// than two blocks, the window's count over the window length.
    pub sustained_tps: f64,
    /// Mean seconds between the blocks seen in the window.
    pub mean_block_interval_s: f64,
}

pub fn window_stats(blocks: &[BlockRec], start: Duration, end: Duration) -> WindowStats {
    // Blocks are fetched concurrently, so they may have been recorded out of order.
    let mut inw: Vec<&BlockRec> = blocks
        .iter()
        .filter(|b| b.seen >= start && b.seen < end)
        .collect();
    inw.sort_by_key(|b| (b.seen, b.height));
    let mut w = WindowStats {
        blocks: inw.len(),
        ..Default::default()
    };
    if inw.is_empty() {
        return w;
    }
    w.committed_ok = inw.iter().map(|b| b.ours_ok as u64).sum();
    w.mean_txs_per_block = inw.iter().map(|b| b.txs as f64).sum::<f64>() / inw.len() as f64;
    let span = inw[inw.len() - 1]
        .seen
        .saturating_sub(inw[0].seen)
        .as_secs_f64();
    if inw.len() >= 2 && span > 0.0 {
        let after_first: u64 = inw[1..].iter().map(|b| b.ours_ok as u64).sum();
        w.sustained_tps = after_first as f64 / span;
        w.mean_block_interval_s = span / (inw.len() - 1) as f64;
    } else {
        let len = end.saturating_sub(start).as_secs_f64();
        w.sustained_tps = if len > 0.0 {
            w.committed_ok as f64 / len
        } else {
            0.0
        };
    }
    w
}

/// What happened at submission time.
#[derive(Default, Debug, Clone)]
pub struct SubmitStats {
    pub submitted: u64,
    pub submitted_in_window: u64,
    /// CheckTx code 0.
    pub accepted: u64,
    /// CheckTx code != 0, by code.
    pub rejected: ErrorTable,
    /// JSON-RPC errors (e.g. "mempool is full"), by message prefix.
    pub rpc_errors: ErrorTable,
    /// No answer in time or the connection failed: outcome unknown.
    pub unknown: ErrorTable,
    /// Pre-signed txs re-signed because the sender's sequence moved (after a refusal).
    pub resigned: u64,
    /// Broadcasts sent a second time after a transport error.
    pub retried: u64,
    /// Largest delay between a tx's scheduled time and its actual send.
    pub max_lag: Duration,
    /// Txs sent more than 10 ms after their scheduled time.
    pub late: u64,
}

/// A short key for an RPC error: the text up to the first ':' after the method name, so
/// "mempool is full: number of txs 5000 ..." groups together.
pub fn rpc_error_key(msg: &str) -> String {
    let m = msg.strip_prefix("broadcast_tx_sync: ").unwrap_or(msg);
    let key: String = m
        .split([':', '('])
        .next()
        .unwrap_or(m)
        .trim()
        .chars()
        .take(80)
        .collect();
    if key.is_empty() {
        "rpc error".into()
    } else {
        key
    }
}

/// The expected sequence in an "account sequence mismatch, expected 5, got 6" log.
pub fn parse_expected_sequence(log: &str) -> Option<u64> {
    let i = log.find("expected")?;
    let rest = log[i + "expected".len()..].trim_start_matches(|c: char| !c.is_ascii_digit());
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u8) -> TxHash {
        [i; 32]
    }
    fn s(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn latency_counts_only_window_and_ok() {
        let mut t = Tracker::new(s(1000), s(11_000));
        t.submitted(h(1), s(500), s(500)); // warmup: committed but not in the histogram
        t.submitted(h(2), s(1000), s(1000));
        t.submitted(h(3), s(2000), s(1900)); // left 100 ms late
        t.submitted(h(4), s(2500), s(2500)); // fails in FinalizeBlock
        t.submitted(h(5), s(3000), s(3000)); // refused by CheckTx
        t.submitted(h(6), s(4000), s(4000)); // never commits
        t.refused(&h(5));
        assert_eq!(t.pending(), 5);
        t.block(10, s(2100), [h(1), h(2), h(99)]);
        t.block(11, s(3100), [h(3), h(4)]);
        assert_eq!(t.pending(), 1);
        assert_eq!(t.unverified_heights(), vec![10, 11]);
        // Before the codes are known, everything found counts as ok.
        assert_eq!(
            (
                t.committed_ok(),
                t.committed_failed(),
                t.committed_unverified()
            ),
            (4, 0, 4)
        );
        t.results(
            10,
            &[
                (0, String::new()),
                (0, String::new()),
                (7, "not ours".into()),
            ],
        );
        t.results(11, &[(0, String::new()), (5, "insufficient funds".into())]);
        t.results(11, &[(0, String::new()), (5, "twice".into())]); // ignored
        assert!(t.unverified_heights().is_empty());
        assert_eq!(
            (
                t.committed_ok(),
                t.committed_failed(),
                t.committed_unverified()
            ),
            (3, 1, 0)
        );
        assert_eq!(t.failed_by_code.0["code 5"].count, 1);
        assert_eq!(
            t.failed_by_code.0["code 5"].first_logs,
            vec!["insufficient funds"]
        );
        assert!(
            !t.failed_by_code.0.contains_key("code 7"),
            "other senders' failures are not ours"
        );
        let l = t.latency();
        assert_eq!(l.count, 2);
        // 1100 ms and 1100 ms (histogram precision: 3 significant digits)
        assert!((l.p50_ms - 1100.0).abs() < 2.0, "{l:?}");
        assert!((l.max_ms - 1100.0).abs() < 2.0, "{l:?}");
        let ls = t.latency_from_schedule();
        assert!((ls.max_ms - 1200.0).abs() < 2.0, "{ls:?}");
        assert!((ls.p50_ms - 1100.0).abs() < 2.0, "{ls:?}");
        assert!((t.overall_tps() - 3.0 / 3.1).abs() < 1e-9);
        let b = t.block_recs();
        assert_eq!(
            (b[0].txs, b[0].ours_ok, b[1].ours_ok, b[1].ours_failed),
            (3, 2, 1, 1)
        );
    }

    #[test]
    fn mismatched_results_are_an_error() {
        let mut t = Tracker::new(s(0), s(10));
        t.submitted(h(1), s(0), s(0));
        t.block(1, s(1), [h(1)]);
        t.results(1, &[]);
        assert_eq!(t.unverified_heights(), vec![1]);
        assert_eq!(t.fetch_errors.total(), 1);
    }

    #[test]
    fn percentiles() {
        let mut t = Tracker::new(s(0), s(1_000_000));
        for i in 0..100u64 {
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&i.to_le_bytes());
            t.submitted(hash, s(0), s(0));
            // latencies 1..=100 ms
            t.block(i + 1, s(i + 1), [hash]);
        }
        let l = t.latency();
        assert_eq!(l.count, 100);
        assert!((l.p50_ms - 50.0).abs() < 0.1, "{l:?}");
        assert!((l.p90_ms - 90.0).abs() < 0.1, "{l:?}");
        assert!((l.p99_ms - 99.0).abs() < 0.1, "{l:?}");
        assert!((l.max_ms - 100.0).abs() < 0.1, "{l:?}");
        assert!((l.mean_ms - 50.5).abs() < 0.1, "{l:?}");
        assert_eq!(Tracker::new(s(0), s(1)).latency(), LatencyStats::default());
    }

    #[test]
    fn sustained_rate_is_block_aligned() {
        let b = |height, seen_ms, ok| BlockRec {
            height,
            seen: s(seen_ms),
            txs: ok,
            ours_ok: ok,
            ours_failed: 0,
        };
        let blocks = vec![
            b(1, 500, 10),   // before the window
            b(2, 1500, 100), // first in window: its txs are not counted in the rate
            b(3, 2500, 200),
            b(4, 3500, 200),
            b(5, 4500, 200),
            b(6, 5500, 999), // after the window
        ];
        let w = window_stats(&blocks, s(1000), s(5000));
        assert_eq!(w.blocks, 4);
        assert_eq!(w.committed_ok, 700);
        assert!((w.sustained_tps - 200.0).abs() < 1e-9, "{w:?}");
        assert!((w.mean_txs_per_block - 175.0).abs() < 1e-9);
        assert!((w.mean_block_interval_s - 1.0).abs() < 1e-9);
        // One block: falls back to count / window length.
        let w = window_stats(&blocks[..2], s(1000), s(5000));
        assert!((w.sustained_tps - 25.0).abs() < 1e-9, "{w:?}");
        assert_eq!(window_stats(&[], s(0), s(1)), WindowStats::default());
    }

    #[test]
    fn error_table_keeps_first_logs() {
        let mut e = ErrorTable::default();
        for i in 0..5 {
            e.add("code 32", &format!("log {i}"));
        }
        e.add("code 13", "fee");
        assert_eq!(e.total(), 6);
        assert_eq!(e.0["code 32"].first_logs, vec!["log 0", "log 1", "log 2"]);
    }

    #[test]
    fn parses_logs() {
        assert_eq!(
            parse_expected_sequence(
                "account sequence mismatch, expected 5, got 6: incorrect account sequence"
            ),
            Some(5)
        );
        assert_eq!(
            parse_expected_sequence("expected sequence 12 but got 13"),
            Some(12)
        );
        assert_eq!(parse_expected_sequence("insufficient funds"), None);
        assert_eq!(
            rpc_error_key(
                "broadcast_tx_sync: Internal error mempool is full: number of txs 5000 (max: 5000)"
            ),
            "Internal error mempool is full"
        );
        assert_eq!(rpc_error_key(""), "rpc error");
    }
}
