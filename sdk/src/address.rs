//! Account addresses: 20 bytes (or 32 for module/contract accounts), shown as bech32 with `proof`.

use std::fmt;
use std::str::FromStr;

use bech32::{Bech32, Hrp};
use thiserror::Error;

use crate::ACCOUNT_PREFIX;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AddressError {
    #[error("invalid bech32 address {0:?}: {1}")]
    Bech32(String, String),
    #[error("address {addr:?} has prefix {found:?}, expected {expected:?}")]
    WrongPrefix {
        addr: String,
        found: String,
        expected: String,
    },
    #[error("address must be 20 or 32 bytes, got {0}")]
    Length(usize),
}

/// A raw account address. Ordering is bytewise so addresses can key deterministic maps.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(Vec<u8>);

impl Address {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AddressError> {
        match bytes.len() {
            20 | 32 => Ok(Self(bytes.to_vec())),
            n => Err(AddressError::Length(n)),
        }
    }

    /// Address of a module account: the first 20 bytes of sha256(name), as in the Cosmos SDK.
    pub fn module(name: &str) -> Self {
        use sha2::{Digest, Sha256};
        Self(Sha256::digest(name.as_bytes())[..20].to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_bech32(&self, prefix: &str) -> String {
        // Prefix is a compile-time constant or validated by the caller; 20/32-byte data always fits.
        let hrp = Hrp::parse(prefix).unwrap_or_else(|_| Hrp::parse_unchecked(ACCOUNT_PREFIX));
        bech32::encode::<Bech32>(hrp, &self.0).unwrap_or_default()
    }

    /// Parses a bech32 address and checks its prefix.
    pub fn from_bech32(s: &str, expected_prefix: &str) -> Result<Self, AddressError> {
        let (hrp, data) =
            bech32::decode(s).map_err(|e| AddressError::Bech32(s.to_string(), e.to_string()))?;
        if hrp.as_str() != expected_prefix {
            return Err(AddressError::WrongPrefix {
                addr: s.to_string(),
                found: hrp.to_string(),
                expected: expected_prefix.to_string(),
            });
        }
        Self::from_bytes(&data)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32(ACCOUNT_PREFIX))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bech32(s, ACCOUNT_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_prefix_check() {
        let a = Address::from_bytes(&[7u8; 20]).unwrap();
        let s = a.to_string();
        assert!(s.starts_with("proof1"));
        assert_eq!(s.parse::<Address>().unwrap(), a);
        let cosmos = a.to_bech32("cosmos");
        assert!(matches!(
            cosmos.parse::<Address>(),
            Err(AddressError::WrongPrefix { .. })
        ));
        assert!(matches!(
            Address::from_bytes(&[1; 5]),
            Err(AddressError::Length(5))
        ));
        assert!("proof1qqqq".parse::<Address>().is_err());
    }
}
