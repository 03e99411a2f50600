//! Packets across one channel: receiving on the destination what the source sent, returning
//! the destination's acknowledgements, and timing out on the source what the destination can
//! no longer receive. Each batch goes in as few transactions as possible: a client update,
//! then up to `max_msgs` packet messages proven at that update's height.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context, Result};
use ibc_proto::ibc::core::channel::v1::{
    MsgAcknowledgement, MsgRecvPacket, MsgTimeout, Packet as RawPacket,
    QueryNextSequenceReceiveRequest, QueryNextSequenceReceiveResponse,
    QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse, QueryUnreceivedAcksRequest,
    QueryUnreceivedAcksResponse, QueryUnreceivedPacketsRequest, QueryUnreceivedPacketsResponse,
};
use ibc_proto::ibc::core::client::v1::Height;
use serde_json::json;

use crate::chain::{events_of, Any, BlockEvent, Chain};
use crate::client::{self, tx_any};

/// A packet as its `send_packet` event describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub sequence: u64,
    pub src_port: String,
    pub src_channel: String,
    pub dst_port: String,
    pub dst_channel: String,
    pub data: Vec<u8>,
    pub timeout_height: Height,
    pub timeout_timestamp: u64,
}

fn parse_height(s: &str) -> Result<Height> {
    let (rev, h) = s
        .split_once('-')
        .ok_or_else(|| anyhow!("height {s} is not revision-height"))?;
    Ok(Height {
        revision_number: rev.parse()?,
        revision_height: h.parse()?,
    })
}

impl Packet {
    /// The packet of a `send_packet`, `recv_packet` or `write_acknowledgement` event.
    pub fn from_event(e: &BlockEvent) -> Result<Packet> {
        Ok(Packet {
            sequence: e.get("packet_sequence")?.parse()?,
            src_port: e.get("packet_src_port")?.into(),
            src_channel: e.get("packet_src_channel")?.into(),
            dst_port: e.get("packet_dst_port")?.into(),
            dst_channel: e.get("packet_dst_channel")?.into(),
            data: hex::decode(e.get("packet_data_hex")?).context("packet_data_hex")?,
            timeout_height: parse_height(e.get("packet_timeout_height")?)?,
            timeout_timestamp: e.get("packet_timeout_timestamp")?.parse()?,
        })
    }

    pub fn to_raw(&self) -> RawPacket {
        RawPacket {
            sequence: self.sequence,
            source_port: self.src_port.clone(),
            source_channel: self.src_channel.clone(),
            destination_port: self.dst_port.clone(),
            destination_channel: self.dst_channel.clone(),
            data: self.data.clone(),
            timeout_height: Some(self.timeout_height),
            timeout_timestamp: self.timeout_timestamp,
        }
    }

    /// Whether a destination block at `height` (of revision `revision`) and time `time_ns`
    /// can no longer receive it.
    pub fn expired_at(&self, revision: u64, height: u64, time_ns: u64) -> bool {
        let th = self.timeout_height;
        let by_height = th.revision_height > 0
            && (revision, height) >= (th.revision_number, th.revision_height);
        let by_time = self.timeout_timestamp > 0 && time_ns >= self.timeout_timestamp;
        by_height || by_time
    }
}

/// One end of a channel, with the client it holds of the other end's chain.
pub struct Side<'c> {
    pub chain: &'c Chain,
    pub client: String,
    pub port: String,
    pub channel: String,
}

/// What one relay step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Relayed {
    pub received: usize,
    pub acknowledged: usize,
    pub timed_out: usize,
    pub txs: usize,
    pub gas_used: u64,
}

impl Relayed {
    pub fn add(&mut self, o: &Relayed) {
        self.received += o.received;
        self.acknowledged += o.acknowledged;
        self.timed_out += o.timed_out;
        self.txs += o.txs;
        self.gas_used += o.gas_used;
    }
}

/// Sends `msgs` after `update`, at most `max` messages a transaction (the update in the
/// first), and counts what went in.
async fn send_batched(
    dst: &Chain,
    update: Option<Any>,
    msgs: Vec<Any>,
    max: usize,
) -> Result<(usize, u64)> {
    let mut txs = 0;
    let mut gas = 0;
    let mut update = update;
    let mut rest = msgs.into_iter().peekable();
    while rest.peek().is_some() || update.is_some() {
        let mut batch: Vec<Any> = update.take().into_iter().collect();
        while batch.len() < max.max(2) {
            match rest.next() {
                Some(m) => batch.push(m),
                None => break,
            }
        }
        let r = dst.send(batch).await?;
        txs += 1;
        gas += r.gas_used.max(0) as u64;
    }
    Ok((txs, gas))
}

/// The destination's latest block: its height and time (nanoseconds).
async fn latest_header(chain: &Chain) -> Result<(u64, u64)> {
    let h = chain.latest_height().await?;
    let sh = chain.signed_header(h).await?;
    Ok((h, sh.header.time.unix_timestamp_nanos() as u64))
}

/// Delivers `packets` (sent on `src`) to `dst`; those `dst` can no longer receive are timed
/// out on `src` instead. Packets already received are left out (another relayer was faster).
pub async fn relay_packets(
    src: &Side<'_>,
    dst: &Side<'_>,
    packets: &[Packet],
    max: usize,
) -> Result<Relayed> {
    let mut out = Relayed::default();
    if packets.is_empty() {
        return Ok(out);
    }
    let unreceived = unreceived_on(dst, packets.iter().map(|p| p.sequence).collect()).await?;
    let (dst_h, dst_time) = latest_header(dst.chain).await?;
    let (mut live, mut expired) = (Vec::new(), Vec::new());
    for p in packets.iter().filter(|p| unreceived.contains(&p.sequence)) {
        if p.expired_at(dst.chain.revision(), dst_h + 1, dst_time) {
            expired.push(p.clone());
        } else {
            live.push(p.clone());
        }
    }
    if !live.is_empty() {
        let at = src.chain.latest_height().await?;
        src.chain.wait_for(at + 1).await?;
        let update = client::update_msg(dst.chain, src.chain, &dst.client, at + 1).await?;
        let mut msgs = Vec::with_capacity(live.len());
        for p in &live {
            let path = format!(
                "commitments/ports/{}/channels/{}/sequences/{}",
                p.src_port, p.src_channel, p.sequence
            );
            let (commitment, proof) = src.chain.query_proven(&path, at).await?;
            if commitment.is_empty() {
                continue; // acknowledged or timed out meanwhile
            }
            msgs.push(tx_any(
                "/ibc.core.channel.v1.MsgRecvPacket",
                &MsgRecvPacket {
                    packet: Some(p.to_raw()),
                    proof_commitment: proof,
                    proof_height: Some(src.chain.height(at + 1)),
                    signer: dst.chain.signer(),
                },
            ));
        }
        out.received = msgs.len();
        let (txs, gas) = send_batched(dst.chain, update, msgs, max).await?;
        out.txs += txs;
        out.gas_used += gas;
    }
    if !expired.is_empty() {
        let t = timeout_packets(src, dst, &expired, max).await?;
        out.add(&t);
    }
    Ok(out)
}

/// Times out `packets` on `src`: proofs that `dst` never received them, at a `dst` header past
/// their timeout.
pub async fn timeout_packets(
    src: &Side<'_>,
    dst: &Side<'_>,
    packets: &[Packet],
    max: usize,
) -> Result<Relayed> {
    let at = dst.chain.latest_height().await?;
    dst.chain.wait_for(at + 1).await?;
    let update = client::update_msg(src.chain, dst.chain, &src.client, at + 1).await?;
    let next: QueryNextSequenceReceiveResponse = dst
        .chain
        .grpc(
            "/ibc.core.channel.v1.Query/NextSequenceReceive",
            &QueryNextSequenceReceiveRequest {
                port_id: dst.port.clone(),
                channel_id: dst.channel.clone(),
            },
            Some(at),
        )
        .await?;
    let mut msgs = Vec::new();
    for p in packets {
        let path = format!(
            "receipts/ports/{}/channels/{}/sequences/{}",
            p.dst_port, p.dst_channel, p.sequence
        );
        let (receipt, proof) = dst.chain.query_proven(&path, at).await?;
        if !receipt.is_empty() {
            continue; // it was received after all: its ack will come
        }
        msgs.push(tx_any(
            "/ibc.core.channel.v1.MsgTimeout",
            &MsgTimeout {
                packet: Some(p.to_raw()),
                proof_unreceived: proof,
                proof_height: Some(dst.chain.height(at + 1)),
                next_sequence_recv: next.next_sequence_receive,
                signer: src.chain.signer(),
            },
        ));
    }
    let n = msgs.len();
    let (txs, gas) = send_batched(src.chain, update, msgs, max).await?;
    Ok(Relayed {
        timed_out: n,
        txs,
        gas_used: gas,
        ..Default::default()
    })
}

/// Returns `dst`'s acknowledgements of packets `src` sent, proven at a fresh `dst` header.
pub async fn relay_acks(
    src: &Side<'_>,
    dst: &Side<'_>,
    acks: &[(Packet, Vec<u8>)],
    max: usize,
) -> Result<Relayed> {
    if acks.is_empty() {
        return Ok(Relayed::default());
    }
    let pending = unacked_on(src, acks.iter().map(|(p, _)| p.sequence).collect()).await?;
    let acks: Vec<_> = acks
        .iter()
        .filter(|(p, _)| pending.contains(&p.sequence))
        .collect();
    if acks.is_empty() {
        return Ok(Relayed::default());
    }
    let at = dst.chain.latest_height().await?;
    dst.chain.wait_for(at + 1).await?;
    let update = client::update_msg(src.chain, dst.chain, &src.client, at + 1).await?;
    let mut msgs = Vec::new();
    for (p, ack) in acks {
        let path = format!(
            "acks/ports/{}/channels/{}/sequences/{}",
            p.dst_port, p.dst_channel, p.sequence
        );
        let (_, proof) = dst.chain.query_proven(&path, at).await?;
        msgs.push(tx_any(
            "/ibc.core.channel.v1.MsgAcknowledgement",
            &MsgAcknowledgement {
                packet: Some(p.to_raw()),
                acknowledgement: ack.clone(),
                proof_acked: proof,
                proof_height: Some(dst.chain.height(at + 1)),
                signer: src.chain.signer(),
            },
        ));
    }
    let n = msgs.len();
    let (txs, gas) = send_batched(src.chain, update, msgs, max).await?;
    Ok(Relayed {
        acknowledged: n,
        txs,
        gas_used: gas,
        ..Default::default()
    })
}

/// Which of `seqs` `dst` has not received.
pub async fn unreceived_on(dst: &Side<'_>, seqs: Vec<u64>) -> Result<Vec<u64>> {
    let r: QueryUnreceivedPacketsResponse = dst
        .chain
        .grpc(
            "/ibc.core.channel.v1.Query/UnreceivedPackets",
            &QueryUnreceivedPacketsRequest {
                port_id: dst.port.clone(),
                channel_id: dst.channel.clone(),
                packet_commitment_sequences: seqs,
            },
            None,
        )
        .await?;
    Ok(r.sequences)
}

/// Which of `seqs` (sent on `src`) `src` still waits an acknowledgement for.
pub async fn unacked_on(src: &Side<'_>, seqs: Vec<u64>) -> Result<Vec<u64>> {
    let r: QueryUnreceivedAcksResponse = src
        .chain
        .grpc(
            "/ibc.core.channel.v1.Query/UnreceivedAcks",
            &QueryUnreceivedAcksRequest {
                port_id: src.port.clone(),
                channel_id: src.channel.clone(),
                packet_ack_sequences: seqs,
            },
            None,
        )
        .await?;
    Ok(r.sequences)
}

/// Every sequence `src` holds a commitment for on its channel (sent, not yet acknowledged or
/// timed out), page by page.
pub async fn commitments(src: &Side<'_>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let mut key = Vec::new();
    loop {
        let r: QueryPacketCommitmentsResponse = src
            .chain
            .grpc(
                "/ibc.core.channel.v1.Query/PacketCommitments",
                &QueryPacketCommitmentsRequest {
                    port_id: src.port.clone(),
                    channel_id: src.channel.clone(),
                    pagination: Some(ibc_proto::cosmos::base::query::v1beta1::PageRequest {
                        key: key.clone(),
                        limit: 1000,
                        ..Default::default()
                    }),
                },
                None,
            )
            .await?;
        out.extend(r.commitments.iter().map(|c| c.sequence));
        match r.pagination.map(|p| p.next_key) {
            Some(k) if !k.is_empty() => key = k,
            _ => break,
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Events of `kind` on `chain` naming `seqs` on `channel` (`attr` is the channel's attribute):
/// CometBFT's transaction index, for packets whose block the relayer did not watch.
pub async fn search_events(
    chain: &Chain,
    kind: &str,
    attr: &str,
    channel: &str,
    seqs: &[u64],
) -> Result<BTreeMap<u64, BlockEvent>> {
    let mut found = BTreeMap::new();
    for seq in seqs {
        let query = format!("{kind}.packet_sequence='{seq}' AND {kind}.{attr}='{channel}'");
        let r = chain
            .rpc
            .call(
                "tx_search",
                json!({"query": query, "per_page": "10", "page": "1"}),
            )
            .await?;
        for tx in r["txs"].as_array().into_iter().flatten() {
            let height = tx["height"]
                .as_str()
                .and_then(|h| h.parse().ok())
                .unwrap_or(0);
            for ev in events_of(&tx["tx_result"]["events"], height) {
                if ev.kind != kind {
                    continue;
                }
                if ev.get("packet_sequence").ok() == Some(seq.to_string().as_str())
                    && ev.get(attr).ok() == Some(channel)
                {
                    found.insert(*seq, ev);
                }
            }
        }
    }
    Ok(found)
}

/// Everything pending on the channel from `src` to `dst`, found from state (not events): the
/// packets to deliver or time out, and the acknowledgements to return.
pub async fn clear(src: &Side<'_>, dst: &Side<'_>, max: usize) -> Result<Relayed> {
    let seqs = commitments(src).await?;
    if seqs.is_empty() {
        return Ok(Relayed::default());
    }
    let unreceived = unreceived_on(dst, seqs.clone()).await?;
    let received: Vec<u64> = seqs
        .iter()
        .copied()
        .filter(|s| !unreceived.contains(s))
        .collect();
    let mut out = Relayed::default();
    for chunk in unreceived.chunks(max.max(1)) {
        let sent = search_events(
            src.chain,
            "send_packet",
            "packet_src_channel",
            &src.channel,
            chunk,
        )
        .await?;
        let packets: Vec<Packet> = sent
            .values()
            .map(Packet::from_event)
            .collect::<Result<_>>()?;
        out.add(&relay_packets(src, dst, &packets, max).await?);
    }
    for chunk in received.chunks(max.max(1)) {
        let written = search_events(
            dst.chain,
            "write_acknowledgement",
            "packet_dst_channel",
            &dst.channel,
            chunk,
        )
        .await?;
        let acks = written
            .values()
            .map(|e| {
                Ok((
                    Packet::from_event(e)?,
                    hex::decode(e.get("packet_ack_hex")?)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        out.add(&relay_acks(src, dst, &acks, max).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(th: (u64, u64), ts: u64) -> Packet {
        Packet {
            sequence: 1,
            src_port: "transfer".into(),
            src_channel: "channel-0".into(),
            dst_port: "transfer".into(),
            dst_channel: "channel-1".into(),
            data: vec![],
            timeout_height: Height {
                revision_number: th.0,
                revision_height: th.1,
            },
            timeout_timestamp: ts,
        }
    }

    #[test]
    fn expiry_by_height_or_time_and_never_when_unset() {
        assert!(packet((1, 10), 0).expired_at(1, 10, 0));
        assert!(!packet((1, 10), 0).expired_at(1, 9, u64::MAX));
        assert!(
            packet((1, 10), 0).expired_at(2, 1, 0),
            "a later revision is past it"
        );
        assert!(packet((0, 0), 500).expired_at(1, 1, 500));
        assert!(!packet((0, 0), 500).expired_at(1, 1, 499));
        assert!(!packet((0, 0), 0).expired_at(9, u64::MAX, u64::MAX));
    }

    #[test]
    fn packet_from_send_event() {
        let e = BlockEvent {
            kind: "send_packet".into(),
            attrs: [
                ("packet_sequence", "7"),
                ("packet_src_port", "transfer"),
                ("packet_src_channel", "channel-0"),
                ("packet_dst_port", "transfer"),
                ("packet_dst_channel", "channel-3"),
                ("packet_data_hex", "7b7d"),
                ("packet_timeout_height", "1-100"),
                ("packet_timeout_timestamp", "0"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            height: 5,
        };
        let p = Packet::from_event(&e).unwrap();
        assert_eq!(
            (
                p.sequence,
                p.data.as_slice(),
                p.timeout_height.revision_height
            ),
            (7, b"{}".as_slice(), 100)
        );
        let mut bad = e.clone();
        bad.attrs.remove("packet_data_hex");
        assert!(Packet::from_event(&bad)
            .unwrap_err()
            .to_string()
            .contains("packet_data_hex"));
    }
}
