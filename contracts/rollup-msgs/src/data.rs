//! What a contract reads from a batch's published bytes and from an exit proof.
//!
//! The formats are `proof-zk`'s (`zk-circuits/src/ops.rs` "DA bytes", `exit.rs`). The chain's
//! `proof_zk_verify_batch` decodes the same bytes strictly (canonical field elements, packed
//! fields in range) before it verifies, so a batch this parser reads differently from the
//! chain never verifies; the parser is still strict about lengths, so it fails closed.

use crate::codec::Hex32;
pub use crate::curve::is_canonical_field;

const AMOUNT_MANTISSA_BITS: u32 = 30;
const FEE_MANTISSA_BITS: u32 = 8;
const AMOUNT_BITS: u32 = AMOUNT_MANTISSA_BITS + 5;
/// Account indices are 24 bits (an arity-8 tree of depth 8).
pub const ACCOUNT_CAPACITY: u32 = 1 << 24;

/// A deposit a batch credits: account `to` gets `amount`, keyed by `pubkey` if it was empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositOp {
    pub to: u32,
    pub amount: u64,
    pub pubkey_x: Hex32,
    pub pubkey_y: Hex32,
}

/// A withdrawal a batch debits: `amount` leaves account `from` for `recipient` on the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawalOp {
    pub from: u32,
    pub amount: u64,
    pub fee: u64,
    /// The field element naming the chain address: its canonical bytes, little-endian.
    pub recipient: Hex32,
}

/// The parts of a batch the chain settles.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BatchSummary {
    pub deposits: Vec<DepositOp>,
    pub transfers: u32,
    pub withdrawals: Vec<WithdrawalOp>,
    /// Fees of the batch's transfers and withdrawals (paid to the operator inside the rollup).
    pub fees: u128,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataError {
    Truncated,
    TrailingBytes,
    AmountOutOfRange,
    IndexOutOfRange,
}

impl core::fmt::Display for DataError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            DataError::Truncated => "batch data truncated",
            DataError::TrailingBytes => "trailing bytes after the batch data",
            DataError::AmountOutOfRange => "a packed amount does not fit 64 bits",
            DataError::IndexOutOfRange => "an account index outside the tree",
        })
    }
}

/// Value of a packed decimal float (`mantissa · 10^exponent`), `None` past u64. (The same rule as
/// `proof-zk`'s `unpack_float`; restated here because contracts cannot link the circuit crate.)
fn unpack(p: u64, mantissa_bits: u32) -> Option<u64> {
    let m = p & ((1u64 << mantissa_bits) - 1);
    let e = (p >> mantissa_bits) & 31;
    if m == 0 {
        return Some(0);
    }
    10u64.checked_pow(e as u32)?.checked_mul(m)
}

/// Packs `v` exactly as a decimal float with `mantissa_bits` (`None` if it has more significant
/// bits once trailing decimal zeros are removed).
fn pack(v: u64, mantissa_bits: u32) -> Option<u64> {
    let (mut m, mut e) = (v, 0u64);
    while m >= 1 << mantissa_bits {
        if m % 10 != 0 || e == 31 {
            return None;
        }
        m /= 10;
        e += 1;
    }
    Some(m | e << mantissa_bits)
}

/// Packs an amount exactly (30 significant bits): deposits must be amounts the rollup can
/// represent.
pub fn pack_amount(v: u64) -> Option<u64> {
    pack(v, AMOUNT_MANTISSA_BITS)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DataError> {
        if self.0.len() < n {
            return Err(DataError::Truncated);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn le(&mut self, n: usize) -> Result<u64, DataError> {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(self.take(n)?);
        Ok(u64::from_le_bytes(b))
    }
    fn b32(&mut self) -> Result<Hex32, DataError> {
        let mut b = [0u8; 32];
        b.copy_from_slice(self.take(32)?);
        Ok(Hex32(b))
    }
}

/// Reads a batch's published bytes.
pub fn parse_batch(bytes: &[u8]) -> Result<BatchSummary, DataError> {
    let mut r = Reader(bytes);
    let nd = r.le(4)? as usize;
    let nt = r.le(4)? as usize;
    let nw = r.le(4)?;
    // Each section's records are at least 12 bytes: counts past that are truncated data, and
    // checking first keeps a forged count from reserving memory.
    if nd.saturating_mul(72) > bytes.len() || nw as usize > bytes.len() / 41 + 1 {
        return Err(DataError::Truncated);
    }
    let mut out = BatchSummary {
        transfers: u32::try_from(nt).map_err(|_| DataError::Truncated)?,
        ..Default::default()
    };
    for _ in 0..nd {
        let to = r.le(3)? as u32;
        let packed = r.le(5)?;
        if packed >> AMOUNT_BITS != 0 {
            return Err(DataError::AmountOutOfRange);
        }
        let amount = unpack(packed, AMOUNT_MANTISSA_BITS).ok_or(DataError::AmountOutOfRange)?;
        out.deposits.push(DepositOp {
            to,
            amount,
            pubkey_x: r.b32()?,
            pubkey_y: r.b32()?,
        });
    }
    let split = |v: u64| -> Result<(u64, u64), DataError> {
        let amount = unpack(v & ((1 << AMOUNT_BITS) - 1), AMOUNT_MANTISSA_BITS);
        let fee = unpack(v >> AMOUNT_BITS, FEE_MANTISSA_BITS);
        match (amount, fee) {
            (Some(a), Some(f)) => Ok((a, f)),
            _ => Err(DataError::AmountOutOfRange),
        }
    };
    for _ in 0..nt {
        r.take(6)?;
        let (_, fee) = split(r.le(6)?)?;
        out.fees += u128::from(fee);
    }
    for _ in 0..nw {
        let from = r.le(3)? as u32;
        let (amount, fee) = split(r.le(6)?)?;
        out.fees += u128::from(fee);
        out.withdrawals.push(WithdrawalOp {
            from,
            amount,
            fee,
            recipient: r.b32()?,
        });
    }
    if !r.0.is_empty() {
        return Err(DataError::TrailingBytes);
    }
    Ok(out)
}

/// Encodes deposits and withdrawals the way `proof-zk` publishes them (for tests and clients
/// that build expected data; the operator uses `proof-zk` itself).
pub fn encode_batch(
    deposits: &[DepositOp],
    transfers: &[(u32, u32, u64, u64)],
    withdrawals: &[WithdrawalOp],
) -> Option<Vec<u8>> {
    let fee_pack = |f: u64| pack(f, FEE_MANTISSA_BITS);
    let mut out = Vec::new();
    for n in [deposits.len(), transfers.len(), withdrawals.len()] {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    for d in deposits {
        out.extend_from_slice(&d.to.to_le_bytes()[..3]);
        out.extend_from_slice(&pack_amount(d.amount)?.to_le_bytes()[..5]);
        out.extend_from_slice(&d.pubkey_x.0);
        out.extend_from_slice(&d.pubkey_y.0);
    }
    for &(from, to, amount, fee) in transfers {
        out.extend_from_slice(&from.to_le_bytes()[..3]);
        out.extend_from_slice(&to.to_le_bytes()[..3]);
        let v = pack_amount(amount)? | fee_pack(fee)? << AMOUNT_BITS;
        out.extend_from_slice(&v.to_le_bytes()[..6]);
    }
    for w in withdrawals {
        out.extend_from_slice(&w.from.to_le_bytes()[..3]);
        let v = pack_amount(w.amount)? | fee_pack(w.fee)? << AMOUNT_BITS;
        out.extend_from_slice(&v.to_le_bytes()[..6]);
        out.extend_from_slice(&w.recipient.0);
    }
    Some(out)
}

/// What an exit proof claims (`proof_zk::ExitProof::to_bytes`): the chain's
/// `proof_zk_verify_exit` checks the Merkle path; the contract reads the account from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitClaim {
    pub index: u32,
    pub pubkey_x: Hex32,
    pub pubkey_y: Hex32,
    pub balance: u64,
    pub nonce: u64,
}

/// Length of an exit proof: index, key, balance, nonce, 8 levels of 7 siblings.
pub const EXIT_PROOF_BYTES: usize = 4 + 64 + 16 + 8 * 7 * 32;

pub fn parse_exit(bytes: &[u8]) -> Result<ExitClaim, DataError> {
    if bytes.len() != EXIT_PROOF_BYTES {
        return Err(DataError::Truncated);
    }
    let mut r = Reader(bytes);
    let index = r.le(4)? as u32;
    if index >= ACCOUNT_CAPACITY {
        return Err(DataError::IndexOutOfRange);
    }
    Ok(ExitClaim {
        index,
        pubkey_x: r.b32()?,
        pubkey_y: r.b32()?,
        balance: r.le(8)?,
        nonce: r.le(8)?,
    })
}

/// The chain address (canonical bytes) a withdrawal's recipient field names: 20 bytes when
/// the rest is zero (an account), else all 32 (a contract).
pub fn recipient_bytes(recipient: &Hex32) -> &[u8] {
    if recipient.0[20..].iter().all(|b| *b == 0) {
        &recipient.0[..20]
    } else {
        &recipient.0
    }
}

/// The recipient field for a canonical address: a 20-byte account, or a 32-byte contract address
/// whose value is a field element (below the modulus) and not the zero-padded form of an account.
pub fn recipient_field(canonical: &[u8]) -> Option<Hex32> {
    let mut out = [0u8; 32];
    match canonical.len() {
        20 => out[..20].copy_from_slice(canonical),
        32 if canonical[20..].iter().any(|b| *b != 0) => out.copy_from_slice(canonical),
        _ => return None,
    }
    is_canonical_field(&Hex32(out)).then_some(Hex32(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(to: u32, amount: u64) -> DepositOp {
        DepositOp {
            to,
            amount,
            pubkey_x: Hex32([1; 32]),
            pubkey_y: Hex32([2; 32]),
        }
    }

    #[test]
    fn batches_round_trip_and_fees_add_up() {
        let w = WithdrawalOp {
            from: 3,
            amount: 1_000,
            fee: 2,
            recipient: recipient_field(&[9; 20]).unwrap(),
        };
        let bytes = encode_batch(
            &[dep(3, 5_000), dep(7, 120_000_000_000)],
            &[(3, 7, 100, 1)],
            std::slice::from_ref(&w),
        )
        .unwrap();
        assert_eq!(bytes.len(), 12 + 2 * 72 + 12 + 41);
        let s = parse_batch(&bytes).unwrap();
        assert_eq!(s.deposits, vec![dep(3, 5_000), dep(7, 120_000_000_000)]);
        assert_eq!(s.transfers, 1);
        assert_eq!(s.withdrawals, vec![w]);
        assert_eq!(s.fees, 3);
        assert_eq!(recipient_bytes(&s.withdrawals[0].recipient), &[9; 20]);
    }

    #[test]
    fn malformed_data_is_refused() {
        let bytes = encode_batch(&[dep(1, 10)], &[], &[]).unwrap();
        assert_eq!(
            parse_batch(&bytes[..bytes.len() - 1]),
            Err(DataError::Truncated)
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(parse_batch(&long), Err(DataError::TrailingBytes));
        let mut huge = bytes.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse_batch(&huge), Err(DataError::Truncated));
        assert_eq!(parse_batch(&[]), Err(DataError::Truncated));
        // an exponent that overflows u64: 10^31
        let mut over = bytes.clone();
        over[15..20].copy_from_slice(&(1u64 | 31 << 30).to_le_bytes()[..5]);
        assert_eq!(parse_batch(&over), Err(DataError::AmountOutOfRange));
    }

    #[test]
    fn amounts_pack_only_when_exact() {
        assert_eq!(pack_amount(0), Some(0));
        assert_eq!(
            unpack(pack_amount(123_456_789_000).unwrap(), 30),
            Some(123_456_789_000)
        );
        assert_eq!(pack_amount((1 << 30) + 1), None);
    }

    #[test]
    fn exit_claims_read_the_account() {
        let mut b = vec![0u8; EXIT_PROOF_BYTES];
        b[..4].copy_from_slice(&42u32.to_le_bytes());
        b[68..76].copy_from_slice(&77u64.to_le_bytes());
        let c = parse_exit(&b).unwrap();
        assert_eq!((c.index, c.balance, c.nonce), (42, 77, 0));
        assert!(parse_exit(&b[1..]).is_err());
        b[..4].copy_from_slice(&(1u32 << 24).to_le_bytes());
        assert_eq!(parse_exit(&b), Err(DataError::IndexOutOfRange));
    }

    #[test]
    fn recipients_name_20_or_32_byte_addresses() {
        assert_eq!(
            recipient_bytes(&recipient_field(&[5; 20]).unwrap()).len(),
            20
        );
        let mut c = [0u8; 32];
        c[25] = 1;
        assert_eq!(recipient_bytes(&Hex32(c)).len(), 32);
        assert!(
            recipient_field(&[0; 32]).is_none(),
            "an account's padded form"
        );
        assert!(recipient_field(&[1; 25]).is_none());
        assert!(recipient_field(&[0xff; 32]).is_none(), "above the modulus");
    }
}
