//! Accounts: number, sequence and public key, stored as Cosmos `BaseAccount` protobuf so the
//! `Account` query can return the stored bytes as-is.

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use proof_sdk::{Address, PublicKey};
use prost::Message;

use super::keys;
use crate::state::{Kv, StateError};

#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    pub address: Address,
    pub number: u64,
    pub sequence: u64,
    pub pubkey: Option<PublicKey>,
}

impl Account {
    pub fn to_proto(&self) -> BaseAccount {
        BaseAccount {
            address: self.address.to_string(),
            pub_key: self.pubkey.as_ref().map(PublicKey::to_any),
            account_number: self.number,
            sequence: self.sequence,
        }
    }
}

fn corrupt(addr: &Address, reason: impl ToString) -> StateError {
    StateError::Corrupt {
        key: format!("account {addr}"),
        reason: reason.to_string(),
    }
}

pub fn get_account(kv: &mut dyn Kv, addr: &Address) -> Result<Option<Account>, StateError> {
    let Some(raw) = kv.kv_get(&keys::account(addr))? else {
        return Ok(None);
    };
    let p = BaseAccount::decode(raw.as_slice()).map_err(|e| corrupt(addr, e))?;
    let pubkey = p
        .pub_key
        .as_ref()
        .map(PublicKey::from_any)
        .transpose()
        .map_err(|e| corrupt(addr, e))?;
    Ok(Some(Account {
        address: addr.clone(),
        number: p.account_number,
        sequence: p.sequence,
        pubkey,
    }))
}

pub fn set_account(kv: &mut dyn Kv, acc: &Account) -> Result<(), StateError> {
    kv.kv_put(keys::account(&acc.address), acc.to_proto().encode_to_vec())
}

/// Returns the account, creating it with the next account number if it does not exist.
pub fn get_or_create_account(kv: &mut dyn Kv, addr: &Address) -> Result<Account, StateError> {
    if let Some(acc) = get_account(kv, addr)? {
        return Ok(acc);
    }
    let number = match kv.kv_get(keys::NEXT_ACCOUNT_NUMBER)? {
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(addr, "next account number"))?,
        ),
        None => 0,
    };
    kv.kv_put(
        keys::NEXT_ACCOUNT_NUMBER.to_vec(),
        (number + 1).to_be_bytes().to_vec(),
    )?;
    let acc = Account {
        address: addr.clone(),
        number,
        sequence: 0,
        pubkey: None,
    };
    set_account(kv, &acc)?;
    Ok(acc)
}
