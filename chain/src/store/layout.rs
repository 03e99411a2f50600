//! The store's on-disk layout: its RocksDB column families and how versioned values are
//! encoded in them. Both the database ([`super::db`]) and the trees ([`super::tree`]) read it.

use jmt::OwnedValue;
use rocksdb::DB;

use super::error::StoreError;

pub(super) const CF_NODES: &str = "jmt_nodes";
pub(super) const CF_VALUES: &str = "jmt_values";
pub(super) const CF_PREIMAGES: &str = "preimages";
pub(super) const CF_LATEST: &str = "latest";
pub(super) const CF_META: &str = "meta";
pub(super) const CF_STALE_NODES: &str = "stale_nodes";
pub(super) const CF_STALE_VALUES: &str = "stale_values";
pub(super) const CF_TXS: &str = "txs";
pub(super) const CF_SUB_NODES: &str = "sub_nodes";
pub(super) const CF_SUB_VALUES: &str = "sub_values";
pub(super) const CF_SUB_PREIMAGES: &str = "sub_preimages";

/// A column family opened at start.
pub(super) fn cf<'a>(db: &'a DB, name: &str) -> &'a rocksdb::ColumnFamily {
    db.cf_handle(name).expect("column family opened at start")
}

/// Values in the versioned index: 0 = deleted at that version, 1 + bytes = present.
pub(super) fn encode_value(v: &Option<OwnedValue>) -> Vec<u8> {
    match v {
        None => vec![0],
        Some(b) => {
            let mut out = Vec::with_capacity(b.len() + 1);
            out.push(1);
            out.extend_from_slice(b);
            out
        }
    }
}

pub(super) fn decode_value(raw: &[u8]) -> Result<Option<OwnedValue>, StoreError> {
    match raw.split_first() {
        Some((0, _)) => Ok(None),
        Some((1, rest)) => Ok(Some(rest.to_vec())),
        _ => Err(StoreError::Corrupt("bad versioned value encoding".into())),
    }
}
