//! Account key types: secp256k1 (Cosmos wallets), ed25519, ML-DSA-65 (FIPS 204) and the hybrid
//! ed25519 + ML-DSA-65, with their protobuf `Any` encodings, address derivation and signatures.
//!
//! Every signature is over the transaction's SIGN_MODE_DIRECT sign bytes, which contain the chain
//! id, so a signature is bound to one chain. ML-DSA signatures additionally carry the FIPS 204
//! context string [`MLDSA_CONTEXT`]. A hybrid signature verifies only if both halves verify over
//! the same message: an attacker must break both schemes.

use std::fmt;
use std::str::FromStr;

use cosmos_sdk_proto::Any;
use ed25519_dalek::Signer as _;
use ml_dsa::MlDsa65;
use prost::Message;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::address::Address;
use crate::proto;

pub const SECP256K1_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";
pub const ED25519_TYPE_URL: &str = "/cosmos.crypto.ed25519.PubKey";
pub const MLDSA65_TYPE_URL: &str = "/proof.crypto.mldsa65.PubKey";
pub const HYBRID_TYPE_URL: &str = "/proof.crypto.hybrid.PubKey";

/// FIPS 204 context string for every ML-DSA signature on a Proof chain transaction.
pub const MLDSA_CONTEXT: &[u8] = b"proof-chain/tx/v1";

pub const MLDSA65_PUBKEY_LEN: usize = 1952;
pub const MLDSA65_SIG_LEN: usize = 3309;
pub const ED25519_SIG_LEN: usize = 64;
pub const HYBRID_SIG_LEN: usize = ED25519_SIG_LEN + MLDSA65_SIG_LEN;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("unsupported public key type {0:?}")]
    UnsupportedKeyType(String),
    #[error("malformed {kind} public key: {reason}")]
    MalformedKey { kind: &'static str, reason: String },
    #[error("malformed {kind} signature: expected {expected} bytes, got {got}")]
    SignatureLength {
        kind: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("{0} signature does not verify")]
    BadSignature(&'static str),
    #[error("unknown key type {0:?}: use secp256k1, ed25519, mldsa65 or hybrid")]
    UnknownKeyType(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Secp256k1,
    Ed25519,
    Mldsa65,
    Hybrid,
}

impl KeyType {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyType::Secp256k1 => "secp256k1",
            KeyType::Ed25519 => "ed25519",
            KeyType::Mldsa65 => "mldsa65",
            KeyType::Hybrid => "hybrid",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "secp256k1" => Ok(KeyType::Secp256k1),
            "ed25519" => Ok(KeyType::Ed25519),
            "mldsa65" | "ml-dsa-65" => Ok(KeyType::Mldsa65),
            "hybrid" => Ok(KeyType::Hybrid),
            _ => Err(CryptoError::UnknownKeyType(s.to_string())),
        }
    }
}

/// A public key as carried in `SignerInfo.public_key` and stored in accounts.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    Secp256k1([u8; 33]),
    Ed25519([u8; 32]),
    Mldsa65(Box<[u8]>),
    Hybrid {
        ed25519: [u8; 32],
        mldsa65: Box<[u8]>,
    },
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.key_type(), self.address())
    }
}

fn truncated_sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()[..20].to_vec()
}

impl PublicKey {
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Secp256k1(_) => KeyType::Secp256k1,
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::Mldsa65(_) => KeyType::Mldsa65,
            PublicKey::Hybrid { .. } => KeyType::Hybrid,
        }
    }

    /// The account address this key controls. secp256k1 and ed25519 follow the Cosmos SDK so
    /// existing wallets derive the same address; post-quantum keys hash the type URL in too, so
    /// no two key types can ever share an address.
    pub fn address(&self) -> Address {
        let bytes = match self {
            PublicKey::Secp256k1(pk) => {
                use ripemd::Ripemd160;
                Ripemd160::digest(Sha256::digest(pk)).to_vec()
            }
            PublicKey::Ed25519(pk) => truncated_sha256(&[pk]),
            PublicKey::Mldsa65(pk) => truncated_sha256(&[MLDSA65_TYPE_URL.as_bytes(), &[0], pk]),
            PublicKey::Hybrid { ed25519, mldsa65 } => {
                truncated_sha256(&[HYBRID_TYPE_URL.as_bytes(), &[0], ed25519, mldsa65])
            }
        };
        Address::from_bytes(&bytes).expect("20-byte digest")
    }

    pub fn to_any(&self) -> Any {
        let (type_url, value) = match self {
            PublicKey::Secp256k1(pk) => (
                SECP256K1_TYPE_URL,
                cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey { key: pk.to_vec() }
                    .encode_to_vec(),
            ),
            PublicKey::Ed25519(pk) => (
                ED25519_TYPE_URL,
                cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey { key: pk.to_vec() }
                    .encode_to_vec(),
            ),
            PublicKey::Mldsa65(pk) => (
                MLDSA65_TYPE_URL,
                proto::MlDsa65PubKey { key: pk.to_vec() }.encode_to_vec(),
            ),
            PublicKey::Hybrid { ed25519, mldsa65 } => (
                HYBRID_TYPE_URL,
                proto::HybridPubKey {
                    ed25519: ed25519.to_vec(),
                    mldsa65: mldsa65.to_vec(),
                }
                .encode_to_vec(),
            ),
        };
        Any {
            type_url: type_url.to_string(),
            value,
        }
    }

    pub fn from_any(any: &Any) -> Result<Self, CryptoError> {
        fn fixed<const N: usize>(kind: &'static str, b: &[u8]) -> Result<[u8; N], CryptoError> {
            b.try_into().map_err(|_| CryptoError::MalformedKey {
                kind,
                reason: format!("expected {N} bytes, got {}", b.len()),
            })
        }
        let malformed = |kind, e: prost::DecodeError| CryptoError::MalformedKey {
            kind,
            reason: e.to_string(),
        };
        match any.type_url.as_str() {
            SECP256K1_TYPE_URL => {
                let k = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(
                    any.value.as_slice(),
                )
                .map_err(|e| malformed("secp256k1", e))?;
                let pk = fixed::<33>("secp256k1", &k.key)?;
                k256::ecdsa::VerifyingKey::from_sec1_bytes(&pk).map_err(|e| {
                    CryptoError::MalformedKey {
                        kind: "secp256k1",
                        reason: e.to_string(),
                    }
                })?;
                Ok(PublicKey::Secp256k1(pk))
            }
            ED25519_TYPE_URL => {
                let k =
                    cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey::decode(any.value.as_slice())
                        .map_err(|e| malformed("ed25519", e))?;
                Ok(PublicKey::Ed25519(fixed::<32>("ed25519", &k.key)?))
            }
            MLDSA65_TYPE_URL => {
                let k = proto::MlDsa65PubKey::decode(any.value.as_slice())
                    .map_err(|e| malformed("mldsa65", e))?;
                check_mldsa_len(&k.key)?;
                Ok(PublicKey::Mldsa65(k.key.into_boxed_slice()))
            }
            HYBRID_TYPE_URL => {
                let k = proto::HybridPubKey::decode(any.value.as_slice())
                    .map_err(|e| malformed("hybrid", e))?;
                check_mldsa_len(&k.mldsa65)?;
                Ok(PublicKey::Hybrid {
                    ed25519: fixed::<32>("hybrid/ed25519", &k.ed25519)?,
                    mldsa65: k.mldsa65.into_boxed_slice(),
                })
            }
            other => Err(CryptoError::UnsupportedKeyType(other.to_string())),
        }
    }

    /// Verifies `sig` over `msg` (the SIGN_MODE_DIRECT sign bytes).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        match self {
            PublicKey::Secp256k1(pk) => verify_secp256k1(pk, msg, sig),
            PublicKey::Ed25519(pk) => verify_ed25519(pk, msg, sig),
            PublicKey::Mldsa65(pk) => verify_mldsa65(pk, msg, sig),
            PublicKey::Hybrid { ed25519, mldsa65 } => {
                if sig.len() != HYBRID_SIG_LEN {
                    return Err(CryptoError::SignatureLength {
                        kind: "hybrid",
                        expected: HYBRID_SIG_LEN,
                        got: sig.len(),
                    });
                }
                let (ed_sig, pq_sig) = sig.split_at(ED25519_SIG_LEN);
                verify_ed25519(ed25519, msg, ed_sig)?;
                verify_mldsa65(mldsa65, msg, pq_sig)
            }
        }
    }
}

fn check_mldsa_len(key: &[u8]) -> Result<(), CryptoError> {
    if key.len() != MLDSA65_PUBKEY_LEN {
        return Err(CryptoError::MalformedKey {
            kind: "mldsa65",
            reason: format!("expected {MLDSA65_PUBKEY_LEN} bytes, got {}", key.len()),
        });
    }
    Ok(())
}

fn verify_secp256k1(pk: &[u8; 33], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    use k256::ecdsa::signature::Verifier;
    if sig.len() != 64 {
        return Err(CryptoError::SignatureLength {
            kind: "secp256k1",
            expected: 64,
            got: sig.len(),
        });
    }
    let vk =
        k256::ecdsa::VerifyingKey::from_sec1_bytes(pk).map_err(|e| CryptoError::MalformedKey {
            kind: "secp256k1",
            reason: e.to_string(),
        })?;
    let s = k256::ecdsa::Signature::from_slice(sig)
        .map_err(|_| CryptoError::BadSignature("secp256k1"))?;
    // Cosmos accepts only low-S signatures, so a signature cannot be malleated into a second valid one.
    if s.normalize_s().is_some() {
        return Err(CryptoError::BadSignature("secp256k1"));
    }
    vk.verify(msg, &s)
        .map_err(|_| CryptoError::BadSignature("secp256k1"))
}

fn verify_ed25519(pk: &[u8; 32], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    let sig: [u8; 64] = sig.try_into().map_err(|_| CryptoError::SignatureLength {
        kind: "ed25519",
        expected: 64,
        got: sig.len(),
    })?;
    let vk =
        ed25519_dalek::VerifyingKey::from_bytes(pk).map_err(|e| CryptoError::MalformedKey {
            kind: "ed25519",
            reason: e.to_string(),
        })?;
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| CryptoError::BadSignature("ed25519"))
}

fn verify_mldsa65(pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    let enc_pk = ml_dsa::EncodedVerifyingKey::<MlDsa65>::try_from(pk).map_err(|_| {
        CryptoError::MalformedKey {
            kind: "mldsa65",
            reason: format!("{} bytes", pk.len()),
        }
    })?;
    let vk = ml_dsa::VerifyingKey::<MlDsa65>::decode(&enc_pk);
    let sig =
        ml_dsa::Signature::<MlDsa65>::try_from(sig).map_err(|_| CryptoError::SignatureLength {
            kind: "mldsa65",
            expected: MLDSA65_SIG_LEN,
            got: sig.len(),
        })?;
    if vk.verify_with_context(msg, MLDSA_CONTEXT, &sig) {
        Ok(())
    } else {
        Err(CryptoError::BadSignature("mldsa65"))
    }
}

/// A signing key. Secret material is zeroized on drop by the underlying crates.
pub enum PrivateKey {
    Secp256k1(k256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    Mldsa65(Box<ml_dsa::SigningKey<MlDsa65>>),
    Hybrid(ed25519_dalek::SigningKey, Box<ml_dsa::SigningKey<MlDsa65>>),
}

/// Derivation of each key type from a BIP-39 seed. secp256k1 follows BIP-32/44 with the Cosmos
/// coin type 118 so Keplr and cosmjs derive the same key; the others use HKDF-SHA256 of the seed
/// with a per-type label, since neither SLIP-10 nor BIP-32 defines ML-DSA.
pub const SECP256K1_HD_PATH: &str = "m/44'/118'/0'/0/0";

pub(crate) fn hkdf32(seed: &[u8], label: &str) -> Zeroizing<[u8; 32]> {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"proof-chain key derivation"), seed);
    let mut out = Zeroizing::new([0u8; 32]);
    hk.expand(label.as_bytes(), out.as_mut())
        .expect("32 bytes is a valid HKDF length");
    out
}

impl PrivateKey {
    /// Derives a key of `kind` from a BIP-39 seed (64 bytes) for account `index`.
    pub fn from_seed(kind: KeyType, seed: &[u8], index: u32) -> anyhow::Result<Self> {
        Ok(match kind {
            KeyType::Secp256k1 => {
                let path = format!("m/44'/118'/0'/0/{index}");
                let xprv = bip32::XPrv::derive_from_path(seed, &path.parse()?)?;
                PrivateKey::Secp256k1(xprv.private_key().clone())
            }
            KeyType::Ed25519 => PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                &hkdf32(seed, &format!("ed25519/{index}")),
            )),
            KeyType::Mldsa65 => {
                PrivateKey::Mldsa65(mldsa_from_seed(&hkdf32(seed, &format!("mldsa65/{index}"))))
            }
            KeyType::Hybrid => PrivateKey::Hybrid(
                ed25519_dalek::SigningKey::from_bytes(&hkdf32(
                    seed,
                    &format!("hybrid/ed25519/{index}"),
                )),
                mldsa_from_seed(&hkdf32(seed, &format!("hybrid/mldsa65/{index}"))),
            ),
        })
    }

    /// A fresh random key (tests and load generation).
    pub fn generate(kind: KeyType) -> Self {
        let mut seed = Zeroizing::new([0u8; 64]);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, seed.as_mut());
        Self::from_seed(kind, seed.as_ref(), 0).expect("derivation from random seed")
    }

    pub fn key_type(&self) -> KeyType {
        match self {
            PrivateKey::Secp256k1(_) => KeyType::Secp256k1,
            PrivateKey::Ed25519(_) => KeyType::Ed25519,
            PrivateKey::Mldsa65(_) => KeyType::Mldsa65,
            PrivateKey::Hybrid(..) => KeyType::Hybrid,
        }
    }

    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Secp256k1(sk) => {
                let point = sk.verifying_key().to_encoded_point(true);
                let mut pk = [0u8; 33];
                pk.copy_from_slice(point.as_bytes());
                PublicKey::Secp256k1(pk)
            }
            PrivateKey::Ed25519(sk) => PublicKey::Ed25519(sk.verifying_key().to_bytes()),
            PrivateKey::Mldsa65(sk) => PublicKey::Mldsa65(mldsa_public(sk)),
            PrivateKey::Hybrid(ed, pq) => PublicKey::Hybrid {
                ed25519: ed.verifying_key().to_bytes(),
                mldsa65: mldsa_public(pq),
            },
        }
    }

    pub fn address(&self) -> Address {
        self.public_key().address()
    }

    /// Signs `msg` (sign bytes). Deterministic for every key type.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            PrivateKey::Secp256k1(sk) => {
                use k256::ecdsa::signature::Signer;
                let sig: k256::ecdsa::Signature = sk.sign(msg);
                let sig = sig.normalize_s().unwrap_or(sig);
                sig.to_bytes().to_vec()
            }
            PrivateKey::Ed25519(sk) => sk.sign(msg).to_bytes().to_vec(),
            PrivateKey::Mldsa65(sk) => mldsa_sign(sk, msg),
            PrivateKey::Hybrid(ed, pq) => {
                let mut out = ed.sign(msg).to_bytes().to_vec();
                out.extend_from_slice(&mldsa_sign(pq, msg));
                out
            }
        }
    }
}

fn mldsa_from_seed(xi: &[u8; 32]) -> Box<ml_dsa::SigningKey<MlDsa65>> {
    let seed = ml_dsa::B32::from(*xi);
    Box::new(ml_dsa::SigningKey::<MlDsa65>::from_seed(&seed))
}

fn mldsa_public(sk: &ml_dsa::SigningKey<MlDsa65>) -> Box<[u8]> {
    use ml_dsa::signature::Keypair;
    sk.verifying_key().encode().to_vec().into_boxed_slice()
}

fn mldsa_sign(sk: &ml_dsa::SigningKey<MlDsa65>, msg: &[u8]) -> Vec<u8> {
    sk.expanded_key()
        .sign_deterministic(msg, MLDSA_CONTEXT)
        .expect("context string is shorter than 255 bytes")
        .encode()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_type_signs_verifies_and_roundtrips() {
        let msg = b"sign bytes bound to chain proof-1";
        for kind in [
            KeyType::Secp256k1,
            KeyType::Ed25519,
            KeyType::Mldsa65,
            KeyType::Hybrid,
        ] {
            let sk = PrivateKey::generate(kind);
            let pk = sk.public_key();
            let sig = sk.sign(msg);
            pk.verify(msg, &sig).unwrap();
            assert!(pk.verify(b"other message", &sig).is_err(), "{kind}");
            let back = PublicKey::from_any(&pk.to_any()).unwrap();
            assert_eq!(back, pk);
            assert_eq!(back.address(), sk.address());
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(pk.verify(msg, &bad).is_err(), "{kind} tampered");
            assert!(
                pk.verify(msg, &sig[..sig.len() - 1]).is_err(),
                "{kind} truncated"
            );
        }
    }

    #[test]
    fn hybrid_needs_both_halves() {
        let msg = b"m";
        let sk = PrivateKey::generate(KeyType::Hybrid);
        let pk = sk.public_key();
        let mut sig = sk.sign(msg);
        sig[0] ^= 1; // break the ed25519 half only
        assert_eq!(
            pk.verify(msg, &sig),
            Err(CryptoError::BadSignature("ed25519"))
        );
        let mut sig = sk.sign(msg);
        sig[100] ^= 1; // break the ML-DSA half only
        assert_eq!(
            pk.verify(msg, &sig),
            Err(CryptoError::BadSignature("mldsa65"))
        );
    }

    #[test]
    fn secp256k1_matches_cosmos_derivation() {
        // Well-known test mnemonic; cosmjs derives proof1... from m/44'/118'/0'/0/0 for this phrase.
        let m = bip39::Mnemonic::parse("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about").unwrap();
        let sk = PrivateKey::from_seed(KeyType::Secp256k1, &m.to_seed(""), 0).unwrap();
        assert_eq!(
            sk.address().to_bech32("cosmos"),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
    }

    #[test]
    fn high_s_secp256k1_rejected() {
        let sk = PrivateKey::generate(KeyType::Secp256k1);
        let msg = b"x";
        let sig = sk.sign(msg);
        let s = k256::ecdsa::Signature::from_slice(&sig).unwrap();
        let (r, s_val) = s.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -*s_val).unwrap();
        assert!(sk.public_key().verify(msg, &high.to_bytes()).is_err());
    }
}
