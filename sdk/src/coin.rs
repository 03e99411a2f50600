//! Coins: an amount of a denomination, parsed from and printed as `123uxyz`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CoinError {
    #[error("invalid coin {0:?}: expected <amount><denom>, e.g. 1000uxyz")]
    Format(String),
    #[error("invalid denom {0:?}: 3-128 chars, a letter first, then letters, digits or /:._-")]
    Denom(String),
    #[error("amount {0:?} is not a non-negative integer below 2^128")]
    Amount(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(amount: u128, denom: impl Into<String>) -> Self {
        Self {
            denom: denom.into(),
            amount,
        }
    }

    pub fn to_proto(&self) -> cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }

    pub fn from_proto(
        c: &cosmos_sdk_proto::cosmos::base::v1beta1::Coin,
    ) -> Result<Self, CoinError> {
        validate_denom(&c.denom)?;
        let amount = c
            .amount
            .parse::<u128>()
            .map_err(|_| CoinError::Amount(c.amount.clone()))?;
        Ok(Self {
            denom: c.denom.clone(),
            amount,
        })
    }
}

/// Same rule as the Cosmos SDK's default denom regex `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(d: &str) -> Result<(), CoinError> {
    let ok = (3..=128).contains(&d.len())
        && d.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(CoinError::Denom(d.to_string()))
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

impl FromStr for Coin {
    type Err = CoinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| CoinError::Format(s.into()))?;
        if split == 0 {
            return Err(CoinError::Format(s.into()));
        }
        let (amount, denom) = s.split_at(split);
        validate_denom(denom)?;
        let amount = amount
            .parse::<u128>()
            .map_err(|_| CoinError::Amount(amount.into()))?;
        Ok(Self {
            denom: denom.to_string(),
            amount,
        })
    }
}

/// Parses a comma-separated coin list such as `10uxyz,5ibc/ABC`, sorted by denom: the order the
/// chain requires of a message's coins (as the Cosmos SDK's `ParseCoinsNormalized` gives them).
pub fn parse_coins(s: &str) -> Result<Vec<Coin>, CoinError> {
    let mut coins = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<Coin>, _>>()?;
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    Ok(coins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let c: Coin = "1500uxyz".parse().unwrap();
        assert_eq!(c, Coin::new(1500, "uxyz"));
        assert_eq!(c.to_string(), "1500uxyz");
        assert!("uxyz".parse::<Coin>().is_err());
        assert!("12".parse::<Coin>().is_err());
        assert!("12u".parse::<Coin>().is_err());
        assert!("-5uxyz".parse::<Coin>().is_err());
        assert_eq!(parse_coins("1uxyz,2ibc/ABCD").unwrap().len(), 2);
        // Sorted by denom, whatever order they were written in.
        assert_eq!(
            parse_coins("1uxyz,2uusd,3abc").unwrap(),
            [
                Coin::new(3, "abc"),
                Coin::new(2, "uusd"),
                Coin::new(1, "uxyz")
            ]
        );
    }
}
