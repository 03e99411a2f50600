//! An encrypted on-disk keystore: one JSON file per key holding its BIP-39 mnemonic, encrypted
//! with XChaCha20-Poly1305 under a key stretched from the password with argon2id.
//!
//! The mnemonic (not a raw key) is what is stored, so `export` can show it and any key type can
//! be re-derived from it.

use std::fs;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::crypto::{KeyType, PrivateKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug, Error)]
pub enum KeystoreError {
    #[error("no key named {0:?} (see `proof keys list`)")]
    NotFound(String),
    #[error("a key named {0:?} already exists (delete it first or pick another name)")]
    Exists(String),
    #[error("wrong password for key {0:?}")]
    WrongPassword(String),
    #[error("invalid key name {0:?}: use letters, digits, '-' and '_'")]
    BadName(String),
    #[error("invalid mnemonic: {0}")]
    BadMnemonic(String),
    #[error("key file {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("keystore I/O at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// argon2id cost: 64 MiB, 3 passes (OWASP's recommended minimum is 19 MiB / 2 passes).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
    pub salt: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyFile {
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    pub address: String,
    pub index: u32,
    pub kdf: KdfParams,
    pub nonce: String,
    pub ciphertext: String,
}

pub struct Keystore {
    dir: PathBuf,
    /// Lower argon2 costs for tests only.
    fast_kdf: bool,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeystoreError + '_ {
    move |source| KeystoreError::Io {
        path: path.to_path_buf(),
        source,
    }
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
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(KeystoreError::BadName(name.to_string()));
        }
        Ok(self.dir.join(format!("{name}.key.json")))
    }

    /// Creates a new key from a fresh 24-word mnemonic; returns the key file and the mnemonic.
    pub fn create(
        &self,
        name: &str,
        kind: KeyType,
        password: &str,
    ) -> Result<(KeyFile, Zeroizing<String>), KeystoreError> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        rand_core::OsRng.fill_bytes(entropy.as_mut());
        let mnemonic = bip39::Mnemonic::from_entropy(entropy.as_ref())
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
        let phrase = Zeroizing::new(mnemonic.to_string());
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
        let mnemonic = bip39::Mnemonic::parse_normalized(phrase.trim())
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
        let seed = Zeroizing::new(mnemonic.to_seed(""));
        let key = PrivateKey::from_seed(kind, seed.as_ref(), index)
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
        let mut salt = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut salt);
        let kdf = if self.fast_kdf {
            KdfParams {
                m_cost_kib: 256,
                t_cost: 1,
                p_cost: 1,
                salt: B64.encode(salt),
            }
        } else {
            KdfParams {
                m_cost_kib: 64 * 1024,
                t_cost: 3,
                p_cost: 1,
                salt: B64.encode(salt),
            }
        };
        let cipher_key = stretch(password, &kdf).map_err(|reason| KeystoreError::Corrupt {
            path: path.clone(),
            reason,
        })?;
        let mut nonce = [0u8; 24];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(cipher_key.as_ref().into());
        let ciphertext = cipher
            .encrypt(XNonce::from_slice(&nonce), mnemonic.to_string().as_bytes())
            .map_err(|_| KeystoreError::Corrupt {
                path: path.clone(),
                reason: "encryption failed".into(),
            })?;
        let file = KeyFile {
            name: name.to_string(),
            key_type: kind,
            address: key.address().to_string(),
            index,
            kdf,
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        };
        self.write(&path, &file)?;
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
        self.write(&path, &file)?;
        Ok(file)
    }

    fn write(&self, path: &Path, file: &KeyFile) -> Result<(), KeystoreError> {
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let json = serde_json::to_vec_pretty(file).expect("key file serializes");
        // Write to a temp file and rename so a crash never leaves a half-written key.
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, json).map_err(io_err(&tmp))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, path).map_err(io_err(path))
    }

    pub fn get(&self, name: &str) -> Result<KeyFile, KeystoreError> {
        let path = self.path(name)?;
        let bytes = fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeystoreError::NotFound(name.to_string()),
            _ => KeystoreError::Io {
                path: path.clone(),
                source: e,
            },
        })?;
        serde_json::from_slice(&bytes).map_err(|e| KeystoreError::Corrupt {
            path,
            reason: e.to_string(),
        })
    }

    pub fn list(&self) -> Result<Vec<KeyFile>, KeystoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => {
                return Err(KeystoreError::Io {
                    path: self.dir.clone(),
                    source: e,
                })
            }
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(&self.dir))?;
            let fname = entry.file_name().to_string_lossy().to_string();
            if let Some(name) = fname.strip_suffix(".key.json") {
                out.push(self.get(name)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn delete(&self, name: &str) -> Result<(), KeystoreError> {
        let path = self.path(name)?;
        if !path.exists() {
            return Err(KeystoreError::NotFound(name.to_string()));
        }
        fs::remove_file(&path).map_err(io_err(&path))
    }

    /// Decrypts the mnemonic of a key.
    pub fn mnemonic(&self, name: &str, password: &str) -> Result<Zeroizing<String>, KeystoreError> {
        let file = self.get(name)?;
        decrypt_mnemonic(&file, password)
    }

    /// Decrypts and derives the signing key.
    pub fn signing_key(&self, name: &str, password: &str) -> Result<PrivateKey, KeystoreError> {
        let file = self.get(name)?;
        let phrase = decrypt_mnemonic(&file, password)?;
        let mnemonic = bip39::Mnemonic::parse_normalized(&phrase)
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
        let seed = Zeroizing::new(mnemonic.to_seed(""));
        PrivateKey::from_seed(file.key_type, seed.as_ref(), file.index)
            .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))
    }
}

fn stretch(password: &str, kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, String> {
    let salt = B64.decode(&kdf.salt).map_err(|e| e.to_string())?;
    let params =
        Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(32)).map_err(|e| e.to_string())?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), &salt, out.as_mut())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

pub fn decrypt_mnemonic(
    file: &KeyFile,
    password: &str,
) -> Result<Zeroizing<String>, KeystoreError> {
    let corrupt = |reason: String| KeystoreError::Corrupt {
        path: PathBuf::from(&file.name),
        reason,
    };
    let key = stretch(password, &file.kdf).map_err(corrupt)?;
    let nonce = B64
        .decode(&file.nonce)
        .map_err(|e| corrupt(e.to_string()))?;
    let ct = B64
        .decode(&file.ciphertext)
        .map_err(|e| corrupt(e.to_string()))?;
    if nonce.len() != 24 {
        return Err(corrupt("nonce must be 24 bytes".into()));
    }
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let pt = cipher
        .decrypt(XNonce::from_slice(&nonce), ct.as_slice())
        .map_err(|_| KeystoreError::WrongPassword(file.name.clone()))?;
    String::from_utf8(pt)
        .map(Zeroizing::new)
        .map_err(|_| corrupt("mnemonic is not UTF-8".into()))
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
