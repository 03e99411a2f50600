//! Authentication and fees: everything that decides whether a transaction may be included.
//!
//! A transaction that fails here is invalid: CheckTx rejects it, PrepareProposal drops it and
//! ProcessProposal rejects a block containing it. One that passes pays its fee and bumps its
//! signers' sequences even if its messages then fail.

use std::collections::HashSet;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use tendermint::abci::Event;

use crate::app::decode::DecodedTx;
use crate::modules::auth::{self, Account};
use crate::modules::bank;
use crate::state::accounts::fee_collector;
use crate::state::gas;
use crate::state::params::Params;
use crate::state::Metered;
use crate::tx::{events, TxError};
use proof_sdk::{Address, Coin};

/// Where fees go until the staking module distributes them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Mempool admission.
    Check,
    /// Block execution (PrepareProposal, ProcessProposal, FinalizeBlock).
    Deliver,
    /// Gas estimation: no signature or fee checks.
    Simulate,
}

pub struct AnteCtx<'a> {
    pub chain_id: &'a str,
    pub height: u64,
    pub params: &'a Params,
    pub mode: Mode,
    pub sig_cache: &'a SigCache,
}

/// Remembers signature checks that passed, so a transaction verified at CheckTx is not verified
/// again when the block executes. The key covers the tx bytes and every signer's account number
/// and key, which is everything the verification depends on; only successes are stored.
pub struct SigCache {
    seen: Mutex<HashSet<[u8; 32]>>,
    capacity: usize,
}

impl SigCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: Mutex::new(HashSet::new()),
            capacity,
        }
    }

    fn key(tx: &DecodedTx, accounts: &[(u64, Address)], chain_id: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(tx.hash);
        h.update(chain_id.as_bytes());
        for (num, addr) in accounts {
            h.update(num.to_be_bytes());
            h.update(addr.as_bytes());
        }
        h.finalize().into()
    }

    fn contains(&self, k: &[u8; 32]) -> bool {
        self.seen.lock().contains(k)
    }

    fn insert(&self, k: [u8; 32]) {
        let mut seen = self.seen.lock();
        if seen.len() >= self.capacity {
            seen.clear();
        }
        seen.insert(k);
    }
}

/// Runs every stateful check and applies fee and sequence effects to `kv`.
pub fn run(
    kv: &mut Metered<'_, '_>,
    tx: &DecodedTx,
    ctx: &AnteCtx<'_>,
) -> Result<Vec<Event>, TxError> {
    if tx.timeout_height != 0 && ctx.height > tx.timeout_height {
        return Err(TxError::TimeoutHeight(format!(
            "block height {} > timeout height {}",
            ctx.height, tx.timeout_height
        )));
    }
    kv.gas.charge(gas::TX_SIZE_PER_BYTE * tx.len as u64)?;
    let mut fee_amount = tx.fee_amount();
    if ctx.mode != Mode::Simulate {
        let min = crate::state::fees::min_tx_fee(ctx.params, tx.gas_limit);
        if fee_amount < min {
            return Err(TxError::InsufficientFee(format!(
                "got {fee_amount}{}, required at least {min}{} for gas {} at {}/{} {} per gas \
                 and a fixed fee of {}{} ({} micro-USD at {} micro-USD per XYZ)",
                ctx.params.fee_denom,
                ctx.params.fee_denom,
                tx.gas_limit,
                ctx.params.min_gas_price_num,
                ctx.params.min_gas_price_den,
                ctx.params.fee_denom,
                crate::state::fees::fixed_fee(ctx.params),
                ctx.params.fee_denom,
                ctx.params.fixed_fee_micro_usd,
                ctx.params.xyz_price()
            )));
        }
    }

    let mut accounts: Vec<Account> = Vec::with_capacity(tx.signers.len());
    for slot in &tx.signers {
        let acc = auth::get_account(kv, &slot.address)?.ok_or_else(|| {
            TxError::UnknownAddress(format!(
                "account {} does not exist; it must receive funds first",
                slot.address
            ))
        })?;
        let pubkey = match (&slot.pubkey, &acc.pubkey) {
            (Some(given), Some(stored)) if given != stored => {
                return Err(TxError::InvalidPubKey(format!(
                    "public key does not match the one stored for {}",
                    slot.address
                )));
            }
            (Some(given), _) => given.clone(),
            (None, Some(stored)) => stored.clone(),
            (None, None) => {
                return Err(TxError::InvalidPubKey(format!(
                    "no public key for {}: include it in the first transaction",
                    slot.address
                )));
            }
        };
        // A simulation may carry a later sequence: a client (Hermes, say) estimating a
        // transaction queued behind its own pending ones. The SDK simulates on the check state,
        // which counts those; we simulate on the committed state, so accept what follows it.
        let sequence_ok = match ctx.mode {
            Mode::Simulate => slot.sequence >= acc.sequence,
            _ => slot.sequence == acc.sequence,
        };
        if !sequence_ok {
            return Err(TxError::WrongSequence(format!(
                "account sequence mismatch, expected {}, got {}",
                acc.sequence, slot.sequence
            )));
        }
        kv.gas.charge(gas::sig_verify_cost(pubkey.key_type()))?;
        if ctx.mode == Mode::Simulate && slot.signature.is_empty() {
            // Gas estimation runs without signatures; price the bytes the real one will add.
            kv.gas
                .charge(gas::TX_SIZE_PER_BYTE * gas::signature_len(pubkey.key_type()))?;
        }
        accounts.push(Account {
            pubkey: Some(pubkey),
            ..acc
        });
    }

    if ctx.mode != Mode::Simulate {
        let ids: Vec<(u64, Address)> = accounts
            .iter()
            .map(|a| (a.number, a.address.clone()))
            .collect();
        let cache_key = SigCache::key(tx, &ids, ctx.chain_id);
        if !ctx.sig_cache.contains(&cache_key) {
            for (slot, acc) in tx.signers.iter().zip(&accounts) {
                let sign_bytes = proof_sdk::tx::sign_doc_bytes(
                    &tx.body_bytes,
                    &tx.auth_info_bytes,
                    ctx.chain_id,
                    acc.number,
                );
                let pk = acc.pubkey.as_ref().expect("resolved above");
                pk.verify(&sign_bytes, &slot.signature).map_err(|e| {
                    TxError::Unauthorized(format!(
                        "signature verification failed ({e}); please verify account number ({}), sequence ({}) and chain-id ({})",
                        acc.number, acc.sequence, ctx.chain_id
                    ))
                })?;
            }
            ctx.sig_cache.insert(cache_key);
        }
    }

    if ctx.mode == Mode::Simulate && fee_amount == 0 {
        // Estimation callers leave the fee out; the fee transfer's gas does not depend on the
        // amount, so move one unit on the throwaway simulation state to price it.
        fee_amount = 1;
    }
    let mut evs = Vec::new();
    let payer = tx.fee_payer().clone();
    if fee_amount > 0 {
        let fee = vec![Coin::new(fee_amount, ctx.params.fee_denom.clone())];
        bank::send(kv, &payer, &fee_collector(), &fee).map_err(|e| match e {
            bank::BankError::InsufficientFunds { .. } => {
                TxError::InsufficientFunds(format!("cannot pay fee: {e}"))
            }
            other => other.into(),
        })?;
        evs.extend(events::transfer(&payer, &fee_collector(), &fee));
    }
    evs.push(events::event(
        "tx",
        &[
            ("fee", events::coins_str(&tx.fee)),
            ("fee_payer", payer.to_string()),
        ],
    ));
    for (slot, mut acc) in tx.signers.iter().zip(accounts) {
        evs.push(events::event(
            "tx",
            &[("acc_seq", format!("{}/{}", acc.address, acc.sequence))],
        ));
        evs.push(events::event(
            "tx",
            &[("signature", crate::tx::b64(&slot.signature))],
        ));
        acc.sequence += 1;
        auth::set_account(kv, &acc)?;
    }
    Ok(evs)
}
