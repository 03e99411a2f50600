//! A bech32 [`Api`]: canonical addresses are the raw bytes, human ones `prefix1...`.

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};

use crate::backend::Api;

/// Shortest and longest canonical address accepted (20-byte accounts, 32-byte contracts).
pub const CANONICAL_MIN: usize = 1;
pub const CANONICAL_MAX: usize = 64;

#[derive(Clone, Debug)]
pub struct Bech32Api {
    hrp: Hrp,
}

impl Bech32Api {
    pub fn new(prefix: &str) -> Self {
        Bech32Api {
            hrp: Hrp::parse(prefix).expect("valid bech32 prefix"),
        }
    }
}

impl Api for Bech32Api {
    fn addr_validate(&self, human: &str) -> Result<(), String> {
        let canonical = self.addr_canonicalize(human)?;
        let normalized = self.addr_humanize(&canonical)?;
        if normalized != human {
            return Err("Address is not normalized".to_string());
        }
        Ok(())
    }

    fn addr_canonicalize(&self, human: &str) -> Result<Vec<u8>, String> {
        if human.is_empty() {
            return Err("Input is empty".to_string());
        }
        let parsed = CheckedHrpstring::new::<Bech32>(human)
            .map_err(|e| format!("Invalid bech32 address: {e}"))?;
        if parsed.hrp() != self.hrp {
            return Err(format!(
                "Wrong address prefix: expected {}, got {}",
                self.hrp,
                parsed.hrp()
            ));
        }
        let bytes: Vec<u8> = parsed.byte_iter().collect();
        if !(CANONICAL_MIN..=CANONICAL_MAX).contains(&bytes.len()) {
            return Err(format!("Invalid canonical address length {}", bytes.len()));
        }
        Ok(bytes)
    }

    fn addr_humanize(&self, canonical: &[u8]) -> Result<String, String> {
        if !(CANONICAL_MIN..=CANONICAL_MAX).contains(&canonical.len()) {
            return Err(format!(
                "Invalid canonical address length {}",
                canonical.len()
            ));
        }
        bech32::encode::<Bech32>(self.hrp, canonical).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_normalization() {
        let api = Bech32Api::new("proof");
        let human = bech32::encode::<Bech32>(Hrp::parse("proof").unwrap(), &[7u8; 20]).unwrap();
        assert_eq!(api.addr_canonicalize(&human).unwrap(), vec![7u8; 20]);
        assert!(api.addr_validate(&human).is_ok());
        assert_eq!(
            api.addr_validate(&human.to_uppercase()).unwrap_err(),
            "Address is not normalized"
        );
        let other = bech32::encode::<Bech32>(Hrp::parse("cosmos").unwrap(), &[7u8; 20]).unwrap();
        assert!(api
            .addr_canonicalize(&other)
            .unwrap_err()
            .contains("prefix"));
        assert!(api.addr_humanize(&[]).is_err());
        assert!(api.addr_humanize(&[1u8; 65]).is_err());
    }
}
