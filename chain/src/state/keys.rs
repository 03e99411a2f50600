//! Keys of the chain itself: its parameters and block info. Every module keeps its own layout
//! (`modules/<name>/keys.rs`); every key starts with its module name and `/`, which is what
//! `store/<module>/<rest>` raw queries address.

pub const PARAMS: &[u8] = b"params/chain";
pub const BLOCK_INFO: &[u8] = b"meta/block";
pub const CHAIN_ID: &[u8] = b"meta/chain_id";
