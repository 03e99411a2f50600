//! The encrypted half of every key file: a BIP-39 mnemonic under XChaCha20-Poly1305, keyed by
//! argon2id over the password.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::KeystoreError;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// argon2id cost: 64 MiB, 3 passes (OWASP's recommended minimum is 19 MiB / 2 passes).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
    pub salt: String,
}

/// The mnemonic, encrypted. Flattened into each key file, so the files keep one shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sealed {
    pub kdf: KdfParams,
    pub nonce: String,
    pub ciphertext: String,
}

impl Sealed {
    /// Encrypts `secret` under `password`; `fast` lowers the argon2 cost (tests, localnets).
    pub(super) fn seal(
        path: &Path,
        secret: &[u8],
        password: &str,
        fast: bool,
    ) -> Result<Sealed, KeystoreError> {
        let mut salt = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut salt);
        let (m_cost_kib, t_cost) = if fast { (256, 1) } else { (64 * 1024, 3) };
        let kdf = KdfParams {
            m_cost_kib,
            t_cost,
            p_cost: 1,
            salt: B64.encode(salt),
        };
        let corrupt = |reason: String| KeystoreError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let key = stretch(password, &kdf).map_err(corrupt)?;
        let mut nonce = [0u8; 24];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let ciphertext = XChaCha20Poly1305::new(key.as_ref().into())
            .encrypt(XNonce::from_slice(&nonce), secret)
            .map_err(|_| corrupt("encryption failed".into()))?;
        Ok(Sealed {
            kdf,
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        })
    }

    /// Decrypts the mnemonic of the key named `name`.
    pub fn open(&self, name: &str, password: &str) -> Result<Zeroizing<String>, KeystoreError> {
        let corrupt = |reason: String| KeystoreError::Corrupt {
            path: PathBuf::from(name),
            reason,
        };
        let key = stretch(password, &self.kdf).map_err(corrupt)?;
        let nonce = B64
            .decode(&self.nonce)
            .map_err(|e| corrupt(e.to_string()))?;
        let ct = B64
            .decode(&self.ciphertext)
            .map_err(|e| corrupt(e.to_string()))?;
        if nonce.len() != 24 {
            return Err(corrupt("nonce must be 24 bytes".into()));
        }
        let pt = XChaCha20Poly1305::new(key.as_ref().into())
            .decrypt(XNonce::from_slice(&nonce), ct.as_slice())
            .map_err(|_| KeystoreError::WrongPassword(name.to_string()))?;
        String::from_utf8(pt)
            .map(Zeroizing::new)
            .map_err(|_| corrupt("mnemonic is not UTF-8".into()))
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
