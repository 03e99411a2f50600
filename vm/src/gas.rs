//! The gas schedule (see `vm/GAS.md` for the reasoning) and the meter.
//!
//! Units: VM gas is CosmWasm gas (target 10^12 gas per second of CPU, so the chain converts with
//! the same multiplier wasmd uses). Instructions are metered with wasmtime fuel: one fuel per
//! executed wasm operator, worth [`GAS_PER_FUEL`] gas. Host functions charge their cost in gas,
//! converted to fuel rounding up, so every charge is an exact, deterministic fuel amount.

use wasmtime::Caller;

use crate::error::VmError;

/// Gas per unit of wasmtime fuel (= per wasm instruction). CosmWasm charges 115 per operator.
pub const GAS_PER_FUEL: u64 = 115;

/// A cost of `base + per_unit * units` gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linear {
    pub base: u64,
    pub per_unit: u64,
}

impl Linear {
    pub const fn new(base: u64, per_unit: u64) -> Self {
        Linear { base, per_unit }
    }
    pub fn cost(&self, units: u64) -> u64 {
        self.base
            .saturating_add(self.per_unit.saturating_mul(units))
    }
}

const US: u64 = 1_000_000; // gas per microsecond

/// What a batch proof's verification pays in gas: 20 ms of CPU at the VM's rate. Verifying costs
/// 0.4-1.2 s (`proof_zk::keys::verify_cost_micros`), more than a transaction's gas cap buys, so,
/// like compilation, what bounds it is the chain's per-block verification room; this share makes
/// each proof pay for its place in it.
const ZK_BATCH_SHARE_US: u64 = 20_000;
/// Per byte of published batch data: decoding and hashing it (one Poseidon permutation per
/// operation: measured 16 us for a 12-byte transfer, 1.33 us a byte, `zk-bench --host-costs`,
/// `BENCHMARKS.md` "Rollup host functions"); priced ~28% above, as deposits and withdrawals
/// hash once for more bytes.
const ZK_DATA_BYTE: u64 = 1_700_000;
/// An exit proof: decoding it, a leaf hash and 8 arity-8 Poseidon node hashes (measured 265 us).
const ZK_EXIT_US: u64 = 300;
/// A Schnorr signature over Vesta: a Poseidon challenge and two scalar multiplications
/// (measured: `zk-bench --host-costs`).
const ZK_SIGNATURE_US: u64 = 400;

/// What each host-side operation costs, in gas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasSchedule {
    /// Flat fee of every host function call.
    pub host_call: u64,
    /// Copying bytes out of contract memory (per byte).
    pub read_byte: u64,
    /// Copying bytes into contract memory (per byte).
    pub write_byte: u64,
    /// Storage: `db_read` (per byte of key + value), `db_write` (per byte of key + value),
    /// `db_remove` (per key byte), `db_scan` (opening an iterator), `db_next*` (per byte returned).
    pub db_read: Linear,
    pub db_write: Linear,
    pub db_remove: Linear,
    pub db_scan: u64,
    pub db_next: Linear,
    /// Address functions (bech32 encode/decode of at most 256 bytes).
    pub addr: u64,
    pub secp256k1_verify: u64,
    pub secp256k1_recover_pubkey: u64,
    pub secp256r1_verify: u64,
    pub secp256r1_recover_pubkey: u64,
    pub ed25519_verify: u64,
    /// Per signature of a batch (verified one by one).
    pub ed25519_batch_verify: Linear,
    pub bls12_381_aggregate_g1: Linear,
    pub bls12_381_aggregate_g2: Linear,
    pub bls12_381_hash_to_g1: u64,
    pub bls12_381_hash_to_g2: u64,
    /// Per pair, plus the base for the final exponentiation.
    pub bls12_381_pairing_equality: Linear,
    /// ML-DSA-65 verification (FIPS 204), and hybrid = ed25519 + ML-DSA-65.
    pub mldsa65_verify: u64,
    pub hybrid_verify: u64,
    /// Rollup batch proof verification: the flat share a proof pays plus, per byte of published
    /// batch data, hashing it (see `GAS.md`: the verification's CPU is bounded by the chain's
    /// per-block verification room, as compilation is).
    pub zk_verify_batch: Linear,
    /// Rollup exit proof verification (a Merkle path of Poseidon hashes).
    pub zk_verify_exit: u64,
    /// A rollup account's Schnorr signature over Vesta.
    pub zk_verify_signature: u64,
    /// Looking up the verifier key digest of a step size (derived once per node, kept).
    pub zk_vk_digest: u64,
    /// Bulk memory (`memory.copy`, `memory.fill`, `memory.init`): per byte.
    pub bulk_memory_byte: u64,
    /// `memory.grow`: per 64 KiB page requested.
    pub memory_grow_page: u64,
    /// Signature/message bytes hashed by verification functions, per byte.
    pub crypto_byte: u64,
}

impl Default for GasSchedule {
    fn default() -> Self {
        GasSchedule {
            host_call: 18_000,
            read_byte: 120,
            write_byte: 150,
            db_read: Linear::new(US, 120),
            db_write: Linear::new(2 * US, 600),
            db_remove: Linear::new(US, 120),
            db_scan: 2 * US,
            db_next: Linear::new(US / 2, 120),
            addr: US / 2,
            secp256k1_verify: 96 * US,
            secp256k1_recover_pubkey: 194 * US,
            secp256r1_verify: 279 * US,
            secp256r1_recover_pubkey: 592 * US,
            ed25519_verify: 35 * US,
            ed25519_batch_verify: Linear::new(5 * US, 35 * US),
            bls12_381_aggregate_g1: Linear::new(68 * US, 12 * US),
            bls12_381_aggregate_g2: Linear::new(104 * US, 25 * US),
            bls12_381_hash_to_g1: 563 * US,
            bls12_381_hash_to_g2: 871 * US,
            bls12_381_pairing_equality: Linear::new(2112 * US, 326 * US),
            mldsa65_verify: 230 * US,
            hybrid_verify: 270 * US,
            zk_verify_batch: Linear::new(ZK_BATCH_SHARE_US * US, ZK_DATA_BYTE),
            zk_verify_exit: ZK_EXIT_US * US,
            zk_verify_signature: ZK_SIGNATURE_US * US,
            zk_vk_digest: 100 * US,
            bulk_memory_byte: 25,
            memory_grow_page: 64 * US / 10,
            crypto_byte: 120,
        }
    }
}

/// Fuel for `gas`, rounding up.
pub fn gas_to_fuel(gas: u64) -> u64 {
    gas.div_ceil(GAS_PER_FUEL)
}

pub fn fuel_to_gas(fuel: u64) -> u64 {
    fuel.saturating_mul(GAS_PER_FUEL)
}

/// Charges `gas` to the running call. On insufficient gas the remaining fuel is zeroed (all gas
/// is used, as when an instruction runs out) and the call is aborted with [`VmError::OutOfGas`].
pub fn charge<T>(caller: &mut Caller<'_, T>, gas: u64) -> Result<(), VmError> {
    let fuel = gas_to_fuel(gas);
    let left = caller
        .get_fuel()
        .map_err(|e| VmError::Trap(e.to_string()))?;
    if left < fuel {
        let _ = caller.set_fuel(0);
        return Err(VmError::OutOfGas);
    }
    caller
        .set_fuel(left - fuel)
        .map_err(|e| VmError::Trap(e.to_string()))
}

/// Gas left in the running call.
pub fn remaining<T>(caller: &Caller<'_, T>) -> u64 {
    fuel_to_gas(caller.get_fuel().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_rounds_up() {
        assert_eq!(gas_to_fuel(0), 0);
        assert_eq!(gas_to_fuel(1), 1);
        assert_eq!(gas_to_fuel(GAS_PER_FUEL), 1);
        assert_eq!(gas_to_fuel(GAS_PER_FUEL + 1), 2);
        assert_eq!(fuel_to_gas(3), 3 * GAS_PER_FUEL);
        assert_eq!(Linear::new(5, 2).cost(10), 25);
        assert_eq!(Linear::new(u64::MAX, 2).cost(10), u64::MAX);
    }
}
