//! Rollup (L3) account keys: Schnorr keys over Vesta, kept like chain keys (the mnemonic, sealed)
//! in `<keyring>/rollup/`.
//!
//! The 32-byte Schnorr seed is HKDF-SHA256 of the BIP-39 seed with the label
//! `rollup-schnorr/{index}`, the same construction as the chain's ed25519 and ML-DSA keys. The
//! curve arithmetic lives in `proof-zk`, which this crate does not depend on, so the caller
//! derives the public key from the seed ([`RollupKeyring::import_mnemonic`] takes it as a
//! function) and the file records it for listing without a password.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::KeystoreError;
use super::files::{key_names, key_path, read_json, remove, write_json};
use super::mnemonic::{new_mnemonic, parse_mnemonic};
use super::sealed::Sealed;
use crate::crypto::hkdf32;

/// The `type` of every rollup key file.
pub const ROLLUP_KEY_TYPE: &str = "schnorr-vesta";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RollupKeyFile {
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: String,
    /// The public key as the operator's API and `proof tx rollup deposit --pubkey` write it:
    /// `X:Y`, two 64-hex-digit little-endian field elements.
    pub pubkey: String,
    pub index: u32,
    #[serde(flatten)]
    pub sealed: Sealed,
}

pub struct RollupKeyring {
    dir: PathBuf,
    fast_kdf: bool,
}

impl RollupKeyring {
    pub(super) fn new(dir: PathBuf, fast_kdf: bool) -> Self {
        RollupKeyring { dir, fast_kdf }
    }

    fn missing(name: &str) -> impl FnOnce() -> KeystoreError + '_ {
        move || KeystoreError::NoRollupKey(name.to_string())
    }

    /// A key from a fresh 24-word mnemonic; returns its file and the mnemonic.
    pub fn create(
        &self,
        name: &str,
        password: &str,
        public_key: impl FnOnce(&[u8; 32]) -> String,
    ) -> Result<(RollupKeyFile, Zeroizing<String>), KeystoreError> {
        let phrase = new_mnemonic()?;
        let file = self.import_mnemonic(name, &phrase, 0, password, public_key)?;
        Ok((file, phrase))
    }

    /// Stores the key `phrase` derives for account `index`; `public_key` maps its Schnorr seed
    /// to `X:Y`.
    pub fn import_mnemonic(
        &self,
        name: &str,
        phrase: &str,
        index: u32,
        password: &str,
        public_key: impl FnOnce(&[u8; 32]) -> String,
    ) -> Result<RollupKeyFile, KeystoreError> {
        let path = key_path(&self.dir, name)?;
        if path.exists() {
            return Err(KeystoreError::Exists(name.to_string()));
        }
        let (phrase, seed) = parse_mnemonic(phrase)?;
        let pubkey = public_key(&schnorr_seed(seed.as_ref(), index));
        let file = RollupKeyFile {
            name: name.to_string(),
            key_type: ROLLUP_KEY_TYPE.to_string(),
            pubkey,
            index,
            sealed: Sealed::seal(&path, phrase.as_bytes(), password, self.fast_kdf)?,
        };
        write_json(&self.dir, &path, &file)?;
        Ok(file)
    }

    pub fn get(&self, name: &str) -> Result<RollupKeyFile, KeystoreError> {
        let path = key_path(&self.dir, name)?;
        let file: RollupKeyFile = read_json(&path, Self::missing(name))?;
        if file.key_type != ROLLUP_KEY_TYPE {
            return Err(KeystoreError::Corrupt {
                path,
                reason: format!("type {:?} is not {ROLLUP_KEY_TYPE:?}", file.key_type),
            });
        }
        Ok(file)
    }

    pub fn list(&self) -> Result<Vec<RollupKeyFile>, KeystoreError> {
        key_names(&self.dir)?.iter().map(|n| self.get(n)).collect()
    }

    pub fn delete(&self, name: &str) -> Result<(), KeystoreError> {
        remove(&key_path(&self.dir, name)?, Self::missing(name))
    }

    pub fn mnemonic(&self, name: &str, password: &str) -> Result<Zeroizing<String>, KeystoreError> {
        self.get(name)?.sealed.open(name, password)
    }

    /// Decrypts the key and returns its 32-byte Schnorr seed (`proof_zk::SecretKey::from_seed`).
    pub fn seed(&self, name: &str, password: &str) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
        self.seed_of(&self.get(name)?, password)
    }

    /// [`RollupKeyring::seed`] of a key file already read.
    pub fn seed_of(
        &self,
        file: &RollupKeyFile,
        password: &str,
    ) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
        let (_, seed) = parse_mnemonic(&file.sealed.open(&file.name, password)?)?;
        Ok(schnorr_seed(seed.as_ref(), file.index))
    }
}

fn schnorr_seed(bip39_seed: &[u8], index: u32) -> Zeroizing<[u8; 32]> {
    hkdf32(bip39_seed, &format!("rollup-schnorr/{index}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::Keystore;

    const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
        abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
        abandon abandon abandon art";

    fn hex_pub(seed: &[u8; 32]) -> String {
        hex::encode(seed)
    }

    #[test]
    fn rollup_keys_live_apart_from_chain_keys_and_derive_per_index() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open_insecure_fast(dir.path());
        let rk = ks.rollup();
        let a = rk
            .import_mnemonic("alice", PHRASE, 0, "pw", hex_pub)
            .unwrap();
        let b = rk
            .import_mnemonic("alice-1", PHRASE, 1, "pw", hex_pub)
            .unwrap();
        assert_ne!(a.pubkey, b.pubkey, "the index is part of the derivation");
        assert_eq!(*rk.seed("alice", "pw").unwrap(), {
            let s = hex::decode(&a.pubkey).unwrap();
            <[u8; 32]>::try_from(s.as_slice()).unwrap()
        });
        assert!(matches!(
            rk.seed("alice", "nope"),
            Err(KeystoreError::WrongPassword(_))
        ));
        assert!(matches!(
            rk.import_mnemonic("alice", PHRASE, 0, "pw", hex_pub),
            Err(KeystoreError::Exists(_))
        ));
        // A chain key of the same name is another key, and neither list shows the other's.
        ks.import_mnemonic("alice", crate::KeyType::Ed25519, PHRASE, 0, "pw")
            .unwrap();
        assert_eq!(ks.list().unwrap().len(), 1);
        let names: Vec<_> = rk.list().unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["alice", "alice-1"]);
        assert_eq!(
            *rk.mnemonic("alice", "pw").unwrap(),
            PHRASE.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        rk.delete("alice").unwrap();
        assert!(matches!(
            rk.get("alice"),
            Err(KeystoreError::NoRollupKey(_))
        ));
        assert!(ks.get("alice").is_ok());
    }

    #[test]
    fn a_chain_key_file_is_not_taken_for_a_rollup_key() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open_insecure_fast(dir.path());
        let chain = ks
            .import_mnemonic("bob", crate::KeyType::Ed25519, PHRASE, 0, "pw")
            .unwrap();
        std::fs::create_dir_all(dir.path().join("rollup")).unwrap();
        let mut v = serde_json::to_value(&chain).unwrap();
        v["pubkey"] = serde_json::json!("00:00");
        std::fs::write(
            dir.path().join("rollup/bob.key.json"),
            serde_json::to_vec(&v).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            ks.rollup().get("bob"),
            Err(KeystoreError::Corrupt { .. })
        ));
    }
}
