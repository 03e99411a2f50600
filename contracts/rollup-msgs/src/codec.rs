//! JSON encodings of the messages' byte and amount fields.

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 32 bytes as 64 hex characters (roots, digests, public key coordinates: little-endian field
/// elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Hex32(pub [u8; 32]);

impl Serialize for Hex32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Hex32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out)
            .map_err(|_| serde::de::Error::custom("expected 64 hex characters"))?;
        Ok(Hex32(out))
    }
}

/// Bytes as standard base64 (cosmwasm's `Binary` encoding): batch data, proofs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Base64(pub Vec<u8>);

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Base64)
            .map_err(|_| serde::de::Error::custom("invalid base64"))
    }
}

/// A u128 as a decimal string (cosmwasm's `Uint128` encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct U128(pub u128);

impl Serialize for U128 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for U128 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map(U128)
            .map_err(|_| serde::de::Error::custom("expected a decimal u128 string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_as_their_json_strings() {
        let h = Hex32([0xab; 32]);
        let j = serde_json::to_string(&h).unwrap();
        assert_eq!(j, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<Hex32>(&j).unwrap(), h);
        assert!(serde_json::from_str::<Hex32>("\"abcd\"").is_err());
        let b = Base64(vec![1, 2, 3]);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"AQID\"");
        assert_eq!(serde_json::from_str::<Base64>("\"AQID\"").unwrap(), b);
        assert!(serde_json::from_str::<Base64>("\"*\"").is_err());
        let n = U128(u128::MAX);
        let j = serde_json::to_string(&n).unwrap();
        assert_eq!(j, format!("\"{}\"", u128::MAX));
        assert_eq!(serde_json::from_str::<U128>(&j).unwrap(), n);
        assert!(serde_json::from_str::<U128>("\"-1\"").is_err());
    }
}
