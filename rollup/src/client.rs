//! A Rust client of the operator's API (`proof rollup ...` uses it).
//!
//! Refusals come back as [`ClientError::Refused`] with the API's code. A receipt is accepted only
//! when it names the hash the client computed from what it signed and verifies under the
//! operator's receipt key, so a wallet never reports a soft confirmation the operator did not
//! sign.

use crate::receipt::Receipt;
use crate::wire::{
    AccountResponse, BatchStatusResponse, ErrorBody, Event, ExitProofResponse, StatusResponse,
    TxStatusResponse,
};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use thiserror::Error;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Error)]
pub enum ClientError {
    #[error("the operator refused ({code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("operator at {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("operator at {url} answered {status} with what is not the API's JSON: {body}")]
    Unexpected {
        url: String,
        status: u16,
        body: String,
    },
    #[error("the operator's receipt does not hold: {0}")]
    BadReceipt(String),
    #[error("events websocket at {url}: {reason}")]
    Events { url: String, reason: String },
}

impl ClientError {
    /// The API's error code, for a refusal.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct OperatorClient {
    base: String,
    http: reqwest::Client,
}

impl OperatorClient {
    /// A client of the operator at `base` (e.g. `http://127.0.0.1:7780`).
    pub fn new(base: &str) -> OperatorClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a reqwest client with a timeout builds");
        OperatorClient {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn answer<T: DeserializeOwned>(
        url: String,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, ClientError> {
        let resp = sent.map_err(|source| ClientError::Http {
            url: url.clone(),
            source,
        })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|source| ClientError::Http {
            url: url.clone(),
            source,
        })?;
        if (200..300).contains(&status) {
            if let Ok(v) = serde_json::from_slice(&body) {
                return Ok(v);
            }
        } else if let Some(refused) = refusal(status, &body) {
            return Err(refused);
        }
        Err(ClientError::Unexpected {
            url,
            status,
            body: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let sent = self.http.get(&url).send().await;
        Self::answer(url, sent).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let sent = self.http.post(&url).json(body).send().await;
        Self::answer(url, sent).await
    }

    pub async fn status(&self) -> Result<StatusResponse, ClientError> {
        self.get("/v1/status").await
    }

    pub async fn account(&self, index: u32) -> Result<AccountResponse, ClientError> {
        self.get(&format!("/v1/accounts/{index}")).await
    }

    pub async fn exit_proof(&self, index: u32) -> Result<ExitProofResponse, ClientError> {
        self.get(&format!("/v1/accounts/{index}/exit-proof")).await
    }

    pub async fn tx(&self, hash: &str) -> Result<TxStatusResponse, ClientError> {
        self.get(&format!("/v1/txs/{hash}")).await
    }

    pub async fn batch(&self, index: u64) -> Result<BatchStatusResponse, ClientError> {
        self.get(&format!("/v1/batches/{index}")).await
    }

    /// Submits a signed transfer (`/v1/transfers`) or withdrawal (`/v1/withdrawals`); the
    /// receipt must name `hash` and verify under `receipt_key`.
    pub async fn submit<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        hash: &[u8; 32],
        receipt_key: &str,
    ) -> Result<Receipt, ClientError> {
        let r: Receipt = self.post(path, body).await?;
        check_receipt(r, hash, receipt_key)
    }

    /// Follows transaction `hash` over the events websocket.
    pub async fn watch_tx(&self, hash: &str) -> Result<TxWatch, ClientError> {
        let url = format!(
            "{}/v1/events?tx={hash}",
            self.base
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1)
        );
        let events = |reason: String| ClientError::Events {
            url: url.clone(),
            reason,
        };
        let (ws, _) = match tokio_tungstenite::connect_async(&url).await {
            Ok(c) => c,
            // A refusal before the upgrade (unknown transaction, too many subscribers) is the
            // API's error body: ask again over HTTP for it.
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let body = resp.body().as_deref().unwrap_or_default();
                return Err(refusal(resp.status().as_u16(), body).unwrap_or_else(|| {
                    events(format!("the upgrade was refused: {}", resp.status()))
                }));
            }
            Err(e) => return Err(events(e.to_string())),
        };
        Ok(TxWatch { ws, url })
    }
}

/// The API's error body as a refusal, if that is what `body` is.
fn refusal(status: u16, body: &[u8]) -> Option<ClientError> {
    let e = serde_json::from_slice::<ErrorBody>(body).ok()?;
    Some(ClientError::Refused {
        status,
        code: e.error.code,
        message: e.error.message,
    })
}

fn check_receipt(r: Receipt, hash: &[u8; 32], receipt_key: &str) -> Result<Receipt, ClientError> {
    if r.hash != hex::encode(hash) {
        return Err(ClientError::BadReceipt(format!(
            "it names transaction {}, not {}",
            r.hash,
            hex::encode(hash)
        )));
    }
    if r.operator_key != receipt_key || !r.verify(receipt_key) {
        return Err(ClientError::BadReceipt(format!(
            "it is not signed by the operator's receipt key {receipt_key}"
        )));
    }
    Ok(r)
}

/// One transaction's progress, as the operator announces it.
pub struct TxWatch {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    url: String,
}

impl TxWatch {
    /// The next status, or `None` once the operator closed the stream (after `verified`). The
    /// operator pings every 20 s, so a minute of silence is a dead connection: an error.
    pub async fn next(&mut self) -> Result<Option<TxStatusResponse>, ClientError> {
        loop {
            let read = tokio::time::timeout(Duration::from_secs(60), self.ws.next()).await;
            let Ok(read) = read else {
                return Err(ClientError::Events {
                    url: self.url.clone(),
                    reason: "nothing heard for 60 s".into(),
                });
            };
            let msg = match read {
                None => return Ok(None),
                Some(m) => m.map_err(|e| ClientError::Events {
                    url: self.url.clone(),
                    reason: e.to_string(),
                })?,
            };
            match msg {
                Message::Text(t) => match serde_json::from_str::<Event>(&t) {
                    Ok(Event::Tx(s)) => return Ok(Some(s)),
                    Ok(_) => continue,
                    Err(e) => {
                        return Err(ClientError::Events {
                            url: self.url.clone(),
                            reason: format!("not an event: {e}"),
                        })
                    }
                },
                Message::Close(_) => return Ok(None),
                _ => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::ReceiptSigner;
    use ed25519_dalek::SigningKey;

    #[test]
    fn a_receipt_for_another_hash_or_from_another_key_is_refused() {
        let signer = ReceiptSigner::new(SigningKey::from_bytes(&[3; 32]));
        let key = signer.public_hex().to_string();
        let r = signer.sign(1, &[5; 32], 0, 2);
        assert!(check_receipt(r.clone(), &[5; 32], &key).is_ok());
        assert!(matches!(
            check_receipt(r.clone(), &[6; 32], &key),
            Err(ClientError::BadReceipt(_))
        ));
        let other = ReceiptSigner::new(SigningKey::from_bytes(&[4; 32]));
        assert!(matches!(
            check_receipt(r.clone(), &[5; 32], other.public_hex()),
            Err(ClientError::BadReceipt(_))
        ));
        let mut forged = r;
        forged.operator_key = other.public_hex().to_string();
        assert!(matches!(
            check_receipt(forged, &[5; 32], other.public_hex()),
            Err(ClientError::BadReceipt(_))
        ));
    }
}
