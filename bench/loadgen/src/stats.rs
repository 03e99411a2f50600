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

/// A block as the poller saw it.
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

/// Submit->commit bookkeeping. Latency is counted for successful transactions submitted inside
/// the measurement window `[window_start, window_end)`.
pub struct Tracker {
    window_start: Duration,
    window_end: Duration,
    /// Submit time and scheduled time of each tx not yet seen in a block.
    submits: HashMap<TxHash, (Duration, Duration)>,
    hist: Histogram<u64>,
    hist_sched: Histogram<u64>,
    pub committed_ok: u64,
    pub committed_failed: u64,
    pub failed_by_code: ErrorTable,
    pub blocks: Vec<BlockRec>,
    /// Blocks that could not be read.
    pub fetch_errors: ErrorTable,
}

impl Tracker {
    pub fn new(window_start: Duration, window_end: Duration) -> Self {
        Self {
            window_start,
            window_end,
            submits: HashMap::new(),
            // Microseconds, 1 µs .. 1 h, 3 significant digits.
            hist: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"),
            hist_sched: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("valid histogram bounds"),
            committed_ok: 0,
            committed_failed: 0,
            failed_by_code: ErrorTable::default(),
            blocks: Vec::new(),
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

    /// Records a block seen at `seen` with its transactions `(hash, code, log)`; the block's other
    /// transactions are counted but otherwise ignored.
    pub fn block<'a>(
        &mut self,
        height: u64,
        seen: Duration,
        txs: impl IntoIterator<Item = (TxHash, u32, &'a str)>,
    ) {
        let mut rec = BlockRec {
            height,
            seen,
            txs: 0,
            ours_ok: 0,
            ours_failed: 0,
        };
        for (hash, code, log) in txs {
            rec.txs += 1;
            let Some((sub, sched)) = self.submits.remove(&hash) else {
                continue;
            };
            if code == 0 {
                rec.ours_ok += 1;
                self.committed_ok += 1;
                if sub >= self.window_start && sub < self.window_end {
                    let us = |from: Duration| seen.saturating_sub(from).as_micros().max(1) as u64;
                    self.hist.saturating_record(us(sub));
                    self.hist_sched.saturating_record(us(sched));
                }
            } else {
                rec.ours_failed += 1;
                self.committed_failed += 1;
                self.failed_by_code.add(format!("code {code}"), log);
            }
        }
        self.blocks.push(rec);
    }

    /// Latency from the actual send.
    pub fn latency(&self) -> LatencyStats {
        latency_stats(&self.hist)
    }

    /// Latency from the scheduled send time (includes client-side queueing when the node
    /// backs up; equals `latency` when every tx left on time).
    pub fn latency_from_schedule(&self) -> LatencyStats {
        latency_stats(&self.hist_sched)
    }

    pub fn window(&self) -> WindowStats {
        window_stats(&self.blocks, self.window_start, self.window_end)
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
        t.submitted(h(4), s(2500), s(2500)); // fails in DeliverTx
        t.submitted(h(5), s(3000), s(3000)); // refused by CheckTx
        t.submitted(h(6), s(4000), s(4000)); // never commits
        t.refused(&h(5));
        assert_eq!(t.pending(), 5);
        t.block(10, s(2100), [(h(1), 0, ""), (h(2), 0, ""), (h(99), 0, "")]);
        t.block(
            11,
            s(3100),
            [(h(3), 0, ""), (h(4), 5, "insufficient funds")],
        );
        assert_eq!(t.pending(), 1);
        assert_eq!((t.committed_ok, t.committed_failed), (3, 1));
        assert_eq!(t.failed_by_code.0["code 5"].count, 1);
        assert_eq!(
            t.failed_by_code.0["code 5"].first_logs,
            vec!["insufficient funds"]
        );
        let l = t.latency();
        assert_eq!(l.count, 2);
        // 1100 ms and 1100 ms (histogram precision: 3 significant digits)
        assert!((l.p50_ms - 1100.0).abs() < 2.0, "{l:?}");
        assert!((l.max_ms - 1100.0).abs() < 2.0, "{l:?}");
        let ls = t.latency_from_schedule();
        assert!((ls.max_ms - 1200.0).abs() < 2.0, "{ls:?}");
        assert!((ls.p50_ms - 1100.0).abs() < 2.0, "{ls:?}");
        assert_eq!(t.blocks[0].txs, 3);
        assert_eq!(t.blocks[0].ours_ok, 2);
    }

    #[test]
    fn percentiles() {
        let mut t = Tracker::new(s(0), s(1_000_000));
        for i in 0..100u64 {
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&i.to_le_bytes());
            t.submitted(hash, s(0), s(0));
            // latencies 1..=100 ms
            t.block(i + 1, s(i + 1), [(hash, 0, "")]);
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
