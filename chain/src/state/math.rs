//! Integer arithmetic shared by the modules: basis points, exact `a * b / c`, and the
//! SDK's 18-decimal `Dec` strings.

use thiserror::Error;

/// An intermediate product did not fit: the operation named is refused, never wrapped.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("arithmetic overflow in {0}")]
pub struct Overflow(pub &'static str);

/// Fractions are in basis points.
pub const BPS: u128 = 10_000;

/// `a * b / c` rounded down, without intermediate overflow going unnoticed.
pub fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, Overflow> {
    if c == 0 {
        return Ok(0);
    }
    a.checked_mul(b).map(|p| p / c).ok_or(Overflow("mul_div"))
}

/// Parses a Cosmos `Dec` as basis points: either a decimal ("0.05") or the 18-decimal atomics
/// integer protobuf carries ("50000000000000000"). Finer than one basis point is refused.
pub fn parse_dec_bps(s: &str) -> Result<u32, String> {
    const ATOMICS: u128 = 1_000_000_000_000_000_000;
    let atomics: u128 = if let Some((int, frac)) = s.split_once('.') {
        if frac.len() > 18 || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("invalid decimal {s:?}"));
        }
        let i: u128 = int.parse().map_err(|_| format!("invalid decimal {s:?}"))?;
        let f: u128 = format!("{frac:0<18}")
            .parse()
            .map_err(|_| format!("invalid decimal {s:?}"))?;
        i.checked_mul(ATOMICS)
            .and_then(|x| x.checked_add(f))
            .ok_or_else(|| format!("decimal {s:?} too large"))?
    } else {
        s.parse().map_err(|_| format!("invalid decimal {s:?}"))?
    };
    let per_bps = ATOMICS / BPS;
    if !atomics.is_multiple_of(per_bps) {
        return Err(format!("{s:?} is finer than one basis point"));
    }
    u32::try_from(atomics / per_bps).map_err(|_| format!("decimal {s:?} too large"))
}

/// Shares as a Cosmos `Dec` in atomics form (one share = 10^18 atomics).
pub fn shares_to_dec(shares: u128) -> String {
    format!("{shares}000000000000000000")
}

/// Parses shares given as `Dec` atomics (must be whole shares) or a plain decimal.
pub fn parse_dec_shares(s: &str) -> Result<u128, String> {
    if let Some((int, frac)) = s.split_once('.') {
        if !frac.chars().all(|c| c == '0') {
            return Err("fractional shares do not exist on this chain".into());
        }
        return int.parse().map_err(|_| format!("invalid shares {s:?}"));
    }
    let a: u128 = s.parse().map_err(|_| format!("invalid shares {s:?}"))?;
    if !a.is_multiple_of(1_000_000_000_000_000_000) {
        return Err("fractional shares do not exist on this chain".into());
    }
    Ok(a / 1_000_000_000_000_000_000)
}

pub use proof_sdk::staking::bps_dec as bps_to_dec;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dec_parsing() {
        assert_eq!(parse_dec_bps("0.05").unwrap(), 500);
        assert_eq!(parse_dec_bps("50000000000000000").unwrap(), 500);
        assert!(
            parse_dec_bps("1").is_err(),
            "atomics form: 10^-18 is finer than a basis point"
        );
        assert!(parse_dec_bps("0.00001").is_err());
        assert_eq!(parse_dec_bps("1.0").unwrap(), 10_000);
        assert_eq!(bps_to_dec(500), "50000000000000000");
        assert_eq!(parse_dec_shares(&shares_to_dec(42)).unwrap(), 42);
        assert!(parse_dec_shares("5").is_err());
    }

    #[test]
    fn mul_div_is_exact_and_checked() {
        assert_eq!(mul_div(10, 3, 4).unwrap(), 7);
        assert_eq!(mul_div(5, 5, 0).unwrap(), 0);
        assert!(mul_div(u128::MAX, 2, 1).is_err());
    }
}
