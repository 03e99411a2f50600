//! Batch operations, packed amounts, and the data-availability (DA) encoding.
//!
//! ## Packed amounts (decimal floating point)
//! * amount: 35 bits = `mantissa (30 bits) | exponent (5 bits) << 30`, value `mantissa · 10^exponent`.
//! * fee: 13 bits = `mantissa (8 bits) | exponent (5 bits) << 8`.
//!
//! Any amount with at most 30 significant bits after removing trailing decimal zeros is exact
//! (e.g. every amount below 2^30 ≈ 1.07e9 base units, or 123456789·10^9); the packer refuses
//! the others rather than rounding.
//!
//! ## The operation word (what the circuit unpacks and the accumulator absorbs)
//! `word = kind | from << 2 | to << 26 | amount << 50 | fee << 85` (98 bits), kind 1 = deposit,
//! 2 = transfer, 3 = withdrawal (0 = the circuit's padding no-op, never published). A deposit has
//! `from = to` and fee 0; a withdrawal has `to = from`.
//! Signed message: `(word + nonce·2^98, extra)` with `extra` = recipient for a withdrawal, 0 for
//! a transfer. Accumulator: `acc' = Poseidon_Acc(acc, word, e1, e2)` from `acc = 0`, with
//! `(e1, e2)` = the deposit's public key, `(recipient, 0)` for a withdrawal, `(0, 0)` for a
//! transfer. The batch's `data_hash` is the final `acc`.
//!
//! ## DA bytes (`BatchData::encode`), all integers little-endian
//! ```text
//! n_deposits u32 | n_transfers u32 | n_withdrawals u32
//! deposit    (72 B): to u24 | amount u40 (35 bits used) | pk.x [32] | pk.y [32]
//! transfer   (12 B): from u24 | to u24 | amount | fee << 35 as u48
//! withdrawal (41 B): from u24 | amount | fee << 35 as u48 | recipient [32] (field element)
//! ```
//! Operations of a batch are ordered deposits, transfers, withdrawals, which is the order of
//! the sections, so the decoder rebuilds the exact sequence the circuit hashed.

use crate::error::{OpError, ZkError};
use crate::gadgets::pow2;
use crate::hash::{hash4, Domain};
use crate::schnorr::{PublicKey, SecretKey, Signature};
use crate::tree::CAPACITY;
use crate::{f_from_bytes, f_to_bytes, F};
use ff::{Field, PrimeField};
use serde::{Deserialize, Serialize};

pub const KIND_NOOP: u8 = 0;
pub const KIND_DEPOSIT: u8 = 1;
pub const KIND_TRANSFER: u8 = 2;
pub const KIND_WITHDRAW: u8 = 3;

pub const AMOUNT_MANTISSA_BITS: usize = 30;
pub const FEE_MANTISSA_BITS: usize = 8;
pub const EXP_BITS: usize = 5;
pub const AMOUNT_BITS: usize = AMOUNT_MANTISSA_BITS + EXP_BITS;
pub const FEE_BITS: usize = FEE_MANTISSA_BITS + EXP_BITS;
/// Bits of the operation word.
pub const WORD_BITS: usize = 2 + 24 + 24 + AMOUNT_BITS + FEE_BITS;
/// Bytes a transfer takes in the DA encoding.
pub const TRANSFER_DA_BYTES: usize = 12;
/// Bit position of the rollup id in the signed message: after the word and the 64-bit nonce.
pub const ROLLUP_SHIFT: usize = WORD_BITS + 64;

/// Which rollup an operation is for. It is part of every signed message (and a public input of
/// the proof), so a signature made for one rollup does not verify in another that shares keys
/// and nonces. Assigned by the chain, e.g. per verifier contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RollupId(pub u32);

impl From<RollupId> for F {
    fn from(r: RollupId) -> F {
        F::from(u64::from(r.0))
    }
}

fn pack_float(v: u64, mantissa_bits: usize) -> Option<u64> {
    let mut m = v;
    let mut e = 0u64;
    while m >= (1u64 << mantissa_bits) {
        if m % 10 != 0 || e == 31 {
            return None;
        }
        m /= 10;
        e += 1;
    }
    Some(m | (e << mantissa_bits))
}

fn unpack_float(p: u64, mantissa_bits: usize) -> Option<u64> {
    let m = p & ((1u64 << mantissa_bits) - 1);
    let e = (p >> mantissa_bits) & 31;
    if m == 0 {
        return Some(0);
    }
    10u64.checked_pow(e as u32)?.checked_mul(m)
}

/// Pack an amount (35 bits), if exactly representable.
pub fn pack_amount(v: u64) -> Option<u64> {
    pack_float(v, AMOUNT_MANTISSA_BITS)
}
/// Pack a fee (13 bits), if exactly representable.
pub fn pack_fee(v: u64) -> Option<u64> {
    pack_float(v, FEE_MANTISSA_BITS)
}
/// Value of a packed amount, `None` if it exceeds u64.
pub fn unpack_amount(p: u64) -> Option<u64> {
    unpack_float(p, AMOUNT_MANTISSA_BITS)
}
/// Value of a packed fee, `None` if it exceeds u64.
pub fn unpack_fee(p: u64) -> Option<u64> {
    unpack_float(p, FEE_MANTISSA_BITS)
}

/// A batch operation as the operator receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Credit `amount` (bridged in on L1) to `to`, setting its key if the account is empty.
    Deposit {
        to: u32,
        pubkey: PublicKey,
        amount: u64,
    },
    /// A signed L3 transfer; `fee` goes to the operator.
    Transfer {
        from: u32,
        to: u32,
        amount: u64,
        fee: u64,
        nonce: u64,
        sig: Signature,
    },
    /// A signed withdrawal of `amount` to `recipient` on the chain (a field element naming an
    /// address, e.g. a 20- or 31-byte address as little-endian bytes).
    Withdraw {
        from: u32,
        amount: u64,
        fee: u64,
        nonce: u64,
        recipient: F,
        sig: Signature,
    },
}

/// The public part of an operation (what the DA publishes and the circuit hashes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicOp {
    pub kind: u8,
    pub from: u32,
    pub to: u32,
    pub amount_packed: u64,
    pub fee_packed: u64,
    pub extra: [F; 2],
}

impl PublicOp {
    /// The padding no-op.
    pub const NOOP: PublicOp = PublicOp {
        kind: KIND_NOOP,
        from: 0,
        to: 0,
        amount_packed: 0,
        fee_packed: 0,
        extra: [F::ZERO, F::ZERO],
    };

    pub fn word_u128(&self) -> u128 {
        u128::from(self.kind)
            | u128::from(self.from) << 2
            | u128::from(self.to) << 26
            | u128::from(self.amount_packed) << 50
            | u128::from(self.fee_packed) << 85
    }
    pub fn word(&self) -> F {
        F::from_u128(self.word_u128())
    }
    /// The signed message's first element: `word + nonce·2^98 + rollup·2^162` (194 bits).
    pub fn sig_word(&self, rollup: RollupId, nonce: u64) -> F {
        self.word() + F::from(nonce) * pow2(WORD_BITS) + F::from(rollup) * pow2(ROLLUP_SHIFT)
    }
    pub fn amount(&self) -> Option<u64> {
        unpack_amount(self.amount_packed)
    }
    pub fn fee(&self) -> Option<u64> {
        unpack_fee(self.fee_packed)
    }
    pub fn needs_sig(&self) -> bool {
        self.kind == KIND_TRANSFER || self.kind == KIND_WITHDRAW
    }
}

fn check_index(i: u32) -> Result<(), OpError> {
    if i >= CAPACITY {
        Err(OpError::IndexOutOfRange(i))
    } else {
        Ok(())
    }
}

impl Op {
    /// Build and sign a transfer in `rollup`.
    pub fn transfer(
        sk: &SecretKey,
        rollup: RollupId,
        from: u32,
        to: u32,
        amount: u64,
        fee: u64,
        nonce: u64,
    ) -> Result<Op, OpError> {
        let mut op = Op::Transfer {
            from,
            to,
            amount,
            fee,
            nonce,
            sig: Signature::placeholder(),
        };
        let p = op.public()?;
        if let Op::Transfer { sig, .. } = &mut op {
            *sig = sk.sign(p.sig_word(rollup, nonce), F::ZERO);
        }
        Ok(op)
    }

    /// Build and sign a withdrawal from `rollup`.
    pub fn withdraw(
        sk: &SecretKey,
        rollup: RollupId,
        from: u32,
        amount: u64,
        fee: u64,
        nonce: u64,
        recipient: F,
    ) -> Result<Op, OpError> {
        let mut op = Op::Withdraw {
            from,
            amount,
            fee,
            nonce,
            recipient,
            sig: Signature::placeholder(),
        };
        let p = op.public()?;
        if let Op::Withdraw { sig, .. } = &mut op {
            *sig = sk.sign(p.sig_word(rollup, nonce), recipient);
        }
        Ok(op)
    }

    pub fn kind(&self) -> u8 {
        match self {
            Op::Deposit { .. } => KIND_DEPOSIT,
            Op::Transfer { .. } => KIND_TRANSFER,
            Op::Withdraw { .. } => KIND_WITHDRAW,
        }
    }

    /// The public part (packs amounts; checks indices).
    pub fn public(&self) -> Result<PublicOp, OpError> {
        let pa = |a: u64| pack_amount(a).ok_or(OpError::AmountNotPackable(a));
        let pf = |f: u64| pack_fee(f).ok_or(OpError::FeeNotPackable(f));
        let p = match *self {
            Op::Deposit { to, pubkey, amount } => PublicOp {
                kind: KIND_DEPOSIT,
                from: to,
                to,
                amount_packed: pa(amount)?,
                fee_packed: 0,
                extra: [pubkey.x, pubkey.y],
            },
            Op::Transfer {
                from,
                to,
                amount,
                fee,
                ..
            } => PublicOp {
                kind: KIND_TRANSFER,
                from,
                to,
                amount_packed: pa(amount)?,
                fee_packed: pf(fee)?,
                extra: [F::ZERO, F::ZERO],
            },
            Op::Withdraw {
                from,
                amount,
                fee,
                recipient,
                ..
            } => PublicOp {
                kind: KIND_WITHDRAW,
                from,
                to: from,
                amount_packed: pa(amount)?,
                fee_packed: pf(fee)?,
                extra: [recipient, F::ZERO],
            },
        };
        check_index(p.from)?;
        check_index(p.to)?;
        Ok(p)
    }

    /// The signature and signed nonce, for signed operations.
    pub fn signature(&self) -> Option<(Signature, u64)> {
        match *self {
            Op::Deposit { .. } => None,
            Op::Transfer { sig, nonce, .. } | Op::Withdraw { sig, nonce, .. } => Some((sig, nonce)),
        }
    }
}

impl Signature {
    fn placeholder() -> Signature {
        Signature {
            rx: F::ZERO,
            ry: F::ZERO,
            s: crate::Fr::ZERO,
        }
    }
}

/// One accumulator step.
pub fn accumulate(acc: F, op: &PublicOp) -> F {
    hash4(
        Domain::Accumulator,
        [acc, op.word(), op.extra[0], op.extra[1]],
    )
}

/// A batch's public data: what is published, hashed and decoded.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BatchData {
    pub ops: Vec<PublicOp>,
}

fn put_le(out: &mut Vec<u8>, v: u64, n: usize) {
    out.extend_from_slice(&v.to_le_bytes()[..n]);
}

struct Reader<'a>(&'a [u8]);
impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ZkError> {
        if self.0.len() < n {
            return Err(ZkError::Encoding("DA bytes truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn le(&mut self, n: usize) -> Result<u64, ZkError> {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(self.take(n)?);
        Ok(u64::from_le_bytes(b))
    }
    fn field(&mut self) -> Result<F, ZkError> {
        let mut b = [0u8; 32];
        b.copy_from_slice(self.take(32)?);
        f_from_bytes(&b).ok_or(ZkError::Encoding("non-canonical field element"))
    }
}

impl BatchData {
    /// From operations (which must be ordered deposits, transfers, withdrawals).
    pub fn from_ops(ops: &[Op]) -> Result<BatchData, ZkError> {
        let mut out = Vec::with_capacity(ops.len());
        let mut last = 0u8;
        for (index, op) in ops.iter().enumerate() {
            if op.kind() < last {
                return Err(ZkError::Op {
                    index,
                    source: OpError::BadOrder,
                });
            }
            last = op.kind();
            out.push(
                op.public()
                    .map_err(|source| ZkError::Op { index, source })?,
            );
        }
        Ok(BatchData { ops: out })
    }

    /// The accumulator over the operations: the circuit's public `data_hash`.
    pub fn data_hash(&self) -> F {
        self.ops.iter().fold(F::ZERO, accumulate)
    }

    /// Sum of fees (what the operator earns), `None` on a malformed fee.
    pub fn total_fees(&self) -> Option<u128> {
        self.ops
            .iter()
            .filter(|o| o.needs_sig())
            .try_fold(0u128, |a, o| Some(a + u128::from(o.fee()?)))
    }

    /// The DA bytes (format in the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let count = |k: u8| self.ops.iter().filter(|o| o.kind == k).count() as u32;
        let mut out = Vec::with_capacity(12 + self.ops.len() * TRANSFER_DA_BYTES);
        for k in [KIND_DEPOSIT, KIND_TRANSFER, KIND_WITHDRAW] {
            out.extend_from_slice(&count(k).to_le_bytes());
        }
        for o in &self.ops {
            let amt_fee = o.amount_packed | o.fee_packed << AMOUNT_BITS;
            match o.kind {
                KIND_DEPOSIT => {
                    put_le(&mut out, u64::from(o.to), 3);
                    put_le(&mut out, o.amount_packed, 5);
                    out.extend_from_slice(&f_to_bytes(&o.extra[0]));
                    out.extend_from_slice(&f_to_bytes(&o.extra[1]));
                }
                KIND_TRANSFER => {
                    put_le(&mut out, u64::from(o.from), 3);
                    put_le(&mut out, u64::from(o.to), 3);
                    put_le(&mut out, amt_fee, 6);
                }
                _ => {
                    put_le(&mut out, u64::from(o.from), 3);
                    put_le(&mut out, amt_fee, 6);
                    out.extend_from_slice(&f_to_bytes(&o.extra[0]));
                }
            }
        }
        out
    }

    /// Parse DA bytes (strict: no trailing bytes, canonical fields, packed fields in range).
    pub fn decode(bytes: &[u8]) -> Result<BatchData, ZkError> {
        let mut r = Reader(bytes);
        let nd = r.le(4)? as usize;
        let nt = r.le(4)? as usize;
        let nw = r.le(4)? as usize;
        let total = nd
            .checked_add(nt)
            .and_then(|x| x.checked_add(nw))
            .ok_or(ZkError::Encoding("too many operations"))?;
        if total > bytes.len() {
            return Err(ZkError::Encoding("counts exceed the data"));
        }
        let mut ops = Vec::with_capacity(total);
        let split = |v: u64| (v & ((1 << AMOUNT_BITS) - 1), v >> AMOUNT_BITS);
        for _ in 0..nd {
            let to = r.le(3)? as u32;
            let amount_packed = r.le(5)?;
            if amount_packed >> AMOUNT_BITS != 0 {
                return Err(ZkError::Encoding("deposit amount out of range"));
            }
            let x = r.field()?;
            let y = r.field()?;
            ops.push(PublicOp {
                kind: KIND_DEPOSIT,
                from: to,
                to,
                amount_packed,
                fee_packed: 0,
                extra: [x, y],
            });
        }
        for _ in 0..nt {
            let from = r.le(3)? as u32;
            let to = r.le(3)? as u32;
            let (amount_packed, fee_packed) = split(r.le(6)?);
            ops.push(PublicOp {
                kind: KIND_TRANSFER,
                from,
                to,
                amount_packed,
                fee_packed,
                extra: [F::ZERO, F::ZERO],
            });
        }
        for _ in 0..nw {
            let from = r.le(3)? as u32;
            let (amount_packed, fee_packed) = split(r.le(6)?);
            let recipient = r.field()?;
            ops.push(PublicOp {
                kind: KIND_WITHDRAW,
                from,
                to: from,
                amount_packed,
                fee_packed,
                extra: [recipient, F::ZERO],
            });
        }
        if !r.0.is_empty() {
            return Err(ZkError::Encoding("trailing DA bytes"));
        }
        Ok(BatchData { ops })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_packing_roundtrips_and_refuses_inexact() {
        for v in [
            0u64,
            1,
            999,
            (1 << 30) - 1,
            1_000_000_000_000,
            123_456_789_000_000_000,
        ] {
            let p = pack_amount(v).unwrap();
            assert!(p < 1 << AMOUNT_BITS);
            assert_eq!(unpack_amount(p), Some(v));
        }
        assert_eq!(pack_amount((1 << 30) + 1), None);
        assert_eq!(pack_amount(u64::MAX), None);
        for v in [0u64, 5, 255, 2500, 1_000_000] {
            let p = pack_fee(v).unwrap();
            assert!(p < 1 << FEE_BITS);
            assert_eq!(unpack_fee(p), Some(v));
        }
        assert_eq!(pack_fee(257), None);
        // exponent 31 overflows u64 when unpacked
        assert_eq!(unpack_amount(1 | 31 << 30), None);
    }

    #[test]
    fn da_roundtrip_and_size() {
        let sk = SecretKey::from_seed(&[3; 32]);
        let pk = sk.public_key();
        let ops = vec![
            Op::Deposit {
                to: 7,
                pubkey: pk,
                amount: 5_000_000,
            },
            Op::transfer(&sk, RollupId(3), 7, 9, 1234, 10, 0).unwrap(),
            Op::transfer(
                &sk,
                RollupId(3),
                7,
                (1 << 24) - 1,
                1_000_000_000_000,
                2500,
                1,
            )
            .unwrap(),
            Op::withdraw(&sk, RollupId(3), 7, 100, 1, 2, F::from(0xabcdu64)).unwrap(),
        ];
        let d = BatchData::from_ops(&ops).unwrap();
        let bytes = d.encode();
        assert_eq!(bytes.len(), 12 + 72 + 2 * TRANSFER_DA_BYTES + 41);
        let back = BatchData::decode(&bytes).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.data_hash(), d.data_hash());
        assert_eq!(back.total_fees(), Some(10 + 2500 + 1));
        // any change of the published data changes the hash
        let mut tampered = bytes.clone();
        tampered[12 + 72 + 6] ^= 1;
        assert_ne!(
            BatchData::decode(&tampered).unwrap().data_hash(),
            d.data_hash()
        );
        // malformed
        assert!(BatchData::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(BatchData::decode(&extra).is_err());
        // order enforced
        let mut bad = ops.clone();
        bad.swap(0, 1);
        assert!(matches!(
            BatchData::from_ops(&bad),
            Err(ZkError::Op {
                index: 1,
                source: OpError::BadOrder
            })
        ));
    }
}
