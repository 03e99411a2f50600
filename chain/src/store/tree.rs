//! The store's Merkle trees as the JMT sees them: the main tree, whose root is the app hash, and
//! one tree per substore, whose root is the value of the main-tree key named after it.
//!
//! A substore's nodes, versioned values and key preimages live in column families of their own,
//! their keys prefixed by `<name>/`, so no two trees can meet in storage. Both trees are
//! versioned by block height; a substore is written at every version (see
//! [`SUBSTORE_VERSION_KEY`]), so the JMT always finds the previous version's root.

use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};

use rocksdb::DB;

use super::layout::{
    cf, decode_value, CF_NODES, CF_PREIMAGES, CF_SUB_NODES, CF_SUB_PREIMAGES, CF_SUB_VALUES,
    CF_VALUES,
};

/// Shared with clients, which must split a key the same way to check its proof.
pub use proof_sdk::proof::SUBSTORES;

/// A key every substore writes at every version: its value is the version. It keeps a root at
/// each height (the JMT needs the previous one to build on) and cannot meet a module's key,
/// which never starts with a zero byte. It lives only in the substore's tree: it is not
/// mirrored into the latest-values column family, so state reads and scans (which go through
/// that family) never see it, and it is provable only as `<name>/\0version` through
/// `get_with_proof`.
pub const SUBSTORE_VERSION_KEY: &[u8] = b"\0version";

/// Which tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    Main,
    Sub(&'static str),
}

impl Tree {
    /// The substore holding `key`, and the key inside it; `Main` and the key as is otherwise.
    pub fn of(key: &[u8]) -> (Tree, &[u8]) {
        match proof_sdk::proof::split_key(key) {
            (Some(name), inner) => (Tree::Sub(name), inner),
            (None, key) => (Tree::Main, key),
        }
    }

    fn ns(self) -> Vec<u8> {
        match self {
            Tree::Main => Vec::new(),
            Tree::Sub(name) => [name.as_bytes(), b"/"].concat(),
        }
    }

    pub(super) fn nodes_cf(self) -> &'static str {
        match self {
            Tree::Main => CF_NODES,
            Tree::Sub(_) => CF_SUB_NODES,
        }
    }

    pub(super) fn values_cf(self) -> &'static str {
        match self {
            Tree::Main => CF_VALUES,
            Tree::Sub(_) => CF_SUB_VALUES,
        }
    }

    pub(super) fn preimages_cf(self) -> &'static str {
        match self {
            Tree::Main => CF_PREIMAGES,
            Tree::Sub(_) => CF_SUB_PREIMAGES,
        }
    }

    /// What a stale-index entry stores to say which tree's column family it points into.
    pub(super) fn stale_tag(self) -> &'static [u8] {
        match self {
            Tree::Main => b"",
            Tree::Sub(_) => b"s",
        }
    }

    pub(super) fn node_key(self, nk: &NodeKey) -> Result<Vec<u8>, std::io::Error> {
        Ok([self.ns(), borsh::to_vec(nk)?].concat())
    }

    /// `<ns><key hash><version be8>`: a key's versions sort together, oldest first.
    pub(super) fn value_key(self, kh: &KeyHash, version: Version) -> Vec<u8> {
        [self.ns().as_slice(), &kh.0, &version.to_be_bytes()].concat()
    }

    pub(super) fn preimage_key(self, kh: &KeyHash) -> Vec<u8> {
        [self.ns().as_slice(), &kh.0].concat()
    }

    /// The newest version of `kh` at or below `at` in this tree's value index.
    pub(super) fn value_version_at(
        self,
        db: &DB,
        kh: &KeyHash,
        at: Version,
    ) -> Result<Option<(Version, Vec<u8>)>, rocksdb::Error> {
        let mut it = db.raw_iterator_cf(cf(db, self.values_cf()));
        let want = self.value_key(kh, at);
        it.seek_for_prev(&want);
        if let (Some(k), Some(v)) = (it.key(), it.value()) {
            if k.len() == want.len() && k[..want.len() - 8] == want[..want.len() - 8] {
                let version = u64::from_be_bytes(k[want.len() - 8..].try_into().expect("8 bytes"));
                return Ok(Some((version, v.to_vec())));
            }
        }
        it.status()?;
        Ok(None)
    }
}

/// One tree of the database as the JMT reads it.
pub(super) struct TreeStorage<'a> {
    pub db: &'a DB,
    pub tree: Tree,
}

impl TreeReader for TreeStorage<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let k = self.tree.node_key(node_key)?;
        match self.db.get_cf(cf(self.db, self.tree.nodes_cf()), k)? {
            Some(b) => Ok(Some(borsh::from_slice(&b)?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        match self
            .tree
            .value_version_at(self.db, &key_hash, max_version)?
        {
            Some((_, raw)) => Ok(decode_value(&raw)?),
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("state-sync restore is not supported by this store")
    }
}

impl HasPreimage for TreeStorage<'_> {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.db.get_cf(
            cf(self.db, self.tree.preimages_cf()),
            self.tree.preimage_key(&key_hash),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_route_to_their_tree() {
        assert_eq!(Tree::of(b"wasm/c/x"), (Tree::Sub("wasm"), &b"c/x"[..]));
        assert_eq!(Tree::of(b"wasm"), (Tree::Main, &b"wasm"[..]));
        assert_eq!(Tree::of(b"wasmx/a"), (Tree::Main, &b"wasmx/a"[..]));
        assert_eq!(Tree::of(b"bank/bal"), (Tree::Main, &b"bank/bal"[..]));
    }
}
