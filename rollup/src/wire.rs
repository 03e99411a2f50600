//! The API's JSON bodies (what the CLI and other Rust clients send and read) and the transaction
//! hash, which a client can compute itself from what it signed.

use crate::error::Rejection;
use proof_sdk::Address;
use proof_zk::{f_from_bytes, f_to_bytes, Op, RollupId, SecretKey, Signature, F};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A u64 amount as a decimal string (JSON numbers lose precision above 2^53 in many clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Amount(pub u64);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map(Amount)
            .map_err(|_| serde::de::Error::custom("expected a decimal u64 string"))
    }
}

/// `POST /v1/transfers`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    pub from: u32,
    pub to: u32,
    pub amount: Amount,
    pub fee: Amount,
    pub nonce: u64,
    /// 96 bytes hex: `proof_zk::Signature::to_bytes` over the transfer's message.
    pub signature: String,
}

/// `POST /v1/withdrawals`: `amount` leaves the rollup to `recipient` on the chain when the batch
/// holding it is verified.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub from: u32,
    pub amount: Amount,
    pub fee: Amount,
    pub nonce: u64,
    /// A chain address (`proof1...`).
    pub recipient: String,
    pub signature: String,
}

fn signature(hex_sig: &str) -> Result<Signature, Rejection> {
    let b = hex::decode(hex_sig)
        .map_err(|_| Rejection::Malformed("signature: expected 192 hex characters".into()))?;
    Signature::from_bytes(&b).ok_or_else(|| {
        Rejection::Malformed("signature: not 96 bytes of canonical field elements".into())
    })
}

/// An account key as the API writes it: `X:Y`, its coordinates as 64-hex-digit little-endian
/// field elements (what `proof tx rollup deposit --pubkey` takes).
pub fn pubkey_hex(pk: &proof_zk::PublicKey) -> String {
    format!(
        "{}:{}",
        hex::encode(f_to_bytes(&pk.x)),
        hex::encode(f_to_bytes(&pk.y))
    )
}

/// The field element naming a chain address as a withdrawal's recipient.
pub fn recipient_field(addr: &Address) -> Result<F, Rejection> {
    rollup_msgs::data::recipient_field(addr.as_bytes())
        .and_then(|h| f_from_bytes(&h.0))
        .ok_or_else(|| {
            Rejection::Malformed(format!("recipient {addr}: not a 20- or 32-byte address"))
        })
}

impl TransferBody {
    pub fn to_op(&self) -> Result<Op, Rejection> {
        Ok(Op::Transfer {
            from: self.from,
            to: self.to,
            amount: self.amount.0,
            fee: self.fee.0,
            nonce: self.nonce,
            sig: signature(&self.signature)?,
        })
    }

    /// A signed transfer (what a wallet sends).
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        sk: &SecretKey,
        rollup: u32,
        from: u32,
        to: u32,
        amount: u64,
        fee: u64,
        nonce: u64,
    ) -> Result<TransferBody, Rejection> {
        let op = Op::transfer(sk, RollupId(rollup), from, to, amount, fee, nonce)
            .map_err(Rejection::NotRepresentable)?;
        let Op::Transfer { sig, .. } = op else {
            unreachable!("Op::transfer builds a transfer")
        };
        Ok(TransferBody {
            from,
            to,
            amount: Amount(amount),
            fee: Amount(fee),
            nonce,
            signature: hex::encode(sig.to_bytes()),
        })
    }
}

impl WithdrawBody {
    pub fn to_op(&self) -> Result<Op, Rejection> {
        let addr: Address = self
            .recipient
            .parse()
            .map_err(|e| Rejection::Malformed(format!("recipient {:?}: {e}", self.recipient)))?;
        Ok(Op::Withdraw {
            from: self.from,
            amount: self.amount.0,
            fee: self.fee.0,
            nonce: self.nonce,
            recipient: recipient_field(&addr)?,
            sig: signature(&self.signature)?,
        })
    }

    /// A signed withdrawal (what a wallet sends).
    pub fn sign(
        sk: &SecretKey,
        rollup: u32,
        from: u32,
        amount: u64,
        fee: u64,
        nonce: u64,
        recipient: &Address,
    ) -> Result<WithdrawBody, Rejection> {
        let field = recipient_field(recipient)?;
        let op = Op::withdraw(sk, RollupId(rollup), from, amount, fee, nonce, field)
            .map_err(Rejection::NotRepresentable)?;
        let Op::Withdraw { sig, .. } = op else {
            unreachable!("Op::withdraw builds a withdrawal")
        };
        Ok(WithdrawBody {
            from,
            amount: Amount(amount),
            fee: Amount(fee),
            nonce,
            recipient: recipient.to_string(),
            signature: hex::encode(sig.to_bytes()),
        })
    }
}

/// The hash naming a transfer or withdrawal: `SHA-256("proof-rollup/tx/v1" | word u128 LE |
/// nonce u64 LE | extra[0] | extra[1] | signature)`, over the public word of `proof_zk::ops`.
/// Deposits are named by their `xx` sequence number instead.
pub fn tx_hash(op: &Op) -> Result<[u8; 32], Rejection> {
    let p = op.public().map_err(Rejection::NotRepresentable)?;
    let (sig, nonce) = op
        .signature()
        .ok_or_else(|| Rejection::Malformed("a deposit has no transaction hash".into()))?;
    let mut h = Sha256::new();
    h.update(b"proof-rollup/tx/v1");
    h.update(p.word_u128().to_le_bytes());
    h.update(nonce.to_le_bytes());
    h.update(f_to_bytes(&p.extra[0]));
    h.update(f_to_bytes(&p.extra[1]));
    h.update(sig.to_bytes());
    Ok(h.finalize().into())
}

/// What a transfer's or withdrawal's submission answers: the receipt, a soft confirmation.
pub type SubmitResponse = crate::receipt::Receipt;

/// `GET /v1/accounts/{index}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AccountResponse {
    pub index: u32,
    /// After every soft-confirmed operation.
    pub balance: Amount,
    /// The nonce the account's next transfer or withdrawal must carry.
    pub nonce: u64,
    /// The account's key (hex x:y), `None` while nothing was deposited to it.
    pub pubkey: Option<String>,
    /// At the last root verified on the chain (what an exit would pay).
    pub verified_balance: Amount,
}

/// Where a transaction is, from the operator's point of view.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum TxState {
    /// In the open batch.
    SoftConfirmed,
    /// Its batch is closed and waiting for, or being, proven.
    InBatch,
    /// Its batch is proven and waiting to be posted.
    Proven,
    /// The verifier contract verified its batch.
    Verified,
}

/// `GET /v1/txs/{hash}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TxStatusResponse {
    pub hash: String,
    pub batch: u64,
    pub position: u32,
    pub state: TxState,
    /// The chain transaction that posted its batch, once verified.
    pub chain_tx: Option<String>,
    pub chain_height: Option<u64>,
}

/// `GET /v1/batches/{index}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BatchStatusResponse {
    pub index: u64,
    pub state: TxState,
    pub ops: u32,
    pub deposits: u32,
    pub old_root: Option<String>,
    pub new_root: Option<String>,
    /// Wall time of the proof (folding + compression), and which worker made it.
    pub prove_millis: Option<u64>,
    pub worker: Option<usize>,
    pub chain_tx: Option<String>,
    pub chain_height: Option<u64>,
}

/// `GET /v1/accounts/{index}/exit-proof`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ExitProofResponse {
    pub index: u32,
    /// The last verified root (hex) the proof is against, and the batch that made it.
    pub root: String,
    pub verified_batches: u64,
    /// `proof_zk::ExitProof::to_bytes`, base64: what `proof tx rollup exit` sends.
    pub proof: String,
    pub balance: Amount,
}

/// `GET /v1/status`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StatusResponse {
    pub rollup: u32,
    /// The ed25519 key receipts are signed with (hex).
    pub receipt_key: String,
    pub ops_per_step: u32,
    /// The batch taking operations now.
    pub open_batch: u64,
    pub open_batch_ops: u32,
    /// Batches the verifier contract verified.
    pub verified_batches: u64,
    pub proven_waiting: u64,
    pub next_deposit_seq: u64,
    pub min_fee: Amount,
    pub provers: usize,
    /// Why the operator takes no operations now, if it does not.
    pub halted: Option<String>,
    /// Why posting the next batch failed, while the operator retries it.
    #[serde(default)]
    pub post_error: Option<String>,
}

/// The API's error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// A message of the `GET /v1/events` websocket (JSON text frames, tagged by `event`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A batch changed state (the subscription without `tx`).
    Batch(BatchStatusResponse),
    /// The subscribed transaction's status: once at the start, then on each change of its batch;
    /// the server closes the socket after `verified`.
    Tx(TxStatusResponse),
    /// The subscriber fell behind and `missed` batch events were dropped (read the state again).
    Lagged { missed: u64 },
}
