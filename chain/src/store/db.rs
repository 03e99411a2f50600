use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use jmt::{KeyHash, OwnedValue, RootHash, Sha256Jmt, Version};
use parking_lot::RwLock;
use rocksdb::{
    ColumnFamilyDescriptor, IteratorMode, Options, ReadOptions, WriteBatch, WriteOptions, DB,
};

use super::error::StoreError;
use super::layout::*;
use super::pruning::Pruning;
use super::tree::{Tree, TreeStorage, SUBSTORES, SUBSTORE_VERSION_KEY};

const ALL_CFS: [&str; 11] = [
    CF_NODES,
    CF_VALUES,
    CF_PREIMAGES,
    CF_LATEST,
    CF_META,
    CF_STALE_NODES,
    CF_STALE_VALUES,
    CF_TXS,
    CF_SUB_NODES,
    CF_SUB_VALUES,
    CF_SUB_PREIMAGES,
];

const META_VERSION: &[u8] = b"version";
const META_EARLIEST: &[u8] = b"earliest";
const META_APP_HASH: &[u8] = b"app_hash/";
/// The layout this code writes; a store from an older layout cannot be opened.
const META_LAYOUT: &[u8] = b"layout";
/// 3: the `ibc` substore (2: the `wasm` substore).
const LAYOUT: &[u8] = b"3";

/// A committed transaction, indexed by hash for `GetTx` (not part of consensus state).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TxRecord {
    pub height: u64,
    pub index: u32,
    pub tx: Vec<u8>,
    /// Protobuf-encoded `cosmos.base.abci.v1beta1.TxResponse` (without the tx Any).
    pub response: Vec<u8>,
}

/// Everything one block changes, ready to be written atomically.
pub struct CommitBatch {
    pub version: Version,
    pub app_hash: [u8; 32],
    /// Every key the block wrote (full keys, for the `latest` mirror), with each substore's new
    /// root under its name.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Each tree's update and the (tree-local) keys it wrote.
    trees: Vec<TreeBatch>,
    pub txs: Vec<([u8; 32], TxRecord)>,
}

struct TreeBatch {
    tree: Tree,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    update: jmt::storage::TreeUpdateBatch,
}

/// One level of a proof: `proof` shows `key` (or its absence) in one tree; the next level shows
/// that tree's root in the one above it. Innermost first, the last against the app hash.
#[derive(Clone, Debug)]
pub struct ProofStep {
    pub key: Vec<u8>,
    pub proof: ics23::CommitmentProof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head {
    version: Option<Version>,
    earliest: Version,
}

/// One stored entry: key and value.
pub type KvPair = (Vec<u8>, Vec<u8>);

pub struct Store {
    db: Arc<DB>,
    head: RwLock<Head>,
    pruning: Pruning,
    /// Entries read from the latest state (point reads and every entry a range produced): what
    /// block execution and queries cost the disk, exported as a metric and checked by the tests
    /// that per-block work does not grow with state.
    reads: std::sync::atomic::AtomicU64,
}

fn be64(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

fn tree_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Tree(e.to_string())
}

pub fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<sha2::Sha256>(key)
}

impl Store {
    pub fn open(path: &Path, pruning: Pruning) -> Result<Self, StoreError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.increase_parallelism(2);
        let cfs = ALL_CFS
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(*n, Options::default()));
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        let meta = db.cf_handle(CF_META).expect("meta cf");
        let version = match db.get_cf(meta, META_VERSION)? {
            Some(b) => Some(u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("version".into()))?,
            )),
            None => None,
        };
        let layout = db.get_cf(meta, META_LAYOUT)?;
        if version.is_some() && layout.as_deref() != Some(LAYOUT) {
            // A substore added since has no root at the latest version to build on.
            return Err(StoreError::Corrupt(format!(
                "{} was written by an older layout of the store ({}; this binary writes {}): reset this node's data and resync",
                path.display(),
                layout.map_or("1".into(), |l| String::from_utf8_lossy(&l).into_owned()),
                String::from_utf8_lossy(LAYOUT),
            )));
        }
        let earliest = match db.get_cf(meta, META_EARLIEST)? {
            Some(b) => u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("earliest".into()))?,
            ),
            None => 0,
        };
        Ok(Self {
            db: Arc::new(db),
            head: RwLock::new(Head { version, earliest }),
            pruning,
            reads: Default::default(),
        })
    }

    pub(super) fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        cf(&self.db, name)
    }

    /// The newest committed version, if any.
    /// How much history this store keeps.
    pub fn pruning(&self) -> Pruning {
        self.pruning
    }

    pub fn latest_version(&self) -> Option<Version> {
        self.head.read().version
    }

    pub fn earliest_version(&self) -> Version {
        self.head.read().earliest
    }

    pub fn app_hash(&self, version: Version) -> Result<Option<[u8; 32]>, StoreError> {
        let mut k = META_APP_HASH.to_vec();
        k.extend_from_slice(&be64(version));
        Ok(self
            .db
            .get_cf(self.cf(CF_META), k)?
            .and_then(|v| v.try_into().ok()))
    }

    /// Reads the newest committed value of `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.count_read();
        Ok(self.db.get_cf(self.cf(CF_LATEST), key)?)
    }

    fn count_read(&self) {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many entries have been read from the latest state so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads `key` as of `version` (must be within the kept window).
    pub fn get_at(&self, key: &[u8], version: Version) -> Result<Option<Vec<u8>>, StoreError> {
        self.check_version(version)?;
        let (tree, inner) = Tree::of(key);
        match tree.value_version_at(&self.db, &key_hash(inner), version)? {
            Some((_, raw)) => decode_value(&raw),
            None => Ok(None),
        }
    }

    fn check_version(&self, version: Version) -> Result<(), StoreError> {
        let head = *self.head.read();
        let latest = head.version.unwrap_or(0);
        if head.version.is_none() || version > latest || version < head.earliest {
            return Err(StoreError::VersionUnavailable {
                requested: version,
                earliest: head.earliest,
                latest,
            });
        }
        Ok(())
    }

    /// Committed (latest) entries with `start <= key < end`, lazily, ascending or descending.
    pub fn range_latest<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
        descending: bool,
    ) -> impl Iterator<Item = Result<KvPair, StoreError>> + 'a {
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(start.to_vec());
        if let Some(end) = end {
            ro.set_iterate_upper_bound(end.to_vec());
        }
        let mode = if descending {
            IteratorMode::End
        } else {
            IteratorMode::Start
        };
        self.db
            .iterator_cf_opt(self.cf(CF_LATEST), ro, mode)
            .map(|item| {
                self.count_read();
                item.map(|(k, v)| (k.into_vec(), v.into_vec()))
                    .map_err(StoreError::from)
            })
    }

    /// Computes the new root for `writes` on top of the latest version without writing anything:
    /// first each substore's tree over its keys (and its version key), then the main tree over
    /// the other keys and the substores' roots.
    pub fn prepare_commit(
        &self,
        version: Version,
        mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        txs: Vec<([u8; 32], TxRecord)>,
    ) -> Result<CommitBatch, StoreError> {
        if let Some(latest) = self.latest_version() {
            if version != latest + 1 {
                return Err(StoreError::Corrupt(format!(
                    "commit of version {version} on top of {latest}"
                )));
            }
        }
        if let Some(name) = SUBSTORES.iter().find(|n| writes.contains_key(n.as_bytes())) {
            return Err(StoreError::Corrupt(format!(
                "a module wrote {name:?}, the key of a substore's root"
            )));
        }
        let mut trees = Vec::with_capacity(SUBSTORES.len() + 1);
        let mut main: BTreeMap<Vec<u8>, Option<Vec<u8>>> = writes
            .iter()
            .filter(|(k, _)| Tree::of(k).0 == Tree::Main)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut roots = Vec::with_capacity(SUBSTORES.len());
        for name in SUBSTORES {
            let tree = Tree::Sub(name);
            let prefix = [name.as_bytes(), b"/"].concat();
            let mut inner: BTreeMap<Vec<u8>, Option<Vec<u8>>> = writes
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k[prefix.len()..].to_vec(), v.clone()))
                .collect();
            inner.insert(SUBSTORE_VERSION_KEY.to_vec(), Some(be64(version).to_vec()));
            let (root, update) = self.tree_update(tree, &inner, version)?;
            main.insert(name.as_bytes().to_vec(), Some(root.0.to_vec()));
            roots.push((name.as_bytes().to_vec(), root.0.to_vec()));
            trees.push(TreeBatch {
                tree,
                writes: inner,
                update,
            });
        }
        let (root, update) = self.tree_update(Tree::Main, &main, version)?;
        trees.push(TreeBatch {
            tree: Tree::Main,
            writes: main,
            update,
        });
        for (k, v) in roots {
            writes.insert(k, Some(v));
        }
        Ok(CommitBatch {
            version,
            app_hash: root.0,
            writes,
            trees,
            txs,
        })
    }

    fn tree_update(
        &self,
        tree: Tree,
        writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        version: Version,
    ) -> Result<(RootHash, jmt::storage::TreeUpdateBatch), StoreError> {
        let reader = TreeStorage { db: &self.db, tree };
        let value_set: Vec<(KeyHash, Option<OwnedValue>)> = writes
            .iter()
            .map(|(k, v)| (key_hash(k), v.clone()))
            .collect();
        Sha256Jmt::new(&reader)
            .put_value_set(value_set, version)
            .map_err(tree_err)
    }

    /// Writes a prepared batch atomically and makes it the latest version.
    pub fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        let mut wb = WriteBatch::default();
        let version = batch.version;
        // The pruner's indexes cost a seek per written key; an archive node never prunes.
        let track_stale = self.pruning.keep_recent > 0;
        for TreeBatch {
            tree,
            writes,
            update,
        } in &batch.trees
        {
            let tree = *tree;
            for (node_key, node) in update.node_batch.nodes() {
                wb.put_cf(
                    self.cf(tree.nodes_cf()),
                    tree.node_key(node_key).map_err(tree_err)?,
                    borsh::to_vec(node).map_err(tree_err)?,
                );
            }
            for stale in update.stale_node_index_batch.iter().filter(|_| track_stale) {
                let mut k = be64(stale.stale_since_version).to_vec();
                k.extend_from_slice(&tree.node_key(&stale.node_key).map_err(tree_err)?);
                wb.put_cf(self.cf(CF_STALE_NODES), k, tree.stale_tag());
            }
            for (key, value) in writes {
                let kh = key_hash(key);
                // The value this write supersedes becomes prunable once `version` leaves the
                // window.
                let prev = if track_stale && version > 0 {
                    tree.value_version_at(&self.db, &kh, version - 1)?
                } else {
                    None
                };
                if let Some((prev, _)) = prev {
                    let mut k = be64(version).to_vec();
                    k.extend_from_slice(&tree.value_key(&kh, prev));
                    wb.put_cf(self.cf(CF_STALE_VALUES), k, tree.stale_tag());
                }
                wb.put_cf(
                    self.cf(tree.values_cf()),
                    tree.value_key(&kh, version),
                    encode_value(value),
                );
                wb.put_cf(self.cf(tree.preimages_cf()), tree.preimage_key(&kh), key);
            }
        }
        for (key, value) in &batch.writes {
            match value {
                Some(v) => wb.put_cf(self.cf(CF_LATEST), key, v),
                None => wb.delete_cf(self.cf(CF_LATEST), key),
            }
        }
        for (hash, rec) in &batch.txs {
            wb.put_cf(
                self.cf(CF_TXS),
                hash,
                serde_json::to_vec(rec).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
        let mut hk = META_APP_HASH.to_vec();
        hk.extend_from_slice(&be64(version));
        wb.put_cf(self.cf(CF_META), hk, batch.app_hash);
        wb.put_cf(self.cf(CF_META), META_VERSION, be64(version));
        wb.put_cf(self.cf(CF_META), META_LAYOUT, LAYOUT);
        let mut earliest = self.earliest_version();
        let prune = self.pruning.keep_recent > 0
            && version > self.pruning.keep_recent
            && version.is_multiple_of(self.pruning.interval.max(1));
        if prune {
            earliest = self
                .prune_into(&mut wb, version - self.pruning.keep_recent)?
                .max(earliest);
            wb.put_cf(self.cf(CF_META), META_EARLIEST, be64(earliest));
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(wb, &wo)?;
        *self.head.write() = Head {
            version: Some(version),
            earliest,
        };
        Ok(())
    }

    /// Deletes tree nodes and values that no version >= `keep_from` can reach.
    fn prune_into(&self, wb: &mut WriteBatch, keep_from: Version) -> Result<Version, StoreError> {
        let upper = be64(keep_from + 1);
        let sub = Tree::Sub(SUBSTORES[0]);
        for (cf_index, main, in_sub) in [
            (CF_STALE_NODES, CF_NODES, sub.nodes_cf()),
            (CF_STALE_VALUES, CF_VALUES, sub.values_cf()),
        ] {
            let mut ro = ReadOptions::default();
            ro.set_iterate_upper_bound(upper.to_vec());
            for item in self
                .db
                .iterator_cf_opt(self.cf(cf_index), ro, IteratorMode::Start)
            {
                let (k, tag) = item?;
                let target = if *tag == *sub.stale_tag() {
                    in_sub
                } else {
                    main
                };
                wb.delete_cf(self.cf(target), &k[8..]);
                wb.delete_cf(self.cf(cf_index), &k);
            }
        }
        let mut start = META_APP_HASH.to_vec();
        start.extend_from_slice(&be64(0));
        let mut end = META_APP_HASH.to_vec();
        end.extend_from_slice(&be64(keep_from));
        wb.delete_range_cf(self.cf(CF_META), start, end);
        Ok(keep_from)
    }

    pub fn get_tx(&self, hash: &[u8]) -> Result<Option<TxRecord>, StoreError> {
        match self.db.get_cf(self.cf(CF_TXS), hash)? {
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
            None => Ok(None),
        }
    }

    /// Value at `version` with ICS-23 existence or non-existence proofs up to that version's
    /// root: one step for a key of the main tree; for a substore's key, its proof in the
    /// substore (under the key inside it), then the substore root's proof in the main tree.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: Version,
    ) -> Result<(Option<Vec<u8>>, Vec<ProofStep>), StoreError> {
        self.check_version(version)?;
        let prove = |tree: Tree, key: &[u8]| {
            let reader = TreeStorage { db: &self.db, tree };
            Sha256Jmt::new(&reader)
                .get_with_ics23_proof(key.to_vec(), version)
                .map_err(tree_err)
        };
        let (tree, inner) = Tree::of(key);
        let (value, proof) = prove(tree, inner)?;
        let mut steps = vec![ProofStep {
            key: inner.to_vec(),
            proof,
        }];
        if let Tree::Sub(name) = tree {
            let (_, outer) = prove(Tree::Main, name.as_bytes())?;
            steps.push(ProofStep {
                key: name.as_bytes().to_vec(),
                proof: outer,
            });
        }
        Ok((value, steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(kv: &[(&str, Option<&str>)]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        kv.iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    /// A store written before the `ibc` substore has no `ibc` root to build its next version
    /// on: it must refuse to open, not fail at its next commit.
    #[test]
    fn a_store_of_an_older_layout_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path(), Pruning::default()).unwrap();
            s.commit(
                s.prepare_commit(0, writes(&[("a", Some("1"))]), vec![])
                    .unwrap(),
            )
            .unwrap();
            s.db.put_cf(s.cf(CF_META), META_LAYOUT, b"2").unwrap();
        }
        let err = Store::open(dir.path(), Pruning::default())
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("older layout of the store (2"),
            "{err}"
        );
    }

    #[test]
    fn versions_history_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let hashes = {
            let s = Store::open(dir.path(), Pruning::default()).unwrap();
            assert_eq!(s.latest_version(), None);
            let b0 = s
                .prepare_commit(0, writes(&[("a", Some("1")), ("b", Some("2"))]), vec![])
                .unwrap();
            let h0 = b0.app_hash;
            s.commit(b0).unwrap();
            let b1 = s
                .prepare_commit(1, writes(&[("a", Some("3")), ("b", None)]), vec![])
                .unwrap();
            let h1 = b1.app_hash;
            s.commit(b1).unwrap();
            assert_ne!(h0, h1);
            assert_eq!(s.get(b"a").unwrap().unwrap(), b"3");
            assert_eq!(s.get(b"b").unwrap(), None);
            assert_eq!(s.get_at(b"a", 0).unwrap().unwrap(), b"1");
            assert_eq!(s.get_at(b"b", 0).unwrap().unwrap(), b"2");
            assert_eq!(s.get_at(b"b", 1).unwrap(), None);
            assert!(matches!(
                s.get_at(b"a", 7),
                Err(StoreError::VersionUnavailable { .. })
            ));
            // A version that skips one is refused.
            assert!(s
                .prepare_commit(3, writes(&[("x", Some("y"))]), vec![])
                .is_err());
            (h0, h1)
        };
        let s = Store::open(dir.path(), Pruning::default()).unwrap();
        assert_eq!(s.latest_version(), Some(1));
        assert_eq!(s.app_hash(1).unwrap(), Some(hashes.1));
        assert_eq!(s.app_hash(0).unwrap(), Some(hashes.0));
    }

    #[test]
    fn uncommitted_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), Pruning::default()).unwrap();
        s.commit(
            s.prepare_commit(0, writes(&[("a", Some("1"))]), vec![])
                .unwrap(),
        )
        .unwrap();
        let _dropped = s
            .prepare_commit(1, writes(&[("a", Some("2"))]), vec![])
            .unwrap();
        drop(s);
        let s = Store::open(dir.path(), Pruning::default()).unwrap();
        assert_eq!(s.latest_version(), Some(0));
        assert_eq!(s.get(b"a").unwrap().unwrap(), b"1");
    }

    #[test]
    fn same_writes_same_root_regardless_of_history_path() {
        let d1 = tempfile::tempdir().unwrap();
        let d2 = tempfile::tempdir().unwrap();
        let s1 = Store::open(d1.path(), Pruning::default()).unwrap();
        let s2 = Store::open(d2.path(), Pruning::default()).unwrap();
        let b = |s: &Store, v, w| s.prepare_commit(v, w, vec![]).unwrap();
        let x = b(&s1, 0, writes(&[("k1", Some("v")), ("k2", Some("w"))]));
        let y = b(&s2, 0, writes(&[("k2", Some("w")), ("k1", Some("v"))]));
        assert_eq!(x.app_hash, y.app_hash);
    }

    #[test]
    fn pruning_drops_old_versions_keeps_recent() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(
            dir.path(),
            Pruning {
                keep_recent: 2,
                interval: 1,
            },
        )
        .unwrap();
        for v in 0..6u64 {
            let val = format!("{v}");
            s.commit(
                s.prepare_commit(v, writes(&[("k", Some(&val))]), vec![])
                    .unwrap(),
            )
            .unwrap();
        }
        assert_eq!(s.get_at(b"k", 5).unwrap().unwrap(), b"5");
        assert_eq!(s.get_at(b"k", 3).unwrap().unwrap(), b"3");
        assert!(matches!(
            s.get_at(b"k", 1),
            Err(StoreError::VersionUnavailable { .. })
        ));
        let (v, proof) = s.get_with_proof(b"k", 4).unwrap();
        assert_eq!(v.unwrap(), b"4");
        assert!(super::super::verify_membership(
            &proof[0].proof,
            &s.app_hash(4).unwrap().unwrap(),
            b"k",
            b"4"
        ));
    }
}
