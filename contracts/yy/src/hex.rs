//! Hex, the encoding of digests here: ICS-20 denoms are upper case, HTLC hashes lower case.

const UPPER: &[u8; 16] = b"0123456789ABCDEF";
const LOWER: &[u8; 16] = b"0123456789abcdef";

fn encode(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(digits[usize::from(b >> 4)]));
        s.push(char::from(digits[usize::from(b & 0x0f)]));
    }
    s
}

pub fn upper(bytes: &[u8]) -> String {
    encode(bytes, UPPER)
}

pub fn lower(bytes: &[u8]) -> String {
    encode(bytes, LOWER)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Exactly 32 bytes from 64 hex characters of either case.
pub fn decode32(s: &str) -> Option<[u8; 32]> {
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_32_bytes_of_hex() {
        let b: [u8; 32] = core::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(decode32(&lower(&b)), Some(b));
        assert_eq!(decode32(&upper(&b)), Some(b));
        assert_eq!(upper(&[0xab, 0x01]), "AB01");
        assert_eq!(decode32(&"ab".repeat(31)), None);
        assert_eq!(decode32(&format!("{}zz", "ab".repeat(31))), None);
    }
}
