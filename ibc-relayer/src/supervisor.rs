//! The supervisor and its workers, as Hermes arranges them: one worker per channel path,
//! following both chains block by block, relaying what each new block's events ask for, and
//! clearing what state says is pending on start and every `clear_interval_blocks`, and checking
//! every header its two clients take against the chain it claims to be from. A failed step is
//! retried with exponential backoff; what it was about stays pending.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};

use crate::chain::{BlockEvent, Chain};
use crate::client;
use crate::config::{Global, PathConfig};
use crate::metrics::Metrics;
use crate::misbehaviour::{self, Verdict};
use crate::packets::{self, Packet, Relayed, Side};

/// Backoff after a failed step: doubling from 500 ms up to 30 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(30))
}

/// What one direction (packets sent on `src`) is waiting on.
#[derive(Default)]
struct Pending {
    /// Packets seen sent, by sequence, with when they were seen.
    sent: BTreeMap<u64, (Packet, Instant)>,
    /// Acknowledgements written on the destination, to return.
    acks: BTreeMap<u64, (Packet, Vec<u8>)>,
}

pub struct PathWorker {
    pub name: String,
    pub a: Arc<Chain>,
    pub b: Arc<Chain>,
    pub path: PathConfig,
    pub global: Global,
    pub metrics: Arc<Metrics>,
}

impl PathWorker {
    fn sides(&self) -> Result<(Side<'_>, Side<'_>)> {
        let need = |v: &Option<String>, what: &str, chain: &str| {
            v.clone()
                .ok_or_else(|| anyhow!("path {}: no {what} on {chain} yet (run create)", self.name))
        };
        let a = Side {
            chain: &self.a,
            client: need(&self.path.a.client, "client", self.a.id())?,
            port: self.path.a.port.clone(),
            channel: need(&self.path.a.channel, "channel", self.a.id())?,
        };
        let b = Side {
            chain: &self.b,
            client: need(&self.path.b.client, "client", self.b.id())?,
            port: self.path.b.port.clone(),
            channel: need(&self.path.b.channel, "channel", self.b.id())?,
        };
        Ok((a, b))
    }

    fn record(&self, chain: &Chain, r: &Relayed) {
        let m = &self.metrics;
        m.relayed
            .with_label_values(&[&self.name, "recv"])
            .inc_by(r.received as u64);
        m.relayed
            .with_label_values(&[&self.name, "ack"])
            .inc_by(r.acknowledged as u64);
        m.relayed
            .with_label_values(&[&self.name, "timeout"])
            .inc_by(r.timed_out as u64);
        m.txs.with_label_values(&[chain.id()]).inc_by(r.txs as u64);
        m.gas.with_label_values(&[chain.id()]).inc_by(r.gas_used);
    }

    /// Relays everything pending on both directions, found from state.
    pub async fn clear(&self) -> Result<Relayed> {
        let (a, b) = self.sides()?;
        let max = self.global.max_msgs_per_tx;
        let mut total = packets::clear(&a, &b, max).await?;
        total.add(&packets::clear(&b, &a, max).await?);
        Ok(total)
    }

    /// Sorts one block's events of `chain` (the path's `end` side) into what to relay.
    fn collect(
        events: &[BlockEvent],
        port: &str,
        channel: &str,
        out: &mut Pending,
        acks_for_other: &mut Pending,
    ) {
        for e in events {
            match e.kind.as_str() {
                "send_packet"
                    if e.get("packet_src_channel").ok() == Some(channel)
                        && e.get("packet_src_port").ok() == Some(port) =>
                {
                    if let Ok(p) = Packet::from_event(e) {
                        out.sent.insert(p.sequence, (p, Instant::now()));
                    }
                }
                "write_acknowledgement"
                    if e.get("packet_dst_channel").ok() == Some(channel)
                        && e.get("packet_dst_port").ok() == Some(port) =>
                {
                    if let (Ok(p), Ok(ack)) = (
                        Packet::from_event(e),
                        e.get("packet_ack_hex")
                            .map(|h| hex::decode(h).unwrap_or_default()),
                    ) {
                        acks_for_other.acks.insert(p.sequence, (p, ack));
                    }
                }
                _ => {}
            }
        }
    }

    /// Runs until `stop` says so (or forever).
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) -> Result<()> {
        let (a, b) = self.sides()?;
        let max = self.global.max_msgs_per_tx;
        let poll = Duration::from_millis(self.global.poll_interval_ms.max(10));
        let mut a_to_b = Pending::default();
        let mut b_to_a = Pending::default();
        // `update_client` events of the path's clients (on A, B's client; on B, A's) not yet
        // checked against the reference chain.
        let mut updates_a: Vec<BlockEvent> = Vec::new();
        let mut updates_b: Vec<BlockEvent> = Vec::new();
        let mut next_a = self.a.latest_height().await? + 1;
        let mut next_b = self.b.latest_height().await? + 1;
        let mut failures = 0u32;
        let mut since_clear = 0u64;
        let mut cleared = !self.global.clear_on_start;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let step: Result<()> = async {
                if !cleared || since_clear >= self.global.clear_interval_blocks {
                    self.refresh(&a, &b).await?;
                    self.refresh(&b, &a).await?;
                    let r = self.clear().await?;
                    if r != Relayed::default() {
                        tracing::info!(path = %self.name, ?r, "cleared pending packets");
                    }
                    self.record(&self.b, &r);
                    cleared = true;
                    since_clear = 0;
                }
                let la = self.a.latest_height().await?;
                while next_a <= la {
                    let Some(ev) = self.a.block_events_when_stored(next_a).await? else {
                        break;
                    };
                    Self::collect(&ev, &a.port, &a.channel, &mut a_to_b, &mut b_to_a);
                    updates_a.extend(client_updates(&ev, &a.client));
                    next_a += 1;
                    since_clear += 1;
                }
                let lb = self.b.latest_height().await?;
                while next_b <= lb {
                    let Some(ev) = self.b.block_events_when_stored(next_b).await? else {
                        break;
                    };
                    Self::collect(&ev, &b.port, &b.channel, &mut b_to_a, &mut a_to_b);
                    updates_b.extend(client_updates(&ev, &b.client));
                    next_b += 1;
                }
                self.check_updates(&a, &b, &mut updates_a).await?;
                self.check_updates(&b, &a, &mut updates_b).await?;
                self.direction(&a, &b, &mut a_to_b, max, "a->b").await?;
                self.direction(&b, &a, &mut b_to_a, max, "b->a").await?;
                Ok(())
            }
            .await;
            match step {
                Ok(()) => {
                    failures = 0;
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    failures += 1;
                    self.metrics.errors.with_label_values(&[&self.name]).inc();
                    let wait = backoff(failures);
                    tracing::warn!(path = %self.name, error = %format!("{e:#}"), retry_in = ?wait, "relay step failed");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    /// Updates `host`'s client of `reference` if it went a third of its trusting period
    /// without one (no packets to carry updates), so it never expires.
    async fn refresh(&self, host: &Side<'_>, reference: &Side<'_>) -> Result<()> {
        if let Some(msg) = client::refresh_msg(host.chain, reference.chain, &host.client).await? {
            host.chain
                .send(vec![msg])
                .await
                .with_context(|| format!("refreshing {}", host.client))?;
            tracing::info!(path = %self.name, chain = %host.chain.id(), client = %host.client, "refreshed client");
        }
        Ok(())
    }

    /// Checks the headers `host`'s client of `reference` took; a conflicting one is answered
    /// with its evidence at once. Headers ahead of the reference chain wait; the rest are done.
    /// On an error, what was not done yet stays for the retry.
    async fn check_updates(
        &self,
        host: &Side<'_>,
        reference: &Side<'_>,
        updates: &mut Vec<BlockEvent>,
    ) -> Result<()> {
        let mut waiting = Vec::new();
        let mut todo = std::mem::take(updates).into_iter();
        while let Some(ev) = todo.next() {
            match self.check_update(host, reference, &ev).await {
                Ok(true) => {}
                Ok(false) => waiting.push(ev),
                Err(e) => {
                    waiting.push(ev);
                    waiting.extend(todo);
                    *updates = waiting;
                    return Err(e.context(format!("checking an update of {}", host.client)));
                }
            }
        }
        *updates = waiting;
        Ok(())
    }

    /// One update: `Ok(false)` if it must wait for the reference chain to reach its height.
    async fn check_update(
        &self,
        host: &Side<'_>,
        reference: &Side<'_>,
        ev: &BlockEvent,
    ) -> Result<bool> {
        match misbehaviour::check_update(host.chain, reference.chain, &host.client, ev).await? {
            Verdict::Genuine | Verdict::NotAHeader => Ok(true),
            Verdict::Ahead(_) => Ok(false),
            Verdict::Conflict { height, evidence } => {
                let frozen = client::client_state(host.chain, &host.client)
                    .await?
                    .frozen_height
                    .is_some_and(|h| h.revision_height > 0);
                if frozen {
                    return Ok(true);
                }
                tracing::error!(
                    path = %self.name,
                    chain = %host.chain.id(),
                    client = %host.client,
                    height,
                    "the client took a header that conflicts with {}'s own block: submitting the evidence",
                    reference.chain.id()
                );
                host.chain
                    .send(vec![*evidence])
                    .await
                    .context("submitting misbehaviour")?;
                self.metrics
                    .misbehaviour
                    .with_label_values(&[host.chain.id()])
                    .inc();
                Ok(true)
            }
        }
    }

    /// One direction: deliver what was sent, return what was acknowledged.
    async fn direction(
        &self,
        src: &Side<'_>,
        dst: &Side<'_>,
        p: &mut Pending,
        max: usize,
        dir: &str,
    ) -> Result<()> {
        self.metrics
            .pending
            .with_label_values(&[&self.name, dir])
            .set(p.sent.len() as i64);
        if !p.sent.is_empty() {
            let batch: Vec<Packet> = p.sent.values().map(|(pk, _)| pk.clone()).collect();
            let r = packets::relay_packets(src, dst, &batch, max).await?;
            self.record(dst.chain, &r);
            if r.timed_out > 0 {
                // Timed out: nothing more will come for them.
                let gone =
                    packets::unacked_on(src, batch.iter().map(|x| x.sequence).collect()).await?;
                p.sent.retain(|s, _| gone.contains(s));
            }
        }
        if !p.acks.is_empty() {
            let acks: Vec<(Packet, Vec<u8>)> = p.acks.values().cloned().collect();
            let r = packets::relay_acks(src, dst, &acks, max).await?;
            self.record(src.chain, &r);
            for (pk, _) in &acks {
                if let Some((_, seen)) = p.sent.remove(&pk.sequence) {
                    self.metrics
                        .latency
                        .with_label_values(&[&self.name])
                        .observe(seen.elapsed().as_secs_f64());
                }
            }
            p.acks.clear();
        }
        Ok(())
    }
}

/// The `update_client` events of `client_id` among one block's events.
fn client_updates<'e>(
    events: &'e [BlockEvent],
    client_id: &'e str,
) -> impl Iterator<Item = BlockEvent> + 'e {
    events
        .iter()
        .filter(move |e| e.kind == "update_client" && e.get("client_id").ok() == Some(client_id))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(40), Duration::from_secs(30));
    }
}
