//! `GET /v1/events`: a websocket of batch state changes, or of one transaction's progress
//! (`?tx=HASH`) from soft-confirmed to verified, so wallets need not poll.
//!
//! The parts of the operator announce only a batch index ([`crate::status::BatchEvents`]); each
//! subscriber reads the state itself, so a slow subscriber costs the operator nothing and, when
//! it lags, loses events rather than state. Subscribers are pinged; one that stops answering is
//! dropped, so the [`MAX_SUBSCRIBERS`] slots are never held by dead connections.

use crate::answers::{batch_response, error, parse_tx_hash, rejection, tx_response, unknown_tx};
use crate::status::Status;
use crate::wire::{Event, TxState};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Open subscriptions beyond this are refused (each holds a task and a channel receiver).
pub const MAX_SUBSCRIBERS: usize = 4096;

#[derive(Deserialize)]
pub struct EventsQuery {
    pub tx: Option<String>,
}

pub async fn subscribe(
    State(EventsState {
        status: s,
        keepalive,
    }): State<EventsState>,
    Query(q): Query<EventsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if s.events.0.receiver_count() >= MAX_SUBSCRIBERS {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("{MAX_SUBSCRIBERS} subscriptions are open; try again shortly"),
        );
    }
    let tx = match q.tx.as_deref().map(parse_tx_hash).transpose() {
        Ok(t) => t,
        Err(r) => return rejection(r),
    };
    if let Some(hash) = &tx {
        if tx_response(&s, hash).is_none() {
            return unknown_tx(&hex::encode(hash));
        }
    }
    // Subscribed before the upgrade, so no change between the answer and the stream is missed.
    let rx = s.events.0.subscribe();
    ws.on_upgrade(move |socket| stream(s, keepalive, tx, rx, socket))
        .into_response()
}

/// The next event for the subscriber, or `None` when the stream is done. A transaction
/// subscriber names its hash and batch (a confirmed transaction never changes batch), so other
/// batches' announcements cost it nothing.
fn next_event(
    s: &Status,
    tx: Option<(&[u8; 32], u64)>,
    got: Result<u64, RecvError>,
) -> Option<Option<Event>> {
    match (tx, got) {
        (_, Err(RecvError::Closed)) => None,
        (None, Ok(index)) => Some(batch_response(s, index).map(Event::Batch)),
        (None, Err(RecvError::Lagged(missed))) => Some(Some(Event::Lagged { missed })),
        (Some((_, batch)), Ok(index)) if index != batch => Some(None),
        // Its batch moved, or the subscriber fell behind: the state now says what happened.
        (Some((hash, _)), _) => Some(Some(Event::Tx(tx_response(s, hash)?))),
    }
}

/// A ping every `ping_every`; a subscriber silent (no pong, nothing) for `idle` is dropped, and
/// a send that does not finish in `send_timeout` drops it too: a slot is never held by a dead
/// peer.
#[derive(Clone, Copy, Debug)]
pub struct Keepalive {
    pub ping_every: Duration,
    pub idle: Duration,
    pub send_timeout: Duration,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            ping_every: Duration::from_secs(20),
            idle: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// What the events websocket needs of the API's state.
#[derive(Clone)]
pub struct EventsState {
    pub status: Arc<Status>,
    pub keepalive: Keepalive,
}

async fn send_msg(socket: &mut WebSocket, k: &Keepalive, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(k.send_timeout, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

async fn send(socket: &mut WebSocket, k: &Keepalive, ev: &Event) -> bool {
    let text = serde_json::to_string(ev).expect("events serialize");
    send_msg(socket, k, Message::Text(text.into())).await
}

fn is_final(ev: &Event) -> bool {
    matches!(ev, Event::Tx(t) if t.state == TxState::Verified)
}

async fn stream(
    s: Arc<Status>,
    k: Keepalive,
    tx: Option<[u8; 32]>,
    mut rx: tokio::sync::broadcast::Receiver<u64>,
    mut socket: WebSocket,
) {
    let mut watched = None;
    if let Some(t) = tx.as_ref().and_then(|h| tx_response(&s, h)) {
        watched = tx.map(|h| (h, t.batch));
        let ev = Event::Tx(t);
        if !send(&mut socket, &k, &ev).await || is_final(&ev) {
            let _ = send_msg(&mut socket, &k, Message::Close(None)).await;
            return;
        }
    }
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + k.ping_every, k.ping_every);
    let mut heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            got = rx.recv() => {
                let Some(ev) = next_event(&s, watched.as_ref().map(|(h, b)| (h, *b)), got) else { break };
                let Some(ev) = ev else { continue };
                if !send(&mut socket, &k, &ev).await || is_final(&ev) {
                    break;
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > k.idle
                    || !send_msg(&mut socket, &k, Message::Ping(axum::body::Bytes::new())).await
                {
                    return;
                }
            }
            // Reading answers pings and notices a client that left.
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => heard = tokio::time::Instant::now(),
            },
        }
    }
    let _ = send_msg(&mut socket, &k, Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TxState;

    fn status_with_tx() -> (Status, [u8; 32]) {
        let s = Status::default();
        let hash = [7u8; 32];
        s.txs.write().unwrap().insert(hash, (2, 5));
        s.open_batch.store(3, std::sync::atomic::Ordering::Release);
        (s, hash)
    }

    #[test]
    fn a_tx_subscriber_hears_only_its_batch_and_a_lagging_one_reads_the_state_again() {
        let (s, hash) = status_with_tx();
        s.set_batch(2, |r| r.state = Some(TxState::Proven));
        assert_eq!(next_event(&s, Some((&hash, 2)), Ok(1)), Some(None));
        let Some(Some(Event::Tx(t))) = next_event(&s, Some((&hash, 2)), Ok(2)) else {
            panic!("its own batch's change is an event")
        };
        assert_eq!((t.batch, t.position, t.state), (2, 5, TxState::Proven));
        let Some(Some(Event::Tx(t))) = next_event(&s, Some((&hash, 2)), Err(RecvError::Lagged(9)))
        else {
            panic!("a lag re-reads the state")
        };
        assert_eq!(t.state, TxState::Proven);
        assert_eq!(
            next_event(&s, Some((&hash, 2)), Err(RecvError::Closed)),
            None
        );
    }

    #[test]
    fn every_batch_change_is_announced_once() {
        let (s, _) = status_with_tx();
        let mut rx = s.events.0.subscribe();
        s.set_batch(1, |r| r.state = Some(TxState::InBatch));
        s.set_batch(1, |r| r.ops = 4); // not a change of state
        s.set_batch(1, |r| r.state = Some(TxState::Proven));
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(rx.try_recv().is_err());
        let Some(Some(Event::Batch(b))) = next_event(&s, None, Ok(1)) else {
            panic!("a batch event")
        };
        assert_eq!((b.index, b.state), (1, TxState::Proven));
        assert_eq!(
            next_event(&s, None, Err(RecvError::Lagged(3))),
            Some(Some(Event::Lagged { missed: 3 }))
        );
    }
}
