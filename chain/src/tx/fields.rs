//! Decoding a message's fields: addresses and coins, with the errors clients see.

use proof_sdk::{Address, Coin};

use super::TxError;

/// Funds sent with a contract call: possibly none, otherwise like any coins.
pub fn parse_funds(
    coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> Result<Vec<Coin>, TxError> {
    if coins.is_empty() {
        Ok(Vec::new())
    } else {
        parse_coins(coins)
    }
}

pub fn parse_addr(s: &str) -> Result<Address, TxError> {
    s.parse()
        .map_err(|e: proof_sdk::address::AddressError| TxError::InvalidAddress(e.to_string()))
}

/// Coins in a message: valid denoms, positive amounts, sorted and without duplicates (as the SDK requires).
pub fn parse_coins(
    coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> Result<Vec<Coin>, TxError> {
    let parsed = coins
        .iter()
        .map(|c| Coin::from_proto(c).map_err(|e| TxError::InvalidCoins(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.is_empty() {
        return Err(TxError::InvalidCoins("no coins".into()));
    }
    for w in parsed.windows(2) {
        if w[0].denom >= w[1].denom {
            return Err(TxError::InvalidCoins(
                "coins must be sorted by denom without duplicates".into(),
            ));
        }
    }
    if let Some(zero) = parsed.iter().find(|c| c.amount == 0) {
        return Err(TxError::InvalidCoins(format!(
            "zero amount of {}",
            zero.denom
        )));
    }
    Ok(parsed)
}
