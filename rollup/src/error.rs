//! Why the operator refuses a request. Every refusal is answered before anything is queued.

use proof_zk::OpError;
use thiserror::Error;

/// A refused transfer or withdrawal: nothing was queued or journaled for it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Rejection {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("account {0} has no key: nothing was ever deposited to it")]
    UnknownAccount(u32),
    #[error("account {0} (the recipient) has no key: deposit to it first")]
    UnknownRecipient(u32),
    #[error("the signature does not verify under account {0}'s key")]
    BadSignature(u32),
    #[error("nonce {got} is not account {account}'s next nonce ({expected})")]
    BadNonce {
        account: u32,
        expected: u64,
        got: u64,
    },
    #[error("account {account} holds {balance}, less than amount + fee = {needed}")]
    InsufficientBalance {
        account: u32,
        balance: u64,
        needed: u128,
    },
    #[error("the recipient's balance would overflow 64 bits")]
    BalanceOverflow,
    #[error("fee {fee} is below this operator's minimum fee {min}")]
    FeeTooLow { fee: u64, min: u64 },
    #[error("{0}")]
    NotRepresentable(OpError),
    #[error("the operator cannot take operations now: {0}")]
    Unavailable(String),
}

impl Rejection {
    /// The stable machine-readable code of the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "malformed",
            Rejection::UnknownAccount(_) => "unknown_account",
            Rejection::UnknownRecipient(_) => "unknown_recipient",
            Rejection::BadSignature(_) => "bad_signature",
            Rejection::BadNonce { .. } => "bad_nonce",
            Rejection::InsufficientBalance { .. } => "insufficient_balance",
            Rejection::BalanceOverflow => "balance_overflow",
            Rejection::FeeTooLow { .. } => "fee_too_low",
            Rejection::NotRepresentable(_) => "not_representable",
            Rejection::Unavailable(_) => "unavailable",
        }
    }

    /// 503 when the operator (not the request) is at fault; the request may be retried as is.
    pub fn http_status(&self) -> u16 {
        match self {
            Rejection::Unavailable(_) => 503,
            Rejection::UnknownAccount(_) => 404,
            _ => 400,
        }
    }
}
