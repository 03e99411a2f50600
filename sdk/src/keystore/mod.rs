//! An encrypted on-disk keystore: one JSON file per key holding its BIP-39 mnemonic, encrypted
//! with XChaCha20-Poly1305 under a key stretched from the password with argon2id.
//!
//! The mnemonic (not a raw key) is what is stored, so `export` can show it and any key type can
//! be re-derived from it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{KeyType, PrivateKey};

mod error;
mod files;
mod mnemonic;
mod password;
mod rollup;
mod sealed;

pub use error::KeystoreError;
use files::{key_names, key_path, read_json, remove, write_json};
pub use mnemonic::new_mnemonic;
use mnemonic::parse_mnemonic;
pub use password::{given_password, read_password_file, PASSWORD_ENV};
pub use rollup::{RollupKeyFile, RollupKeyring, ROLLUP_KEY_TYPE};
pub use sealed::{KdfParams, Sealed};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyFile {
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    pub address: String,
    pub index: u32,
    #[serde(flatten)]
    pub sealed: Sealed,
}

pub struct Keystore {
    dir: PathBuf,
    /// Lower argon2 costs for tests only.
    fast_kdf: bool,
}

impl Keystore {
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            fast_kdf: false,
        }
    }

    /// A keystore with cheap key stretching, for tests and throwaway localnet keys.
    pub fn open_insecure_fast(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            fast_kdf: true,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        key_path(&self.dir, name)
    }

    /// The keyring of rollup (L3) account keys, `<dir>/rollup/`: a name there is apart from the
    /// chain key of the same name.
    pub fn rollup(&self) -> RollupKeyring {
        RollupKeyring::new(self.dir.join("rollup"), self.fast_kdf)
    }

    /// Creates a new key from a fresh 24-word mnemonic; returns the key file and the mnemonic.
    pub fn create(
        &self,
        name: &str,
        kind: KeyType,
        password: &str,
    ) -> Result<(KeyFile, Zeroizing<String>), KeystoreError> {
        let phrase = new_mnemonic()?;
        let file = self.import_mnemonic(name, kind, &phrase, 0, password)?;
        Ok((file, phrase))
    }

    /// Stores a key recovered from an existing mnemonic.
    pub fn import_mnemonic(
        &self,
        name: &str,
        kind: KeyType,
        phrase: &str,
        index: u32,
        password: &str,
    ) -> Result<KeyFile, KeystoreError> {
        let path = self.path(name)?;
        if path.exists() {
            return Err(KeystoreError::Exists(name.to_string()));
        }
        let (phrase, seed) = parse_mnemonic(phrase)?;
        let key = PrivateKey::from_seed(kind, seed.as_ref(), index)
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
        let sealed = Sealed::seal(&path, phrase.as_bytes(), password, self.fast_kdf)?;
        let file = KeyFile {
            name: name.to_string(),
            key_type: kind,
            address: key.address().to_string(),
            index,
            sealed,
        };
        write_json(&self.dir, &path, &file)?;
        Ok(file)
    }

    /// Stores an exported key file as-is (it stays encrypted under its original password).
    pub fn import_file(
        &self,
        file: &KeyFile,
        name: Option<&str>,
    ) -> Result<KeyFile, KeystoreError> {
        let mut file = file.clone();
        if let Some(n) = name {
            file.name = n.to_string();
        }
        let path = self.path(&file.name)?;
        if path.exists() {
            return Err(KeystoreError::Exists(file.name.clone()));
        }
        write_json(&self.dir, &path, &file)?;
        Ok(file)
    }

    pub fn get(&self, name: &str) -> Result<KeyFile, KeystoreError> {
        read_json(&self.path(name)?, || {
            KeystoreError::NotFound(name.to_string())
        })
    }

    pub fn list(&self) -> Result<Vec<KeyFile>, KeystoreError> {
        key_names(&self.dir)?.iter().map(|n| self.get(n)).collect()
    }

    pub fn delete(&self, name: &str) -> Result<(), KeystoreError> {
        remove(&self.path(name)?, || {
            KeystoreError::NotFound(name.to_string())
        })
    }

    /// Decrypts the mnemonic of a key.
    pub fn mnemonic(&self, name: &str, password: &str) -> Result<Zeroizing<String>, KeystoreError> {
        let file = self.get(name)?;
        decrypt_mnemonic(&file, password)
    }

    /// Decrypts and derives the signing key.
    pub fn signing_key(&self, name: &str, password: &str) -> Result<PrivateKey, KeystoreError> {
        let file = self.get(name)?;
        let (_, seed) = parse_mnemonic(&decrypt_mnemonic(&file, password)?)?;
        PrivateKey::from_seed(file.key_type, seed.as_ref(), file.index)
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))
    }
}

/// Decrypts the mnemonic of a key file.
pub fn decrypt_mnemonic(
    file: &KeyFile,
    password: &str,
) -> Result<Zeroizing<String>, KeystoreError> {
    file.sealed.open(&file.name, password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_unlock_export_delete() {
        let dir = std::env::temp_dir().join(format!("proof-ks-{}", std::process::id()));
        let ks = Keystore::open_insecure_fast(&dir);
        let (file, phrase) = ks.create("alice", KeyType::Hybrid, "pw").unwrap();
        assert_eq!(phrase.split_whitespace().count(), 24);
        assert!(matches!(
            ks.create("alice", KeyType::Hybrid, "pw"),
            Err(KeystoreError::Exists(_))
        ));
        assert!(matches!(
            ks.signing_key("alice", "nope"),
            Err(KeystoreError::WrongPassword(_))
        ));
        let key = ks.signing_key("alice", "pw").unwrap();
        assert_eq!(key.address().to_string(), file.address);
        assert_eq!(*ks.mnemonic("alice", "pw").unwrap(), *phrase);
        // Same mnemonic imported as another name derives the same address.
        let again = ks
            .import_mnemonic("alice2", KeyType::Hybrid, &phrase, 0, "pw2")
            .unwrap();
        assert_eq!(again.address, file.address);
        assert_eq!(ks.list().unwrap().len(), 2);
        ks.delete("alice").unwrap();
        assert!(matches!(ks.get("alice"), Err(KeystoreError::NotFound(_))));
        assert!(matches!(ks.get("../etc"), Err(KeystoreError::BadName(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
