//! Verifier keys a verifying node derives itself.
//!
//! A chain never takes a verifier key from a transaction: the key is a deterministic function of
//! the circuit ([`CIRCUIT_VERSION`]) and the step size K, so every node derives it, caches it
//! beside its data, and names it by its SHA-256 digest. A digest a node cannot reproduce from a
//! supported step size is refused.
//!
//! ## Cache format
//! `<dir>/proof-zk-<CIRCUIT_VERSION>-k<K>.vk` = `"PZKV" | SHA-256(vk bytes) | vk bytes`, written
//! to a temporary file and renamed; a file whose hash does not match is derived again. When the
//! prover's full parameter cache ([`ZkParams::cache_path`]) is there, its key is reused instead
//! of generating the parameters again.

use crate::error::ZkError;
use crate::prover::{Verifier, ZkParams, CIRCUIT_VERSION};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Step sizes a chain may accept (each is a different circuit, so a different key). Above 16
/// the augmented circuit passes 2^18 constraints and verification grows past a second.
pub const STEP_SIZES: std::ops::RangeInclusive<u32> = 1..=16;

const VK_MAGIC: &[u8; 4] = b"PZKV";

/// Measured cost of verifying one batch proof at step size `ops_per_step`, in microseconds on
/// the benchmark machine (one core; `BENCHMARKS.md`, "ZK"). Spartan/IPA verification is linear
/// in the circuit padded to a power of two, so the cost is a step function of K: K ≤ 3 pads to
/// 2^16 (358-418 ms measured), K ≤ 8 to 2^17 (661-795 ms), K ≤ 16 to 2^18 (1.15 s). A chain
/// bounds a block's verification time by these weights, so they are consensus constants: change
/// them only with a new circuit version.
pub fn verify_cost_micros(ops_per_step: u32) -> Option<u64> {
    match ops_per_step {
        1..=3 => Some(420_000),
        4..=8 => Some(800_000),
        9..=16 => Some(1_200_000),
        _ => None,
    }
}

/// The verifier key digests of this circuit version for the step sizes chains use by default
/// (`zk.step_sizes`), as derived on the benchmark machine. A node whose derivation or cache gives
/// another digest (another nova-snark build, a corrupt cache) refuses the key instead of forking
/// alone; step sizes without a pinned digest trust the derivation. Re-pin with `zk-bench --k K`
/// when `CIRCUIT_VERSION` changes.
pub fn pinned_digest(ops_per_step: u32) -> Option<[u8; 32]> {
    let hex = match (CIRCUIT_VERSION, ops_per_step) {
        ("v5", 2) => "22871bb181b32029955f5be2ed4be7f4d3160797232a984072c0ef37c7bbe6b2",
        ("v5", 3) => "d44858106ebcafb53732fe7c9b03fc820cfafa8e47cb5baa1cb61b323015f8fb",
        ("v5", 8) => "c6815fe2ad42423ec6394f6a28a593daef5bbc3a798d663c51c5370b2a9f74b7",
        _ => return None,
    };
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex, &mut out).ok()?;
    Some(out)
}

fn check_pinned(ops_per_step: u32, v: &Verifier) -> Result<(), ZkError> {
    match pinned_digest(ops_per_step) {
        Some(p) if p != v.vk_digest() => Err(ZkError::Cache(format!(
            "the verifier key for K = {ops_per_step} has digest {}, not the pinned {} (another nova-snark build, or a corrupt cache)",
            hex::encode(v.vk_digest()),
            hex::encode(p)
        ))),
        _ => Ok(()),
    }
}

/// Where the verifier key for `ops_per_step` is cached under `dir`.
pub fn vk_cache_path(dir: &Path, ops_per_step: u32) -> PathBuf {
    dir.join(format!("proof-zk-{CIRCUIT_VERSION}-k{ops_per_step}.vk"))
}

/// The verifier for step size `ops_per_step`: from the cache under `dir`, or derived (seconds to
/// tens of seconds, and the prover's memory while it runs) and cached.
pub fn load_or_derive(dir: &Path, ops_per_step: u32) -> Result<Verifier, ZkError> {
    if !STEP_SIZES.contains(&ops_per_step) {
        return Err(ZkError::Encoding("unsupported step size"));
    }
    let path = vk_cache_path(dir, ops_per_step);
    if let Ok(b) = std::fs::read(&path) {
        if b.len() > 36 && &b[..4] == VK_MAGIC {
            let digest: [u8; 32] = b[4..36].try_into().expect("32 bytes");
            if let Ok(v) = Verifier::new(&b[36..], &digest) {
                if check_pinned(ops_per_step, &v).is_ok() {
                    return Ok(v);
                }
            }
        }
    }
    // The prover's cache holds the same key (the setup is deterministic); it loads faster than
    // it generates. `load_or_generate` would also write it, which a verifier does not need.
    let full = ZkParams::cache_path(dir, ops_per_step as usize);
    let params = if full.exists() {
        ZkParams::load_or_generate(dir, ops_per_step as usize)?
    } else {
        ZkParams::generate(ops_per_step as usize)?
    };
    let v = params.verifier();
    check_pinned(ops_per_step, &v)?;
    // The cache only saves time: a node that cannot write it (a full disk) still verifies.
    let _ = write_vk_cache(dir, &path, params.vk_bytes());
    Ok(v)
}

fn write_vk_cache(dir: &Path, path: &Path, vk: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::with_capacity(vk.len() + 36);
    out.extend_from_slice(VK_MAGIC);
    out.extend_from_slice(&Sha256::digest(vk));
    out.extend_from_slice(vk);
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{seq}", std::process::id()));
    std::fs::write(&tmp, &out)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_cover_exactly_the_supported_step_sizes() {
        for k in 0..=20 {
            assert_eq!(
                verify_cost_micros(k).is_some(),
                STEP_SIZES.contains(&k),
                "K = {k}"
            );
        }
        assert!(verify_cost_micros(3) < verify_cost_micros(4));
        assert!(verify_cost_micros(8) < verify_cost_micros(9));
    }

    #[test]
    fn pinned_digests_are_distinct_and_only_for_supported_sizes() {
        let pinned: Vec<_> = STEP_SIZES.filter_map(pinned_digest).collect();
        assert_eq!(pinned.len(), 3);
        assert!(pinned[0] != pinned[1] && pinned[1] != pinned[2]);
        assert!(pinned_digest(0).is_none() && pinned_digest(17).is_none());
    }

    #[test]
    fn unsupported_step_sizes_are_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_or_derive(dir.path(), 0).is_err());
        assert!(load_or_derive(dir.path(), 17).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
