//! `/proof.zk.v1.MsgRecordBatch`: a contract reports a verified rollup batch for the epoch's
//! checkpoint (the L1 record). The rollup-verifier system contract sends it, as an `Any` message,
//! for every batch it verifies. The record names its sender, so whoever checks a checkpoint
//! checks that the record came from the verifier contract they trust; no other gatekeeping is
//! needed, and each record pays for its place (storage now, hashing when the epoch closes).

use cosmos_sdk_proto::Any;
use proof_sdk::Address;
use prost::{Message, Name};
use tendermint::abci::Event;

use crate::modules::epoch;
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::state::Metered;
use crate::tx::fields::parse_addr;
use crate::tx::{decode_any, events, TxError};

/// The message as it travels (protobuf, hand-declared: no .proto file is generated for it).
#[derive(Clone, PartialEq, Message)]
pub struct MsgRecordBatch {
    #[prost(string, tag = "1")]
    pub sender: String,
    #[prost(uint32, tag = "2")]
    pub rollup: u32,
    #[prost(uint64, tag = "3")]
    pub index: u64,
    #[prost(bytes = "vec", tag = "4")]
    pub old_root: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    pub new_root: Vec<u8>,
    #[prost(bytes = "vec", tag = "6")]
    pub data_sha256: Vec<u8>,
}

impl Name for MsgRecordBatch {
    const NAME: &'static str = "MsgRecordBatch";
    const PACKAGE: &'static str = "proof.zk.v1";
}

#[derive(Clone, PartialEq, Message)]
pub struct MsgRecordBatchResponse {}

impl Name for MsgRecordBatchResponse {
    const NAME: &'static str = "MsgRecordBatchResponse";
    const PACKAGE: &'static str = "proof.zk.v1";
}

/// Gas a record pays on top of its storage: its share of the epoch's checkpoint (hashing it
/// into the records root, keeping it beside the checkpoint).
pub const RECORD_GAS: u64 = 50_000;

/// The record's bytes, as the checkpoint commits them (`proof_sdk::checkpoint::rollup_batch_record`,
/// which light clients use to look for it).
pub fn record_bytes(sender: &Address, m: &BatchRecord) -> Vec<u8> {
    proof_sdk::checkpoint::rollup_batch_record(
        sender.as_bytes(),
        m.rollup,
        m.index,
        &m.old_root,
        &m.new_root,
        &m.data_sha256,
    )
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRecord {
    pub rollup: u32,
    pub index: u64,
    pub old_root: [u8; 32],
    pub new_root: [u8; 32],
    pub data_sha256: [u8; 32],
}

/// The zk module's messages.
#[derive(Clone, Debug, PartialEq)]
pub enum ZkMsg {
    RecordBatch {
        sender: Address,
        record: BatchRecord,
    },
}

fn hash32(b: &[u8], what: &str) -> Result<[u8; 32], TxError> {
    b.try_into()
        .map_err(|_| TxError::InvalidRequest(format!("{what} must be 32 bytes")))
}

impl MsgHandler for ZkMsg {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        if any.type_url != MsgRecordBatch::type_url() {
            return Ok(None);
        }
        let m = decode_any::<MsgRecordBatch>(any)?;
        Ok(Some(ZkMsg::RecordBatch {
            sender: parse_addr(&m.sender)?,
            record: BatchRecord {
                rollup: m.rollup,
                index: m.index,
                old_root: hash32(&m.old_root, "old_root")?,
                new_root: hash32(&m.new_root, "new_root")?,
                data_sha256: hash32(&m.data_sha256, "data_sha256")?,
            },
        }))
    }

    fn type_url(&self) -> String {
        MsgRecordBatch::type_url()
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            ZkMsg::RecordBatch { sender, .. } => vec![sender.clone()],
        }
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        _ctx: &MsgCtx<'_, '_>,
        evs: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        let ZkMsg::RecordBatch { sender, record } = self;
        kv.gas.charge(RECORD_GAS)?;
        let bytes = record_bytes(sender, record);
        epoch::add_record(kv, &bytes)?;
        evs.push(events::event(
            "rollup_record",
            &[
                ("sender", sender.to_string()),
                ("rollup", record.rollup.to_string()),
                ("index", record.index.to_string()),
                ("record", hex::encode(&bytes)),
            ],
        ));
        Ok(proof_sdk::msgs::to_any(&MsgRecordBatchResponse {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_decode_strictly_and_name_their_sender() {
        let sender = Address::from_bytes(&[9; 32]).unwrap();
        let m = MsgRecordBatch {
            sender: sender.to_string(),
            rollup: 2,
            index: 7,
            old_root: vec![1; 32],
            new_root: vec![2; 32],
            data_sha256: vec![3; 32],
        };
        let any = proof_sdk::msgs::to_any(&m);
        let Some(ZkMsg::RecordBatch { sender: s, record }) = ZkMsg::check_stateless(&any).unwrap()
        else {
            panic!("not decoded");
        };
        assert_eq!(s, sender);
        let b = record_bytes(&s, &record);
        let tag = proof_sdk::checkpoint::ROLLUP_BATCH_TAG;
        assert!(b.starts_with(tag));
        assert_eq!(b.len(), tag.len() + 1 + 32 + 4 + 8 + 96);
        assert_eq!(&b[tag.len() + 1 + 32..][..4], &2u32.to_be_bytes());
        let short = MsgRecordBatch {
            new_root: vec![2; 31],
            ..m
        };
        assert!(ZkMsg::check_stateless(&proof_sdk::msgs::to_any(&short)).is_err());
    }
}
