//! Chain parameters, set in genesis and stored in state (so every validator agrees on them).

use serde::{Deserialize, Serialize};

use super::{keys, StateError, StateRead};

/// How many heights of this chain's own consensus state are kept for IBC handshakes (the
/// SDK's `historical_entries`; `modules::ibc` keeps them, staking's Params report it).
pub const HISTORICAL_ENTRIES: u64 = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Minimum gas price as the exact fraction `num/den` uxyz per gas (no floats in consensus).
    pub min_gas_price_num: u64,
    pub min_gas_price_den: u64,
    /// Largest encoded transaction accepted, bytes.
    pub max_tx_bytes: u64,
    pub max_memo_chars: u64,
    /// Largest gas limit one transaction may ask for.
    pub max_tx_gas: u64,
    /// Sum of gas limits allowed in one block (0 = no cap besides bytes). Mirrored into
    /// CometBFT's `consensus_params.block.max_gas` so the mempool reaps no more than fits.
    pub max_block_gas: u64,
    pub fee_denom: String,
    /// The fixed per-transaction fee in micro-USD (2 US cents), see `state::fees`.
    pub fixed_fee_micro_usd: u64,
    /// XYZ/USD price in micro-USD per XYZ (until the AMM's TWAP exists); 0 = unknown, no fixed fee.
    pub xyz_price_micro_usd: u64,
    /// Compile weight one block may compile (`proof_vm::validate::compile_weight`: about a byte
    /// of ordinary contract code per unit, 300-500 ns of cranelift's time here, at most ~1 us).
    /// Compiling costs more CPU than gas can buy, so this bounds what uploads add to a block's
    /// time; an upload that does not fit waits for a later block, and one heavier than this can
    /// never be stored.
    pub max_block_compile_weight: u64,
    /// The XYZ/USD price the fee module last read from the AMM's TWAP (`keys::ORACLE_XYZ_PRICE`,
    /// written at end block by `modules::fee_price`); when present it prices the fixed fee instead
    /// of `xyz_price_micro_usd`. Not a parameter: loaded beside them, never stored with them.
    #[serde(skip)]
    pub oracle_xyz_price_micro_usd: Option<u64>,
}

/// Block gas cap: ~5000 bank transfers at a 200k gas limit. Keeps a block's execution well under
/// the block time, so a backlog cannot turn into one giant block that stalls the chain.
pub const DEFAULT_MAX_BLOCK_GAS: u64 = 1_000_000_000;

impl Default for Params {
    fn default() -> Self {
        Self {
            min_gas_price_num: proof_sdk::tx::DEFAULT_MIN_GAS_PRICE_NUM,
            min_gas_price_den: proof_sdk::tx::DEFAULT_MIN_GAS_PRICE_DEN,
            // CometBFT's own mempool limit; contract uploads (hundreds of KB) must fit.
            max_tx_bytes: 1024 * 1024,
            max_memo_chars: 256,
            max_tx_gas: 50_000_000,
            max_block_gas: DEFAULT_MAX_BLOCK_GAS,
            fee_denom: proof_sdk::BASE_DENOM.to_string(),
            fixed_fee_micro_usd: 20_000,
            xyz_price_micro_usd: 0,
            max_block_compile_weight: 2_000_000,
            oracle_xyz_price_micro_usd: None,
        }
    }
}

impl Params {
    /// The smallest fee (in `fee_denom`) a transaction with `gas_limit` must pay: ceil(gas*num/den).
    pub fn min_fee(&self, gas_limit: u64) -> u128 {
        let num = gas_limit as u128 * self.min_gas_price_num as u128;
        let den = self.min_gas_price_den.max(1) as u128;
        num.div_ceil(den)
    }

    pub fn load(state: &dyn StateRead) -> Result<Self, StateError> {
        let mut p: Self = match state.get_raw(keys::PARAMS)? {
            Some(b) => serde_json::from_slice(&b).map_err(|e| StateError::Corrupt {
                key: "params".into(),
                reason: e.to_string(),
            })?,
            None => Self::default(),
        };
        p.oracle_xyz_price_micro_usd = oracle_xyz_price(state)?;
        Ok(p)
    }

    /// The XYZ/USD price (micro-USD per XYZ) the fixed fee is priced at: the AMM's TWAP when the
    /// fee module has one, else the genesis parameter.
    pub fn xyz_price(&self) -> u64 {
        self.oracle_xyz_price_micro_usd
            .unwrap_or(self.xyz_price_micro_usd)
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("params serialize")
    }
}

/// The XYZ/USD price `modules::fee_price` stored (micro-USD per XYZ), if any.
pub fn oracle_xyz_price(state: &dyn StateRead) -> Result<Option<u64>, StateError> {
    state
        .get_raw(keys::ORACLE_XYZ_PRICE)?
        .map(|b| {
            b.as_slice()
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| super::corrupt(keys::ORACLE_XYZ_PRICE, "not 8 bytes"))
        })
        .transpose()
}

/// A module's parameters as governance sees them: one JSON object under one key, which the
/// module decodes and validates. Gov edits fields of [`Subspace::current`] and hands the result
/// to [`Subspace::encode`]; it names no module itself (the list is `modules::params`).
pub struct Subspace {
    /// What a `ParamChange` calls it (`chain`, `staking`, ...).
    pub name: &'static str,
    /// Where the encoded parameters live.
    pub key: &'static [u8],
    /// Fields only genesis sets: changing them would strand state or disagree with CometBFT.
    pub fixed_at_genesis: &'static [&'static str],
    /// The parameters in force (defaults if never written), as a JSON object.
    pub current: fn(&dyn StateRead) -> Result<serde_json::Value, StateError>,
    /// Decodes an edited object, validates it, and returns the bytes to store.
    pub encode: fn(serde_json::Value) -> Result<Vec<u8>, String>,
}

/// The JSON value of parameters being edited (the types are plain structs, so this cannot fail
/// short of memory; if it ever did, the key names what).
pub fn to_json_value<T: Serialize>(key: &[u8], v: &T) -> Result<serde_json::Value, StateError> {
    serde_json::to_value(v).map_err(|e| super::corrupt(key, e))
}

/// Decodes an edited object into `T`, runs the module's check and encodes it as stored.
pub fn decode_checked<T: serde::de::DeserializeOwned + Serialize>(
    value: serde_json::Value,
    check: fn(&T) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let p: T = serde_json::from_value(value).map_err(|e| e.to_string())?;
    check(&p)?;
    serde_json::to_vec(&p).map_err(|e| e.to_string())
}

/// The chain's own parameters (`params/chain`).
pub const SUBSPACE: Subspace = Subspace {
    name: "chain",
    key: keys::PARAMS,
    // The denom pools and fees are held in (a change would strand them) and the block gas cap,
    // which CometBFT learned from its genesis and is not sent updates.
    fixed_at_genesis: &["fee_denom", "max_block_gas"],
    current: |s| to_json_value(keys::PARAMS, &Params::load(s)?),
    encode: |v| {
        let p: Params = serde_json::from_value(v).map_err(|e| e.to_string())?;
        if p.min_gas_price_den == 0 {
            return Err("min_gas_price_den must be positive".into());
        }
        Ok(p.encode())
    },
};

#[cfg(test)]
mod tests {
    #[test]
    fn min_fee_rounds_up() {
        let p = super::Params::default();
        assert_eq!(p.min_fee(200_000), 5000);
        assert_eq!(p.min_fee(1), 1);
        assert_eq!(p.min_fee(0), 0);
    }
}
