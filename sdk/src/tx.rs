//! Building and signing Cosmos SDK transactions (`TxRaw`, SIGN_MODE_DIRECT).

use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::coin::Coin;
use crate::crypto::PrivateKey;

/// The exact bytes every signer signs: the SignDoc binds body, auth info, chain id and account
/// number, so a signature is valid for one chain and one account only.
pub fn sign_doc_bytes(
    body_bytes: &[u8],
    auth_info_bytes: &[u8],
    chain_id: &str,
    account_number: u64,
) -> Vec<u8> {
    SignDoc {
        body_bytes: body_bytes.to_vec(),
        auth_info_bytes: auth_info_bytes.to_vec(),
        chain_id: chain_id.to_string(),
        account_number,
    }
    .encode_to_vec()
}

/// The chain's default minimum gas price, as a fraction: 25/1000 uxyz per gas (genesis may set
/// another; governance may change it).
pub const DEFAULT_MIN_GAS_PRICE_NUM: u64 = 25;
pub const DEFAULT_MIN_GAS_PRICE_DEN: u64 = 1000;

/// The smallest fee for `gas` at the default minimum gas price, rounded up.
pub fn min_gas_fee(gas: u64) -> u128 {
    (u128::from(gas) * u128::from(DEFAULT_MIN_GAS_PRICE_NUM))
        .div_ceil(u128::from(DEFAULT_MIN_GAS_PRICE_DEN))
}

/// CometBFT's transaction hash: sha256 over the raw bytes (shown as uppercase hex, [`tx_hash_hex`]).
pub fn tx_hash(tx: &[u8]) -> [u8; 32] {
    Sha256::digest(tx).into()
}

pub fn tx_hash_hex(tx: &[u8]) -> String {
    hex::encode_upper(tx_hash(tx))
}

/// One signer of a transaction: its key, account number and sequence.
pub struct Signer<'a> {
    pub key: &'a PrivateKey,
    pub account_number: u64,
    pub sequence: u64,
}

/// What a transaction says besides its signatures.
#[derive(Clone, Debug, Default)]
pub struct TxParams {
    pub memo: String,
    pub timeout_height: u64,
    pub gas_limit: u64,
    pub fee: Vec<Coin>,
    /// Include the public key in `SignerInfo` (needed until the chain has stored it).
    pub include_pubkey: bool,
}

pub fn build_body(msgs: Vec<Any>, params: &TxParams) -> TxBody {
    TxBody {
        messages: msgs,
        memo: params.memo.clone(),
        timeout_height: params.timeout_height,
        ..Default::default()
    }
}

pub fn build_auth_info(signers: &[Signer<'_>], params: &TxParams) -> AuthInfo {
    #[allow(deprecated)]
    AuthInfo {
        signer_infos: signers
            .iter()
            .map(|s| SignerInfo {
                public_key: params.include_pubkey.then(|| s.key.public_key().to_any()),
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single {
                        mode: SignMode::Direct as i32,
                    })),
                }),
                sequence: s.sequence,
            })
            .collect(),
        fee: Some(Fee {
            amount: params.fee.iter().map(Coin::to_proto).collect(),
            gas_limit: params.gas_limit,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    }
}

/// Builds, signs and encodes a transaction. Signers are in the order the chain expects:
/// the order in which they first appear as message signers; the first pays the fee.
pub fn sign_tx(
    msgs: Vec<Any>,
    signers: &[Signer<'_>],
    params: &TxParams,
    chain_id: &str,
) -> Vec<u8> {
    let body_bytes = build_body(msgs, params).encode_to_vec();
    let auth_info_bytes = build_auth_info(signers, params).encode_to_vec();
    let signatures = signers
        .iter()
        .map(|s| {
            s.key.sign(&sign_doc_bytes(
                &body_bytes,
                &auth_info_bytes,
                chain_id,
                s.account_number,
            ))
        })
        .collect();
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures,
    }
    .encode_to_vec()
}
