//! Where the node spent its time during a run: deltas of proofd's Prometheus metrics (ABCI
//! phase durations, CheckTx counts), and the load generator's own CPU time.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

/// `name{labels}` -> value, for every sample line of a Prometheus text exposition.
pub fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, val) = l.rsplit_once(' ')?;
            Some((key.trim().to_string(), val.trim().parse::<f64>().ok()?))
        })
        .collect()
}

pub async fn scrape(http: &reqwest::Client, url: &str) -> Result<BTreeMap<String, f64>> {
    let text = http
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("cannot reach metrics at {url}"))?
        .text()
        .await?;
    Ok(parse_prometheus(&text))
}

/// What proofd reported doing between two scrapes.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct NodeWork {
    pub url: String,
    pub blocks_finalized: f64,
    pub block_txs: f64,
    pub block_txs_failed: f64,
    pub prepare_proposal_s: f64,
    pub process_proposal_s: f64,
    pub finalize_block_s: f64,
    pub commit_s: f64,
    /// CheckTx of newly submitted txs, and re-checks CometBFT runs after each block.
    pub check_tx_new: f64,
    pub check_tx_recheck: f64,
    pub check_tx_failed: f64,
}

impl NodeWork {
    pub fn between(
        url: &str,
        before: &BTreeMap<String, f64>,
        after: &BTreeMap<String, f64>,
    ) -> Self {
        let d =
            |k: &str| after.get(k).copied().unwrap_or(0.0) - before.get(k).copied().unwrap_or(0.0);
        let mut w = NodeWork {
            url: url.to_string(),
            blocks_finalized: d("proofd_finalize_block_seconds_count"),
            block_txs: d("proofd_block_txs_total"),
            block_txs_failed: d("proofd_block_txs_failed_total"),
            prepare_proposal_s: d("proofd_prepare_proposal_seconds_sum"),
            process_proposal_s: d("proofd_process_proposal_seconds_sum"),
            finalize_block_s: d("proofd_finalize_block_seconds_sum"),
            commit_s: d("proofd_commit_seconds_sum"),
            ..Default::default()
        };
        for k in after
            .keys()
            .filter(|k| k.starts_with("proofd_check_tx_total{"))
        {
            let v = d(k);
            if k.contains("kind=\"recheck\"") {
                w.check_tx_recheck += v;
            } else {
                w.check_tx_new += v;
            }
            if !k.contains("code=\"0\"") {
                w.check_tx_failed += v;
            }
        }
        w
    }
}

/// CPU seconds (user + system) this process has used so far; None off Linux.
pub fn own_cpu_seconds() -> Option<f64> {
    cpu_seconds("self")
}

/// CPU seconds used so far by process `pid` ("self" for this one), from /proc.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every mainstream Linux architecture.
    Some(ticks / 100.0)
}

/// CPU use of another process over the run (`--watch-pid name=PID`).
#[derive(Debug, Clone, Serialize)]
pub struct ProcCpu {
    pub name: String,
    pub pid: u32,
    pub cpu_s: f64,
    /// % of one core over the run phase.
    pub cpu_pct: f64,
}

/// Parses `name=PID` (or a bare PID).
pub fn parse_watch(s: &str) -> Result<(String, u32)> {
    let (name, pid) = s.rsplit_once('=').unwrap_or((s, s));
    let pid = pid
        .trim()
        .parse()
        .with_context(|| format!("--watch-pid {s:?}: expected NAME=PID"))?;
    Ok((name.trim().to_string(), pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"# HELP proofd_commit_seconds Commit duration
# TYPE proofd_commit_seconds histogram
proofd_commit_seconds_bucket{le="0.001"} 1
proofd_commit_seconds_sum 0.5
proofd_commit_seconds_count 10
proofd_finalize_block_seconds_sum 1
proofd_finalize_block_seconds_count 10
proofd_check_tx_total{code="0",kind="new"} 100
"#;
    const AFTER: &str = r#"proofd_commit_seconds_sum 2.5
proofd_commit_seconds_count 20
proofd_finalize_block_seconds_sum 5
proofd_finalize_block_seconds_count 20
proofd_block_txs_total 1000
proofd_check_tx_total{code="0",kind="new"} 1100
proofd_check_tx_total{code="32",kind="new"} 5
proofd_check_tx_total{code="0",kind="recheck"} 300
"#;

    #[test]
    fn parses_and_diffs() {
        let b = parse_prometheus(BEFORE);
        assert_eq!(b["proofd_commit_seconds_bucket{le=\"0.001\"}"], 1.0);
        let w = NodeWork::between("u", &b, &parse_prometheus(AFTER));
        assert_eq!(w.blocks_finalized, 10.0);
        assert_eq!(w.commit_s, 2.0);
        assert_eq!(w.finalize_block_s, 4.0);
        assert_eq!(w.block_txs, 1000.0);
        assert_eq!(w.check_tx_new, 1005.0);
        assert_eq!(w.check_tx_recheck, 300.0);
        assert_eq!(w.check_tx_failed, 5.0);
    }

    #[test]
    fn watch_spec() {
        assert_eq!(
            parse_watch("node0-proofd=123").unwrap(),
            ("node0-proofd".into(), 123)
        );
        assert_eq!(parse_watch("77").unwrap(), ("77".into(), 77));
        assert!(parse_watch("x=y").is_err());
    }

    #[test]
    fn own_cpu_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(own_cpu_seconds().unwrap() >= 0.0);
        }
    }
}
