//! Constructors for the messages the chain understands, packed as `Any`.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{Input, MsgMultiSend, MsgSend, Output};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};

use crate::address::Address;
use crate::coin::Coin;

pub fn to_any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

/// A `MsgExecuteContract` of `msg` (JSON bytes) from `sender`, with `funds`.
pub fn wasm_execute(sender: &Address, contract: &Address, msg: Vec<u8>, funds: &[Coin]) -> Any {
    to_any(&cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract {
        sender: sender.to_string(),
        contract: contract.to_string(),
        msg,
        funds: funds.iter().map(Coin::to_proto).collect(),
    })
}

pub fn bank_send(from: &Address, to: &Address, amount: &[Coin]) -> Any {
    to_any(&MsgSend {
        from_address: from.to_string(),
        to_address: to.to_string(),
        amount: amount.iter().map(Coin::to_proto).collect(),
    })
}

pub fn bank_multi_send(from: &Address, total: &[Coin], outputs: &[(Address, Vec<Coin>)]) -> Any {
    to_any(&MsgMultiSend {
        inputs: vec![Input {
            address: from.to_string(),
            coins: total.iter().map(Coin::to_proto).collect(),
        }],
        outputs: outputs
            .iter()
            .map(|(a, c)| Output {
                address: a.to_string(),
                coins: c.iter().map(Coin::to_proto).collect(),
            })
            .collect(),
    })
}
