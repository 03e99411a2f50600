//! Deterministic sender keys: the same `--seed`, `--count` and `--key-type` always give the
//! same accounts, so `accounts` (genesis funding) and `run` (signing) agree without sharing files.

use anyhow::{ensure, Result};
use hkdf::Hkdf;
use proof_sdk::{Address, KeyType, PrivateKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The 64-byte seed of sender `index`: HKDF-SHA256 with the user seed as input key material.
pub fn sender_seed(seed: &str, index: u32) -> [u8; 64] {
    let hk = Hkdf::<Sha256>::new(Some(b"proof-loadgen/v1"), seed.as_bytes());
    let mut out = [0u8; 64];
    hk.expand(format!("sender/{index}").as_bytes(), &mut out)
        .expect("64 bytes is a valid HKDF length");
    out
}

pub fn sender_key(kind: KeyType, seed: &str, index: u32) -> Result<PrivateKey> {
    PrivateKey::from_seed(kind, &sender_seed(seed, index), 0)
}

/// Derives `count` sender keys, spread over the available cores (hybrid keys are slow-ish).
pub fn derive_keys(kind: KeyType, seed: &str, count: u32) -> Result<Vec<PrivateKey>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1) as usize);
    let per = (count as usize).div_ceil(threads.max(1));
    let chunks: Vec<Result<Vec<PrivateKey>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = (t * per) as u32;
                let end = ((t + 1) * per).min(count as usize) as u32;
                s.spawn(move || {
                    (start..end)
                        .map(|i| sender_key(kind, seed, i))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("key derivation thread panicked"))
            .collect()
    });
    let mut keys = Vec::with_capacity(count as usize);
    for c in chunks {
        keys.extend(c?);
    }
    Ok(keys)
}

/// One entry of the genesis accounts file (`proofd init/testnet --genesis-accounts-file`).
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct GenesisAccount {
    pub address: String,
    pub coins: String,
}

pub fn genesis_accounts(addresses: &[Address], coins: &str) -> Result<Vec<GenesisAccount>> {
    ensure!(
        !proof_sdk::coin::parse_coins(coins)?.is_empty(),
        "--coins must name at least one coin"
    );
    Ok(addresses
        .iter()
        .map(|a| GenesisAccount {
            address: a.to_string(),
            coins: coins.to_string(),
        })
        .collect())
}

/// A 64-bit number derived from the seed, for the deterministic choice of recipients.
pub fn seed_u64(seed: &str) -> u64 {
    let d = Sha256::digest([b"proof-loadgen/recipients/".as_slice(), seed.as_bytes()].concat());
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The recipient of tx `k` sent by `sender`: a pseudo-random other sender (needs `n >= 2`).
pub fn recipient(seed: u64, k: u64, sender: usize, n: usize) -> usize {
    debug_assert!(n >= 2);
    let off = (splitmix64(seed ^ k.wrapping_mul(0xD6E8_FEB8_6659_FD93)) % (n as u64 - 1)) as usize;
    (sender + 1 + off) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_deterministic_and_distinct() {
        assert_eq!(sender_seed("s", 0), sender_seed("s", 0));
        assert_ne!(sender_seed("s", 0), sender_seed("s", 1));
        assert_ne!(sender_seed("s", 0), sender_seed("t", 0));
        for kind in [KeyType::Ed25519, KeyType::Secp256k1] {
            let a = derive_keys(kind, "bench", 5).unwrap();
            let b = derive_keys(kind, "bench", 5).unwrap();
            let aa: Vec<_> = a.iter().map(|k| k.address()).collect();
            let bb: Vec<_> = b.iter().map(|k| k.address()).collect();
            assert_eq!(aa, bb);
            let mut uniq = aa.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), 5, "{kind}: addresses must differ");
            // Same as deriving one by one (the threaded split must not shift indices).
            for (i, addr) in aa.iter().enumerate() {
                assert_eq!(
                    &sender_key(kind, "bench", i as u32).unwrap().address(),
                    addr
                );
            }
        }
    }

    #[test]
    fn derive_keys_handles_odd_counts() {
        for n in [0u32, 1, 3, 7] {
            assert_eq!(
                derive_keys(KeyType::Ed25519, "x", n).unwrap().len(),
                n as usize
            );
        }
    }

    #[test]
    fn genesis_file_format() {
        let keys = derive_keys(KeyType::Ed25519, "g", 2).unwrap();
        let addrs: Vec<_> = keys.iter().map(|k| k.address()).collect();
        let v = serde_json::to_value(genesis_accounts(&addrs, "1000uxyz").unwrap()).unwrap();
        let arr = v.as_array().unwrap();
        assert_eq!(arr.len(), 2);
        assert!(arr[0]["address"].as_str().unwrap().starts_with("proof1"));
        assert_eq!(arr[0]["coins"], "1000uxyz");
        assert!(genesis_accounts(&addrs, "").is_err());
    }

    #[test]
    fn recipient_is_another_sender_and_spread() {
        let seed = seed_u64("r");
        let n = 10;
        let mut hits = vec![0u32; n];
        for k in 0..10_000u64 {
            let s = (k % n as u64) as usize;
            let r = recipient(seed, k, s, n);
            assert_ne!(r, s);
            assert!(r < n);
            hits[r] += 1;
        }
        assert!(hits.iter().all(|&h| h > 800), "{hits:?}");
        assert_eq!(recipient(seed, 42, 1, 2), 0);
    }
}
