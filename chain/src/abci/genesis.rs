//! The application's genesis state (CometBFT genesis `app_state`).

use std::collections::BTreeSet;

use proof_sdk::{coin::parse_coins, Address};
use serde::{Deserialize, Serialize};

use crate::modules::bank;
use crate::modules::clock::ClockParams;
use crate::state::params::Params;
use crate::state::{keys, Delta};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisAccount {
    pub address: String,
    /// Comma-separated coins, e.g. `1000uxyz,5foo`.
    pub coins: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppGenesis {
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub params: Params,
    /// Proof of stake, slashing, epochs and gov (`app::pos`).
    #[serde(default)]
    pub staking: crate::app::pos::PosGenesis,
    /// The contracts called at end block (`clock.contracts`), for networks that deploy their
    /// system contracts at known addresses; governance changes it later.
    #[serde(default)]
    pub clock: ClockParams,
}

#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("app_state is not valid genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("genesis account {0}: {1}")]
    Account(String, String),
    #[error("genesis account {0} appears twice")]
    Duplicate(String),
    #[error("genesis params: {0}")]
    Params(String),
}

impl AppGenesis {
    pub fn parse(bytes: &[u8]) -> Result<Self, GenesisError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Validates and writes the genesis state.
    pub fn apply(&self, chain_id: &str, state: &mut Delta<'_>) -> Result<(), GenesisError> {
        if self.params.min_gas_price_den == 0 {
            return Err(GenesisError::Params(
                "min_gas_price_den must be positive".into(),
            ));
        }
        state.put(keys::PARAMS.to_vec(), self.params.encode());
        state.put(keys::CHAIN_ID.to_vec(), chain_id.as_bytes().to_vec());
        if self.clock != ClockParams::default() {
            // The path governance's changes take: the module validates and encodes.
            let space = &crate::modules::clock::params::SUBSPACE;
            let bytes = (space.encode)(serde_json::to_value(&self.clock)?)
                .map_err(|e| GenesisError::Params(format!("clock: {e}")))?;
            state.put(space.key.to_vec(), bytes);
        }
        let mut seen = BTreeSet::new();
        for acc in &self.accounts {
            let addr: Address =
                acc.address
                    .parse()
                    .map_err(|e: proof_sdk::address::AddressError| {
                        GenesisError::Account(acc.address.clone(), e.to_string())
                    })?;
            if !seen.insert(addr.clone()) {
                return Err(GenesisError::Duplicate(acc.address.clone()));
            }
            let coins = parse_coins(&acc.coins)
                .map_err(|e| GenesisError::Account(acc.address.clone(), e.to_string()))?;
            let coins = bank::sum_coins(&coins)
                .map_err(|e| GenesisError::Account(acc.address.clone(), e.to_string()))?;
            bank::mint(state, &addr, &coins)
                .map_err(|e| GenesisError::Account(acc.address.clone(), e.to_string()))?;
        }
        Ok(())
    }
}
