//! Stateless decoding and checks of the wasm module's transaction messages (wasmd's
//! `cosmwasm.wasm.v1.Msg…` type URLs and protobufs, with wasmd's `ValidateBasic` rules).

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AccessConfig, AccessType, MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract,
    MsgInstantiateContract2, MsgMigrateContract, MsgStoreCode, MsgUpdateAdmin,
};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use prost::Name;

use crate::modules::wasm::context::werr;
use crate::tx::decode_any;
use crate::tx::fields::{parse_addr, parse_funds};
use crate::tx::TxError;

/// Longest salt of `MsgInstantiateContract2` (wasmd's `MaxSaltSize`).
pub const MAX_SALT_SIZE: usize = 64;
/// Longest contract label (wasmd's `MaxLabelSize`).
pub const MAX_LABEL_SIZE: usize = 128;

/// How a new contract's address is chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum AddressScheme {
    /// wasmd's classic scheme: code id and the global instance sequence.
    Classic,
    /// `MsgInstantiateContract2`: checksum, creator, salt (and the message if `fix_msg`).
    Predictable { salt: Vec<u8>, fix_msg: bool },
}

/// A wasm module message, decoded and statelessly valid.
#[derive(Clone, Debug, PartialEq)]
pub enum WasmMsg {
    /// `code` as sent: raw or gzipped wasm (un-gzipped, and paid for, when the message runs:
    /// decoding never inflates anything, so a bomb costs the sender before it costs a node).
    StoreCode {
        sender: Address,
        code: Vec<u8>,
        permission: AccessConfig,
    },
    /// `MsgInstantiateContract` or `MsgInstantiateContract2`; `msg` is valid JSON.
    Instantiate {
        sender: Address,
        admin: Option<Address>,
        code_id: u64,
        label: String,
        msg: Vec<u8>,
        funds: Vec<Coin>,
        scheme: AddressScheme,
    },
    Execute {
        sender: Address,
        contract: Address,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    },
    Migrate {
        sender: Address,
        contract: Address,
        code_id: u64,
        msg: Vec<u8>,
    },
    /// `MsgUpdateAdmin` (`new_admin: Some`) or `MsgClearAdmin` (`None`).
    SetAdmin {
        sender: Address,
        contract: Address,
        new_admin: Option<Address>,
    },
}

impl WasmMsg {
    pub fn type_url(&self) -> String {
        match self {
            WasmMsg::StoreCode { .. } => MsgStoreCode::type_url(),
            WasmMsg::Instantiate {
                scheme: AddressScheme::Classic,
                ..
            } => MsgInstantiateContract::type_url(),
            WasmMsg::Instantiate { .. } => MsgInstantiateContract2::type_url(),
            WasmMsg::Execute { .. } => MsgExecuteContract::type_url(),
            WasmMsg::Migrate { .. } => MsgMigrateContract::type_url(),
            WasmMsg::SetAdmin {
                new_admin: Some(_), ..
            } => MsgUpdateAdmin::type_url(),
            WasmMsg::SetAdmin { .. } => MsgClearAdmin::type_url(),
        }
    }

    /// The one account that must sign.
    pub fn sender(&self) -> &Address {
        match self {
            WasmMsg::StoreCode { sender, .. }
            | WasmMsg::Instantiate { sender, .. }
            | WasmMsg::Execute { sender, .. }
            | WasmMsg::Migrate { sender, .. }
            | WasmMsg::SetAdmin { sender, .. } => sender,
        }
    }

    /// Decodes `any` if it is a wasm message (`Ok(None)` if it is not one).
    pub fn from_any(any: &Any) -> Result<Option<Self>, TxError> {
        let url = any.type_url.as_str();
        let msg = if url == MsgStoreCode::type_url() {
            let m = decode_any::<MsgStoreCode>(any)?;
            if m.wasm_byte_code.is_empty() {
                return Err(werr(12, "empty wasm code"));
            }
            if m.wasm_byte_code.len() > crate::modules::wasm::context::MAX_WASM_SIZE {
                return Err(werr(
                    13,
                    format!(
                        "wasm code too large: more than {} bytes",
                        crate::modules::wasm::context::MAX_WASM_SIZE
                    ),
                ));
            }
            WasmMsg::StoreCode {
                sender: parse_addr(&m.sender)?,
                code: m.wasm_byte_code,
                permission: match m.instantiate_permission {
                    None => crate::modules::wasm::contracts::everybody(),
                    Some(p) => access_config(p)?,
                },
            }
        } else if url == MsgInstantiateContract::type_url() {
            let m = decode_any::<MsgInstantiateContract>(any)?;
            instantiate(
                &m.sender,
                &m.admin,
                m.code_id,
                m.label,
                m.msg,
                &m.funds,
                AddressScheme::Classic,
            )?
        } else if url == MsgInstantiateContract2::type_url() {
            let m = decode_any::<MsgInstantiateContract2>(any)?;
            if m.salt.is_empty() || m.salt.len() > MAX_SALT_SIZE {
                return Err(werr(14, format!("salt must be 1 to {MAX_SALT_SIZE} bytes")));
            }
            instantiate(
                &m.sender,
                &m.admin,
                m.code_id,
                m.label,
                m.msg,
                &m.funds,
                AddressScheme::Predictable {
                    salt: m.salt,
                    fix_msg: m.fix_msg,
                },
            )?
        } else if url == MsgExecuteContract::type_url() {
            let m = decode_any::<MsgExecuteContract>(any)?;
            WasmMsg::Execute {
                sender: parse_addr(&m.sender)?,
                contract: parse_addr(&m.contract)?,
                msg: json_valid(m.msg)?,
                funds: parse_funds(&m.funds)?,
            }
        } else if url == MsgMigrateContract::type_url() {
            let m = decode_any::<MsgMigrateContract>(any)?;
            if m.code_id == 0 {
                return Err(werr(10, "code id is required"));
            }
            WasmMsg::Migrate {
                sender: parse_addr(&m.sender)?,
                contract: parse_addr(&m.contract)?,
                code_id: m.code_id,
                msg: json_valid(m.msg)?,
            }
        } else if url == MsgUpdateAdmin::type_url() {
            let m = decode_any::<MsgUpdateAdmin>(any)?;
            let new_admin = parse_addr(&m.new_admin)?;
            WasmMsg::SetAdmin {
                sender: parse_addr(&m.sender)?,
                contract: parse_addr(&m.contract)?,
                new_admin: Some(new_admin),
            }
        } else if url == MsgClearAdmin::type_url() {
            let m = decode_any::<MsgClearAdmin>(any)?;
            WasmMsg::SetAdmin {
                sender: parse_addr(&m.sender)?,
                contract: parse_addr(&m.contract)?,
                new_admin: None,
            }
        } else {
            return Ok(None);
        };
        Ok(Some(msg))
    }
}

fn instantiate(
    sender: &str,
    admin: &str,
    code_id: u64,
    label: String,
    msg: Vec<u8>,
    funds: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    scheme: AddressScheme,
) -> Result<WasmMsg, TxError> {
    if code_id == 0 {
        return Err(werr(10, "code id is required"));
    }
    if label.trim().is_empty() || label.len() > MAX_LABEL_SIZE {
        return Err(werr(
            10,
            format!("label must be 1 to {MAX_LABEL_SIZE} bytes"),
        ));
    }
    Ok(WasmMsg::Instantiate {
        sender: parse_addr(sender)?,
        admin: if admin.is_empty() {
            None
        } else {
            Some(parse_addr(admin)?)
        },
        code_id,
        label,
        msg: json_valid(msg)?,
        funds: parse_funds(funds)?,
        scheme,
    })
}

/// An upload's instantiate permission, checked as wasmd's `AccessConfig.ValidateBasic`.
fn access_config(p: AccessConfig) -> Result<AccessConfig, TxError> {
    match AccessType::try_from(p.permission) {
        Ok(AccessType::Everybody | AccessType::Nobody) if p.addresses.is_empty() => Ok(p),
        Ok(AccessType::AnyOfAddresses) if !p.addresses.is_empty() => {
            let mut seen = std::collections::BTreeSet::new();
            for a in &p.addresses {
                let addr = parse_addr(a)?;
                if !seen.insert(addr) {
                    return Err(werr(15, format!("duplicate address {a}")));
                }
            }
            Ok(p)
        }
        _ => Err(werr(
            14,
            format!(
                "invalid instantiate permission: type {} with {} addresses",
                p.permission,
                p.addresses.len()
            ),
        )),
    }
}

/// A contract message must be valid JSON (as wasmd's `RawContractMessage` requires).
fn json_valid(msg: Vec<u8>) -> Result<Vec<u8>, TxError> {
    match serde_json::from_slice::<serde::de::IgnoredAny>(&msg) {
        Ok(_) => Ok(msg),
        Err(e) => Err(werr(10, format!("contract message is not valid JSON: {e}"))),
    }
}
