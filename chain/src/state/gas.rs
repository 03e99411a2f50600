//! Gas: the unit that bounds what one transaction may cost the chain.
//!
//! The schedule mirrors the Cosmos SDK's KV gas config so wallets' estimates stay meaningful:
//! reads 1000 + 3/byte, writes 2000 + 30/byte, deletes 1000, tx bytes 10/byte; signature checks
//! are priced by the key type's verification cost measured relative to secp256k1 (1000).

use thiserror::Error;

use proof_sdk::KeyType;

pub const READ_FLAT: u64 = 1000;
pub const READ_PER_BYTE: u64 = 3;
pub const WRITE_FLAT: u64 = 2000;
pub const WRITE_PER_BYTE: u64 = 30;
pub const DELETE_FLAT: u64 = 1000;
pub const TX_SIZE_PER_BYTE: u64 = 10;

pub fn sig_verify_cost(kind: KeyType) -> u64 {
    match kind {
        KeyType::Secp256k1 => 1000,
        KeyType::Ed25519 => 590,
        // ML-DSA-65 verification is ~2x secp256k1 in our measurements; hybrid pays for both halves.
        KeyType::Mldsa65 => 2000,
        KeyType::Hybrid => 2590,
    }
}

/// Encoded signature length of each key type (what a simulated, unsigned tx will grow by).
pub fn signature_len(kind: KeyType) -> u64 {
    match kind {
        KeyType::Secp256k1 | KeyType::Ed25519 => 64,
        KeyType::Mldsa65 => proof_sdk::crypto::MLDSA65_SIG_LEN as u64,
        KeyType::Hybrid => proof_sdk::crypto::HYBRID_SIG_LEN as u64,
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("out of gas: limit {limit}, needed at least {wanted}")]
pub struct OutOfGas {
    pub limit: u64,
    pub wanted: u64,
}

#[derive(Debug, Clone)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// A meter that never runs out (genesis, block hooks, simulation).
    pub fn infinite() -> Self {
        Self::new(u64::MAX)
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn charge(&mut self, amount: u64) -> Result<(), OutOfGas> {
        let wanted = self.used.saturating_add(amount);
        if wanted > self.limit {
            // Report the full limit as used: the work up to the limit was done.
            self.used = self.limit;
            return Err(OutOfGas {
                limit: self.limit,
                wanted,
            });
        }
        self.used = wanted;
        Ok(())
    }

    pub fn charge_read(&mut self, key_len: usize) -> Result<(), OutOfGas> {
        self.charge(READ_FLAT + READ_PER_BYTE * key_len as u64)
    }

    pub fn charge_read_bytes(&mut self, value_len: usize) -> Result<(), OutOfGas> {
        self.charge(READ_PER_BYTE * value_len as u64)
    }

    pub fn charge_write(&mut self, len: usize) -> Result<(), OutOfGas> {
        self.charge(WRITE_FLAT + WRITE_PER_BYTE * len as u64)
    }

    pub fn charge_delete(&mut self) -> Result<(), OutOfGas> {
        self.charge(DELETE_FLAT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_gas_is_reported_and_sticky_at_limit() {
        let mut g = GasMeter::new(2500);
        g.charge_read(0).unwrap();
        assert_eq!(g.used(), 1000);
        let e = g.charge_write(10).unwrap_err();
        assert_eq!(e.limit, 2500);
        assert_eq!(g.used(), 2500);
        assert!(GasMeter::infinite().charge(u64::MAX).is_ok());
    }
}
