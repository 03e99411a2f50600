//! The account tree: an arity-8 sparse Merkle tree of depth [`DEPTH`] (8^8 = 16 777 216 leaves,
//! so an index is 24 bits = 3 bytes in the published data) over Poseidon, and its native mirror.
//!
//! * leaf = `Poseidon_Leaf(pk.x, pk.y, balance, nonce)`; the empty account is `(0, 0, 0, 0)`.
//! * node = `Poseidon_Node(c0, …, c7)`; the child of a node holding leaf index `i` at level `l`
//!   (0 = leaves) is digit `(i >> 3l) & 7`.
//!
//! Only non-default nodes are stored; empty subtrees use precomputed default hashes.

use crate::hash::{hash4, hash_node, Domain, NODE_ARITY};
use crate::schnorr::PublicKey;
use crate::F;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Bits of an index consumed per level (`NODE_ARITY = 2^ARITY_BITS`).
pub const ARITY_BITS: usize = 3;
/// Tree depth (levels of arity-8 nodes).
pub const DEPTH: usize = 8;
/// Bits of an account index.
pub const INDEX_BITS: usize = ARITY_BITS * DEPTH;
/// Siblings of a node on a path: its parent's other children.
pub const SIBLINGS: usize = NODE_ARITY - 1;
const DIGIT_MASK: u32 = NODE_ARITY as u32 - 1;
/// Number of leaves.
pub const CAPACITY: u32 = 1 << INDEX_BITS;
/// Levels at the top of the tree that the circuit does not hash per access: their nodes are in
/// the Nova running state instead (see `circuit.rs`).
pub const TOP_LEVELS: usize = 2;
/// Nodes at level [`PATH_LEVELS`]: the tree part of the running state.
pub const TOP_NODES: usize = 1 << (ARITY_BITS * TOP_LEVELS);
/// Levels the circuit hashes per access, from the leaf up to a top node.
pub const PATH_LEVELS: usize = DEPTH - TOP_LEVELS;

/// An account: key, balance, nonce (the number of operations it has signed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub pubkey: PublicKey,
    pub balance: u64,
    pub nonce: u64,
}

impl Account {
    pub const EMPTY: Account = Account {
        pubkey: PublicKey::EMPTY,
        balance: 0,
        nonce: 0,
    };

    pub fn hash(&self) -> F {
        hash4(
            Domain::Leaf,
            [
                self.pubkey.x,
                self.pubkey.y,
                F::from(self.balance),
                F::from(self.nonce),
            ],
        )
    }
}

fn defaults() -> &'static [F; DEPTH + 1] {
    static D: std::sync::OnceLock<[F; DEPTH + 1]> = std::sync::OnceLock::new();
    D.get_or_init(|| {
        let mut d = [F::from(0u64); DEPTH + 1];
        d[0] = Account::EMPTY.hash();
        for l in 0..DEPTH {
            d[l + 1] = hash_node(&[d[l]; NODE_ARITY]);
        }
        d
    })
}

/// The root of the empty tree.
pub fn empty_root() -> F {
    defaults()[DEPTH]
}

/// The native account tree.
#[derive(Clone, Debug, Default)]
pub struct AccountTree {
    accounts: BTreeMap<u32, Account>,
    /// `nodes[l][pos]`: non-default node hashes, level 0 = leaves.
    nodes: Vec<HashMap<u32, F>>,
}

impl AccountTree {
    pub fn new() -> Self {
        AccountTree {
            accounts: BTreeMap::new(),
            nodes: vec![HashMap::new(); DEPTH + 1],
        }
    }

    pub fn root(&self) -> F {
        self.node(DEPTH, 0)
    }

    fn node(&self, level: usize, pos: u32) -> F {
        self.nodes[level]
            .get(&pos)
            .copied()
            .unwrap_or(defaults()[level])
    }

    /// The account at `index` (empty if never written).
    pub fn get(&self, index: u32) -> Account {
        self.accounts.get(&index).copied().unwrap_or(Account::EMPTY)
    }

    /// Number of non-empty accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The [`TOP_NODES`] nodes at level [`PATH_LEVELS`], in position order.
    pub fn top(&self) -> Vec<F> {
        (0..TOP_NODES as u32)
            .map(|pos| self.node(PATH_LEVELS, pos))
            .collect()
    }

    /// The children on `index`'s path below the top nodes, leaves first: the levels the circuit
    /// hashes (its witness). Panics if `index >= CAPACITY` (callers check).
    pub fn path_children(&self, index: u32) -> Vec<[F; NODE_ARITY]> {
        assert!(index < CAPACITY);
        (0..PATH_LEVELS)
            .map(|l| self.children_at(l, index >> (ARITY_BITS * l)))
            .collect()
    }

    /// The children at each level on the path of `index`, leaves first.
    /// Panics if `index >= CAPACITY` (callers check).
    pub fn children(&self, index: u32) -> Vec<[F; NODE_ARITY]> {
        assert!(index < CAPACITY);
        (0..DEPTH)
            .map(|l| self.children_at(l, index >> (ARITY_BITS * l)))
            .collect()
    }

    /// The children of the level-`level + 1` node above position `pos` of `level`.
    fn children_at(&self, level: usize, pos: u32) -> [F; NODE_ARITY] {
        let base = pos & !DIGIT_MASK;
        std::array::from_fn(|j| self.node(level, base + j as u32))
    }

    /// The siblings at each level (leaves first, in child order skipping the path's own
    /// position): a Merkle proof.
    pub fn siblings(&self, index: u32) -> Vec<[F; SIBLINGS]> {
        self.children(index)
            .iter()
            .enumerate()
            .map(|(l, c)| {
                let pos = digit(index, l);
                std::array::from_fn(|k| if k < pos { c[k] } else { c[k + 1] })
            })
            .collect()
    }

    /// Write `account` at `index` and rehash its path. Panics if `index >= CAPACITY`.
    pub fn set(&mut self, index: u32, account: Account) {
        assert!(index < CAPACITY);
        if account == Account::EMPTY {
            self.accounts.remove(&index);
        } else {
            self.accounts.insert(index, account);
        }
        let mut h = account.hash();
        let mut pos = index;
        for l in 0..=DEPTH {
            if h == defaults()[l] {
                self.nodes[l].remove(&pos);
            } else {
                self.nodes[l].insert(pos, h);
            }
            if l == DEPTH {
                break;
            }
            h = hash_node(&self.children_at(l, pos));
            pos >>= ARITY_BITS;
        }
    }
}

/// The child position of `index`'s path at `level`.
fn digit(index: u32, level: usize) -> usize {
    ((index >> (ARITY_BITS * level)) & DIGIT_MASK) as usize
}

/// The root above `top` (the nodes at level [`PATH_LEVELS`] in position order), or `None` if
/// there are not [`TOP_NODES`] of them.
pub fn root_of_top(top: &[F]) -> Option<F> {
    if top.len() != TOP_NODES {
        return None;
    }
    let mut layer = top.to_vec();
    while layer.len() > 1 {
        layer = layer
            .chunks_exact(NODE_ARITY)
            .map(|c| hash_node(&std::array::from_fn(|j| c[j])))
            .collect();
    }
    Some(layer[0])
}

/// The root reached from `leaf` at `index` with `siblings` (leaves first).
pub fn root_from_path(leaf: F, index: u32, siblings: &[[F; SIBLINGS]]) -> F {
    siblings.iter().enumerate().fold(leaf, |h, (l, s)| {
        let pos = digit(index, l);
        let c: [F; NODE_ARITY] = std::array::from_fn(|j| match j.cmp(&pos) {
            std::cmp::Ordering::Less => s[j],
            std::cmp::Ordering::Equal => h,
            std::cmp::Ordering::Greater => s[j - 1],
        });
        hash_node(&c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schnorr::SecretKey;

    #[test]
    fn paths_match_root_and_updates() {
        let mut t = AccountTree::new();
        assert_eq!(t.root(), empty_root());
        let pk = SecretKey::from_seed(&[1; 32]).public_key();
        for (i, idx) in [0u32, 5, 6, 1 << 20, CAPACITY - 1].into_iter().enumerate() {
            t.set(
                idx,
                Account {
                    pubkey: pk,
                    balance: 100 + i as u64,
                    nonce: i as u64,
                },
            );
        }
        for idx in [0u32, 5, 6, 7, 1 << 20, CAPACITY - 1, 12345] {
            let a = t.get(idx);
            assert_eq!(root_from_path(a.hash(), idx, &t.siblings(idx)), t.root());
        }
        assert_eq!(root_of_top(&t.top()), Some(t.root()));
        assert_eq!(root_of_top(&t.top()[1..]), None);
        // wrong leaf or index does not reach the root
        let a = t.get(5);
        assert_ne!(root_from_path(a.hash(), 6, &t.siblings(5)), t.root());
        // clearing everything returns to the empty root
        for idx in [0u32, 5, 6, 1 << 20, CAPACITY - 1] {
            t.set(idx, Account::EMPTY);
        }
        assert_eq!(t.root(), empty_root());
        assert!(t.is_empty());
    }
}
