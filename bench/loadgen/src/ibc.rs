//! `ibc-report`: what became of the ICS-20 packets sent on one channel, read from both chains'
//! blocks, so it measures any relayer alike (ours, Hermes): how many were received and
//! acknowledged, the relay rate, and each packet's latency per direction in blocks and seconds.
//!
//! A packet's times are those of the blocks its events are in (header times): sent in block
//! `s` of A, received in block `r` of B, acknowledged in block `k` of A. Forward latency in
//! blocks is the number of B blocks from the first one after `s` up to `r` (1 = the very next
//! block B made took it); back latency likewise in A's blocks after `r` up to `k`.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use futures::StreamExt;
use proof_sdk::rpc::RpcClient;
use serde::Serialize;
use serde_json::{json, Value};

/// Blocks fetched at once.
const FETCH_CONCURRENCY: usize = 16;

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(mut v: Vec<f64>) -> Percentiles {
        if v.is_empty() {
            return Percentiles::default();
        }
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Percentiles {
            p50: at(0.50),
            p95: at(0.95),
            max: v[v.len() - 1],
        }
    }
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub blocks: Percentiles,
    pub seconds: Percentiles,
}

#[derive(Debug, Default, Serialize)]
pub struct IbcReport {
    pub channel: String,
    pub sent: usize,
    pub received: usize,
    pub acknowledged: usize,
    pub timed_out: usize,
    /// From the block of the first send to the block of the last acknowledgement.
    pub span_seconds: f64,
    /// Acknowledged packets over that span.
    pub packets_per_second: f64,
    pub send_to_recv: Latency,
    pub recv_to_ack: Latency,
    pub send_to_ack: Latency,
    pub blocks_a: usize,
    pub blocks_b: usize,
}

/// One chain's blocks in a height range: header time (ms since the epoch) and the
/// `packet_sequence` of each event of the kinds asked, on `channel` as the packet's source.
struct Scan {
    times: Vec<(u64, i64)>,
    by_kind: BTreeMap<String, BTreeMap<u64, u64>>,
}

async fn block(rpc: &RpcClient, height: u64) -> Result<(i64, Value)> {
    let header = rpc
        .call("header", json!({ "height": height.to_string() }))
        .await
        .with_context(|| format!("header {height}"))?;
    let time = header["header"]["time"]
        .as_str()
        .context("header without time")?;
    let t = tendermint::Time::parse_from_rfc3339(time)
        .with_context(|| format!("header time {time:?}"))?;
    let ms = (t.unix_timestamp_nanos() / 1_000_000) as i64;
    Ok((ms, rpc.block_results(height).await?))
}

async fn scan(rpc: &RpcClient, from: u64, to: u64, channel: &str, kinds: &[&str]) -> Result<Scan> {
    let mut blocks: Vec<(u64, i64, Value)> = futures::stream::iter(from..=to)
        .map(|h| async move { block(rpc, h).await.map(|(t, r)| (h, t, r)) })
        .buffer_unordered(FETCH_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    blocks.sort_by_key(|b| b.0);
    let mut by_kind: BTreeMap<String, BTreeMap<u64, u64>> = BTreeMap::new();
    for (h, _, results) in &blocks {
        for tx in results["txs_results"].as_array().into_iter().flatten() {
            if tx["code"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            for e in tx["events"].as_array().into_iter().flatten() {
                let kind = e["type"].as_str().unwrap_or_default();
                if !kinds.contains(&kind) {
                    continue;
                }
                let attr = |key: &str| {
                    e["attributes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|a| a["key"] == key)
                        .and_then(|a| a["value"].as_str())
                };
                if attr("packet_src_channel") != Some(channel) {
                    continue;
                }
                if let Some(seq) = attr("packet_sequence").and_then(|s| s.parse().ok()) {
                    // The first block that did it counts (a relayer's redundant repeat does not).
                    by_kind
                        .entry(kind.to_string())
                        .or_default()
                        .entry(seq)
                        .or_insert(*h);
                }
            }
        }
    }
    Ok(Scan {
        times: blocks.iter().map(|(h, t, _)| (*h, *t)).collect(),
        by_kind,
    })
}

impl Scan {
    fn time(&self, height: u64) -> i64 {
        let i = self.times.partition_point(|(h, _)| *h < height);
        self.times.get(i).map_or(0, |(_, t)| *t)
    }

    /// Blocks of this chain after time `t` up to and including `height`.
    fn blocks_after(&self, t: i64, height: u64) -> f64 {
        let first = self.times.partition_point(|(_, bt)| *bt <= t);
        match self.times.get(first) {
            Some((h0, _)) if *h0 <= height => (height - h0 + 1) as f64,
            _ => 0.0,
        }
    }

    fn of(&self, kind: &str) -> BTreeMap<u64, u64> {
        self.by_kind.get(kind).cloned().unwrap_or_default()
    }
}

/// Waits until no packet sent on `channel` (port `transfer`) of A is still committed, i.e.
/// every one was acknowledged or timed out; progress on stderr every 10 s.
pub async fn wait_settled(a: &RpcClient, channel: &str, limit: std::time::Duration) -> Result<()> {
    use ibc_proto::cosmos::base::query::v1beta1::PageRequest;
    use ibc_proto::ibc::core::channel::v1::{
        QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse,
    };
    let start = std::time::Instant::now();
    let mut said = start;
    loop {
        let r: QueryPacketCommitmentsResponse = a
            .grpc_query(
                "/ibc.core.channel.v1.Query/PacketCommitments",
                &QueryPacketCommitmentsRequest {
                    port_id: "transfer".into(),
                    channel_id: channel.into(),
                    pagination: Some(PageRequest {
                        limit: 1,
                        ..Default::default()
                    }),
                },
                None,
            )
            .await?;
        let Some(oldest) = r.commitments.first() else {
            return Ok(());
        };
        if start.elapsed() > limit {
            bail!(
                "{channel}: packets still unacknowledged after {limit:?} (oldest: sequence {})",
                oldest.sequence
            );
        }
        if said.elapsed() >= std::time::Duration::from_secs(10) {
            eprintln!(
                "[ibc-report] {:.0} s: waiting for acknowledgements on {channel} (oldest pending: sequence {})",
                start.elapsed().as_secs_f64(),
                oldest.sequence
            );
            said = std::time::Instant::now();
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The report on `channel` (A's end) from A's blocks `from_a..` and B's `from_b..`, both up to
/// their latest.
pub async fn report(
    a: &RpcClient,
    b: &RpcClient,
    channel: &str,
    from_a: u64,
    from_b: u64,
) -> Result<IbcReport> {
    let (to_a, to_b) = (a.latest_height().await?, b.latest_height().await?);
    if from_a > to_a || from_b > to_b {
        bail!("nothing to read: A {from_a}..{to_a}, B {from_b}..{to_b}");
    }
    let sa = scan(
        a,
        from_a,
        to_a,
        channel,
        &["send_packet", "acknowledge_packet", "timeout_packet"],
    )
    .await?;
    let sb = scan(b, from_b, to_b, channel, &["recv_packet"]).await?;
    let (sent, acked, timed_out) = (
        sa.of("send_packet"),
        sa.of("acknowledge_packet"),
        sa.of("timeout_packet"),
    );
    let recv = sb.of("recv_packet");
    let mut fwd = (Vec::new(), Vec::new());
    let mut back = (Vec::new(), Vec::new());
    let mut whole = (Vec::new(), Vec::new());
    let (mut first_send, mut last_ack) = (i64::MAX, i64::MIN);
    for (seq, send_h) in &sent {
        let t_send = sa.time(*send_h);
        first_send = first_send.min(t_send);
        if let Some(recv_h) = recv.get(seq) {
            let t_recv = sb.time(*recv_h);
            fwd.0.push(sb.blocks_after(t_send, *recv_h));
            fwd.1.push((t_recv - t_send) as f64 / 1000.0);
            if let Some(ack_h) = acked.get(seq) {
                let t_ack = sa.time(*ack_h);
                last_ack = last_ack.max(t_ack);
                back.0.push(sa.blocks_after(t_recv, *ack_h));
                back.1.push((t_ack - t_recv) as f64 / 1000.0);
                whole.0.push((ack_h - send_h) as f64);
                whole.1.push((t_ack - t_send) as f64 / 1000.0);
            }
        }
    }
    let latency = |(blocks, seconds): (Vec<f64>, Vec<f64>)| Latency {
        blocks: Percentiles::of(blocks),
        seconds: Percentiles::of(seconds),
    };
    let acknowledged = whole.0.len();
    let span_seconds = if acknowledged > 0 {
        (last_ack - first_send) as f64 / 1000.0
    } else {
        0.0
    };
    Ok(IbcReport {
        channel: channel.to_string(),
        sent: sent.len(),
        received: fwd.0.len(),
        acknowledged,
        timed_out: timed_out.len(),
        span_seconds,
        packets_per_second: if span_seconds > 0.0 {
            acknowledged as f64 / span_seconds
        } else {
            0.0
        },
        send_to_recv: latency(fwd),
        recv_to_ack: latency(back),
        send_to_ack: latency(whole),
        blocks_a: sa.times.len(),
        blocks_b: sb.times.len(),
    })
}

pub fn print_text(r: &IbcReport) {
    println!(
        "channel {}: {} sent, {} received, {} acknowledged, {} timed out",
        r.channel, r.sent, r.received, r.acknowledged, r.timed_out
    );
    println!(
        "relay: {:.1} packets/s ({} acknowledged over {:.1} s, first send to last ack; {} blocks of A, {} of B)",
        r.packets_per_second, r.acknowledged, r.span_seconds, r.blocks_a, r.blocks_b
    );
    for (name, l) in [
        ("send -> recv", &r.send_to_recv),
        ("recv -> ack", &r.recv_to_ack),
        ("send -> ack", &r.send_to_ack),
    ] {
        println!(
            "{name:>13}: blocks p50 {:.0} p95 {:.0} max {:.0}; seconds p50 {:.1} p95 {:.1} max {:.1}",
            l.blocks.p50, l.blocks.p95, l.blocks.max, l.seconds.p50, l.seconds.p95, l.seconds.max
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_ranks_not_interpolations() {
        let p = Percentiles::of((1..=100).map(f64::from).collect());
        assert_eq!((p.p50, p.p95, p.max), (50.0, 95.0, 100.0));
        assert_eq!(Percentiles::of(vec![]), Percentiles::default());
        let one = Percentiles::of(vec![3.0]);
        assert_eq!((one.p50, one.p95, one.max), (3.0, 3.0, 3.0));
    }

    #[test]
    fn blocks_after_counts_from_the_first_block_later_than_the_send() {
        let s = Scan {
            times: vec![(10, 1_000), (11, 2_000), (12, 3_000), (13, 4_000)],
            by_kind: BTreeMap::new(),
        };
        // Sent at t = 1,500: block 11 is the first after it; received in 11 -> 1 block.
        assert_eq!(s.blocks_after(1_500, 11), 1.0);
        assert_eq!(s.blocks_after(1_500, 13), 3.0);
        // A block at exactly the send time is not after it.
        assert_eq!(s.blocks_after(2_000, 12), 1.0);
        assert_eq!(s.time(12), 3_000);
    }
}
