//! Keys of the chain itself: its parameters and block info. Every module keeps its own layout
//! (`modules/<name>/keys.rs`); every key starts with its module name and `/`, which is what
//! `store/<module>/<rest>` raw queries address.

pub const PARAMS: &[u8] = b"params/chain";
/// The XYZ/USD price from the AMM's TWAP (u64 big-endian micro-USD per XYZ), written by
/// `modules::fee_price` and read with the parameters (`Params::load`), so the fee check reads
/// no state of its own.
pub const ORACLE_XYZ_PRICE: &[u8] = b"params/oracle_xyz_price";
pub const BLOCK_INFO: &[u8] = b"meta/block";
pub const CHAIN_ID: &[u8] = b"meta/chain_id";
