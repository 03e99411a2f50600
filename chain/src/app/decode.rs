//! Decoding a `TxRaw` and every check that needs no state.

use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxBody, TxRaw};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin, PublicKey};
use prost::Message;

use crate::modules::bank::msgs::BankMsg;
use crate::modules::gov::msgs::GovMessage;
use crate::modules::handler::MsgHandler;
use crate::modules::ibc::IbcMsg;
use crate::modules::staking::msgs::StakingMsg;
use crate::modules::upgrade::msgs::UpgradeMsg;
use crate::modules::wasm::decode::WasmMsg;
use crate::modules::zk::msgs::ZkMsg;
use crate::state::params::Params;
use crate::tx::TxError;

/// A message the chain can execute.
/// A message the chain can execute: the closed set, one variant per module, each decoded and
/// run by its module's [`MsgHandler`]. Closed on purpose: the messages a block can carry are
/// fixed by the binary, and every node tries the modules in the same order.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// `cosmos.bank.v1beta1` sends (`modules::bank::msgs`).
    Bank(BankMsg),
    /// A `/cosmwasm.wasm.v1.Msg…` (`modules::wasm`).
    Wasm(WasmMsg),
    /// Staking and slashing messages (`modules::staking::msgs`).
    Staking(StakingMsg),
    /// Governance messages with their deposit's denom (`modules::gov::msgs`).
    Gov(GovMessage),
    /// Software upgrade plans (`modules::upgrade::msgs`); only governance may send them.
    Upgrade(UpgradeMsg),
    /// Rollup batch records for the epoch checkpoint (`modules::zk::msgs`).
    Zk(ZkMsg),
    /// IBC core messages and ICS-20 transfers (`modules::ibc::msgs`).
    Ibc(IbcMsg),
}

/// The module's handler of a message, whatever its module.
macro_rules! with_handler {
    ($msg:expr, $m:ident => $body:expr) => {
        match $msg {
            Msg::Bank($m) => $body,
            Msg::Wasm($m) => $body,
            Msg::Staking($m) => $body,
            Msg::Gov($m) => $body,
            Msg::Upgrade($m) => $body,
            Msg::Zk($m) => $body,
            Msg::Ibc($m) => $body,
        }
    };
}
pub(crate) use with_handler;

impl Msg {
    pub fn type_url(&self) -> String {
        with_handler!(self, m => m.type_url())
    }

    /// Accounts whose signature the message needs, in order.
    pub fn signers(&self) -> Vec<Address> {
        with_handler!(self, m => m.signers())
    }

    /// The stateless check of whichever module's message `any` is.
    pub(crate) fn from_any(any: &Any) -> Result<Self, TxError> {
        if let Some(m) = BankMsg::check_stateless(any)? {
            Ok(Msg::Bank(m))
        } else if let Some(m) = WasmMsg::check_stateless(any)? {
            Ok(Msg::Wasm(m))
        } else if let Some(m) = StakingMsg::check_stateless(any)? {
            Ok(Msg::Staking(m))
        } else if let Some(m) = GovMessage::check_stateless(any)? {
            Ok(Msg::Gov(m))
        } else if let Some(m) = UpgradeMsg::check_stateless(any)? {
            Ok(Msg::Upgrade(m))
        } else if let Some(m) = ZkMsg::check_stateless(any)? {
            Ok(Msg::Zk(m))
        } else if let Some(m) = IbcMsg::check_stateless(any)? {
            Ok(Msg::Ibc(m))
        } else {
            Err(TxError::UnknownRequest(any.type_url.clone()))
        }
    }
}

/// What one signer brings: optional public key and the sequence it claims.
#[derive(Clone, Debug)]
pub struct SignerSlot {
    pub address: Address,
    pub pubkey: Option<PublicKey>,
    pub sequence: u64,
    pub signature: Vec<u8>,
}

/// A decoded transaction with everything later stages need.
#[derive(Clone, Debug)]
pub struct DecodedTx {
    pub hash: [u8; 32],
    pub len: usize,
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub msgs: Vec<Msg>,
    pub memo: String,
    pub timeout_height: u64,
    pub signers: Vec<SignerSlot>,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
}

impl DecodedTx {
    pub fn fee_payer(&self) -> &Address {
        &self.signers[0].address
    }

    /// The fee in the fee denom: decoding merged duplicate denoms and refused any other denom,
    /// so there is at most one coin.
    pub fn fee_amount(&self) -> u128 {
        self.fee.first().map_or(0, |c| c.amount)
    }
}

/// Decodes `raw` and runs every stateless check. `simulate` relaxes only the signature and fee
/// presence checks, as `Simulate` callers send empty signatures and may leave the fee out.
/// The checks run cheapest first, so a junk transaction costs the node as little as possible.
pub fn decode_tx(raw: &[u8], params: &Params, simulate: bool) -> Result<DecodedTx, TxError> {
    check_size(raw, params)?;
    let tx = decode_canonical(raw)?;
    let (body, auth) = decode_body_and_auth(&tx)?;
    check_body(&body, params)?;
    let (gas_limit, fee) = check_fee(&auth, params, simulate)?;
    // Messages last among the stateless checks: decoding them is the costliest part (still
    // linear in the tx's size: nothing is inflated here, uploads un-gzip when they run).
    let msgs = body
        .messages
        .iter()
        .map(Msg::from_any)
        .collect::<Result<Vec<_>, _>>()?;
    let signers = check_signers(&msgs, &auth, tx.signatures, simulate)?;
    Ok(DecodedTx {
        hash: proof_sdk::tx::tx_hash(raw),
        len: raw.len(),
        body_bytes: tx.body_bytes,
        auth_info_bytes: tx.auth_info_bytes,
        msgs,
        memo: body.memo,
        timeout_height: body.timeout_height,
        signers,
        fee,
        gas_limit,
    })
}

fn check_size(raw: &[u8], params: &Params) -> Result<(), TxError> {
    if raw.len() as u64 > params.max_tx_bytes {
        return Err(TxError::TxTooLarge(format!(
            "{} bytes, max {}",
            raw.len(),
            params.max_tx_bytes
        )));
    }
    Ok(())
}

/// `TxRaw`, which must be exactly its canonical encoding: the hash is taken over `raw`, and
/// anything there besides the three fields in order (unknown fields, a field twice, another
/// order) would give one transaction many hashes.
fn decode_canonical(raw: &[u8]) -> Result<TxRaw, TxError> {
    let tx = TxRaw::decode(raw).map_err(|e| TxError::Decode(e.to_string()))?;
    if tx.encoded_len() != raw.len() || tx.encode_to_vec() != raw {
        return Err(TxError::Decode(
            "TxRaw is not canonically encoded (unknown, repeated or reordered fields)".into(),
        ));
    }
    Ok(tx)
}

/// The body and auth info, refusing fields the chain does not read (the SDK's unknown-field
/// filter: a signer must not sign something the chain ignores).
fn decode_body_and_auth(tx: &TxRaw) -> Result<(TxBody, AuthInfo), TxError> {
    crate::tx::wire::check_known_fields(&tx.body_bytes, &crate::tx::wire::TX_BODY)?;
    crate::tx::wire::check_known_fields(&tx.auth_info_bytes, &crate::tx::wire::AUTH_INFO)?;
    let body = TxBody::decode(tx.body_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("body: {e}")))?;
    let auth = AuthInfo::decode(tx.auth_info_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("auth info: {e}")))?;
    Ok((body, auth))
}

fn check_body(body: &TxBody, params: &Params) -> Result<(), TxError> {
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(TxError::UnknownRequest(
            "extension options are not supported".into(),
        ));
    }
    if body.messages.is_empty() {
        return Err(TxError::InvalidRequest(
            "transaction has no messages".into(),
        ));
    }
    if body.memo.chars().count() as u64 > params.max_memo_chars {
        return Err(TxError::MemoTooLarge(format!(
            "{} chars, max {}",
            body.memo.chars().count(),
            params.max_memo_chars
        )));
    }
    Ok(())
}

/// The gas limit and the fee (one coin per denom, in the fee denom only).
fn check_fee(
    auth: &AuthInfo,
    params: &Params,
    simulate: bool,
) -> Result<(u64, Vec<Coin>), TxError> {
    let fee = auth.fee.clone().unwrap_or_default();
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        return Err(TxError::InvalidRequest(
            "fee payer and fee grants are not supported".into(),
        ));
    }
    let gas_limit = fee.gas_limit;
    if gas_limit == 0 && !simulate {
        return Err(TxError::InvalidGasLimit(
            "gas limit must be positive".into(),
        ));
    }
    if gas_limit > params.max_tx_gas {
        return Err(TxError::InvalidGasLimit(format!(
            "{gas_limit} exceeds the per-tx maximum {}",
            params.max_tx_gas
        )));
    }
    let fee_coins = fee
        .amount
        .iter()
        .map(|c| Coin::from_proto(c).map_err(|e| TxError::InvalidCoins(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    // Duplicate denoms are merged with an overflow check, so later stages see one coin per denom.
    let fee_coins = crate::modules::bank::sum_coins(&fee_coins)?;
    if fee_coins.iter().any(|c| c.denom != params.fee_denom) {
        return Err(TxError::InsufficientFee(format!(
            "fees must be paid in {}",
            params.fee_denom
        )));
    }
    Ok((gas_limit, fee_coins))
}

/// One signer per distinct account the messages need, in first-use order, each with a
/// SIGN_MODE_DIRECT single signature and (if given) a public key of that account.
fn check_signers(
    msgs: &[Msg],
    auth: &AuthInfo,
    signatures: Vec<Vec<u8>>,
    simulate: bool,
) -> Result<Vec<SignerSlot>, TxError> {
    let mut required: Vec<Address> = Vec::new();
    for m in msgs {
        for s in m.signers() {
            if !required.contains(&s) {
                required.push(s);
            }
        }
    }
    if auth.signer_infos.len() != required.len() {
        return Err(TxError::Unauthorized(format!(
            "wrong number of signers; expected {}, got {}",
            required.len(),
            auth.signer_infos.len()
        )));
    }
    if signatures.len() != required.len() {
        return Err(TxError::Unauthorized(format!(
            "wrong number of signatures; expected {}, got {}",
            required.len(),
            signatures.len()
        )));
    }
    let mut signers = Vec::with_capacity(required.len());
    for ((address, info), signature) in required.into_iter().zip(&auth.signer_infos).zip(signatures)
    {
        // Simulation callers (cosmjs, Keplr) send SIGN_MODE_UNSPECIFIED with an empty signature.
        let direct = matches!(
            info.mode_info.as_ref().and_then(|m| m.sum.as_ref()),
            Some(mode_info::Sum::Single(s))
                if s.mode == SignMode::Direct as i32 || (simulate && s.mode == SignMode::Unspecified as i32)
        );
        if !direct {
            return Err(TxError::Unauthorized(
                "only SIGN_MODE_DIRECT single signatures are supported".into(),
            ));
        }
        let pubkey = info
            .public_key
            .as_ref()
            .map(PublicKey::from_any)
            .transpose()
            .map_err(|e| TxError::InvalidPubKey(e.to_string()))?;
        if let Some(pk) = &pubkey {
            if pk.address() != address {
                return Err(TxError::InvalidPubKey(format!(
                    "public key does not belong to signer {address}"
                )));
            }
        }
        if signature.is_empty() && !simulate {
            return Err(TxError::Unauthorized(format!(
                "empty signature for {address}"
            )));
        }
        signers.push(SignerSlot {
            address,
            pubkey,
            sequence: info.sequence,
            signature,
        });
    }
    Ok(signers)
}
