//! Soft confirmations: the operator's ed25519 signature over where it placed a transaction.
//!
//! A receipt is a promise the operator can be held to: it names the rollup, the transaction hash,
//! the batch and the position in that batch's sequence order (the circuit then lays out a batch
//! as deposits, transfers, withdrawals; the sequencer keeps that layout equivalent to the order
//! it confirmed in). The key is the operator's own (`<home>/receipt_key`), not its chain key:
//! signing must cost microseconds per transfer.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

const DOMAIN: &[u8] = b"proof-rollup/receipt/v1";

/// A signed soft confirmation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub rollup: u32,
    /// The transaction hash (hex), [`crate::wire::tx_hash`].
    pub hash: String,
    pub batch: u64,
    pub position: u32,
    /// The operator's receipt key (hex) and its signature over [`message`] (hex).
    pub operator_key: String,
    pub signature: String,
}

/// `DOMAIN | rollup u32 LE | batch u64 LE | position u32 LE | hash`.
pub fn message(rollup: u32, hash: &[u8; 32], batch: u64, position: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + 48);
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(&rollup.to_le_bytes());
    m.extend_from_slice(&batch.to_le_bytes());
    m.extend_from_slice(&position.to_le_bytes());
    m.extend_from_slice(hash);
    m
}

/// Signs receipts.
pub struct ReceiptSigner {
    key: SigningKey,
    public_hex: String,
}

impl ReceiptSigner {
    pub fn new(key: SigningKey) -> ReceiptSigner {
        let public_hex = hex::encode(key.verifying_key().to_bytes());
        ReceiptSigner { key, public_hex }
    }

    /// The key in `path` (32 raw bytes), created (mode 0600) if missing.
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<ReceiptSigner> {
        // Only a missing key is made anew: any other failure to read it must not replace the key
        // every receipt so far was signed with.
        match std::fs::read(path) {
            Ok(b) => {
                let seed: [u8; 32] = b.as_slice().try_into().map_err(|_| {
                    std::io::Error::other(format!("{}: expected 32 bytes", path.display()))
                })?;
                return Ok(ReceiptSigner::new(SigningKey::from_bytes(&seed)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let key = SigningKey::generate(&mut rand_core::OsRng);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(&key.to_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(ReceiptSigner::new(key))
    }

    pub fn public_hex(&self) -> &str {
        &self.public_hex
    }

    pub fn sign(&self, rollup: u32, hash: &[u8; 32], batch: u64, position: u32) -> Receipt {
        let sig = self.key.sign(&message(rollup, hash, batch, position));
        Receipt {
            rollup,
            hash: hex::encode(hash),
            batch,
            position,
            operator_key: self.public_hex.clone(),
            signature: hex::encode(sig.to_bytes()),
        }
    }
}

impl Receipt {
    /// Whether `operator_key` (hex) signed this receipt.
    pub fn verify(&self, operator_key: &str) -> bool {
        let parse = || -> Option<bool> {
            let key: [u8; 32] = hex::decode(operator_key).ok()?.try_into().ok()?;
            let key = VerifyingKey::from_bytes(&key).ok()?;
            let hash: [u8; 32] = hex::decode(&self.hash).ok()?.try_into().ok()?;
            let sig: [u8; 64] = hex::decode(&self.signature).ok()?.try_into().ok()?;
            let sig = ed25519_dalek::Signature::from_bytes(&sig);
            Some(
                key.verify(
                    &message(self.rollup, &hash, self.batch, self.position),
                    &sig,
                )
                .is_ok(),
            )
        };
        parse().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_verifies_under_its_key_only_and_binds_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipt_key");
        let s = ReceiptSigner::load_or_create(&path).unwrap();
        let again = ReceiptSigner::load_or_create(&path).unwrap();
        assert_eq!(s.public_hex(), again.public_hex(), "the key persists");
        let r = s.sign(3, &[7; 32], 11, 5);
        assert!(r.verify(s.public_hex()));
        let other = ReceiptSigner::new(SigningKey::from_bytes(&[9; 32]));
        assert!(!r.verify(other.public_hex()));
        let mut bad = r.clone();
        bad.position += 1;
        assert!(!bad.verify(s.public_hex()));
        let mut moved = r.clone();
        moved.batch = 12;
        assert!(!moved.verify(s.public_hex()));
        // a key that cannot be read (here: a symlink loop, which a rename would replace) is an
        // error, never a new key
        let blocked = dir.path().join("blocked");
        std::os::unix::fs::symlink(&blocked, &blocked).unwrap();
        assert!(ReceiptSigner::load_or_create(&blocked).is_err());
        assert!(
            std::fs::symlink_metadata(&blocked)
                .unwrap()
                .file_type()
                .is_symlink(),
            "nothing replaced it"
        );
        let mut garbage = r;
        garbage.signature = "zz".into();
        assert!(!garbage.verify(s.public_hex()));
    }
}
