//! The account tree: an arity-4 sparse Merkle tree of depth [`DEPTH`] (4^12 = 16 777 216 leaves,
//! so an index is 24 bits = 3 bytes in the published data) over Poseidon, and its native mirror.
//!
//! * leaf = `Poseidon_Leaf(pk.x, pk.y, balance, nonce)`; the empty account is `(0, 0, 0, 0)`.
//! * node = `Poseidon_Node(c0, c1, c2, c3)`; the child of a node holding leaf index `i` at level
//!   `l` (0 = leaves) is digit `(i >> 2l) & 3`.
//!
//! Only non-default nodes are stored; empty subtrees use precomputed default hashes.

use crate::hash::{hash4, Domain};
use crate::schnorr::PublicKey;
use crate::F;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Tree depth (levels of arity-4 nodes).
pub const DEPTH: usize = 12;
/// Bits of an account index.
pub const INDEX_BITS: usize = 2 * DEPTH;
/// Number of leaves.
pub const CAPACITY: u32 = 1 << INDEX_BITS;

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
            d[l + 1] = hash4(Domain::Node, [d[l]; 4]);
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

    /// The four children at each level on the path of `index`, leaves first (the circuit witness).
    /// Panics if `index >= CAPACITY` (callers check).
    pub fn children(&self, index: u32) -> Vec<[F; 4]> {
        assert!(index < CAPACITY);
        (0..DEPTH)
            .map(|l| {
                let base = (index >> (2 * l)) & !3;
                [0, 1, 2, 3].map(|j| self.node(l, base + j))
            })
            .collect()
    }

    /// The three siblings at each level (leaves first): a Merkle proof.
    pub fn siblings(&self, index: u32) -> Vec<[F; 3]> {
        self.children(index)
            .iter()
            .enumerate()
            .map(|(l, c)| {
                let pos = ((index >> (2 * l)) & 3) as usize;
                let mut s = [F::from(0u64); 3];
                let mut k = 0;
                for (j, v) in c.iter().enumerate() {
                    if j != pos {
                        s[k] = *v;
                        k += 1;
                    }
                }
                s
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
            let base = pos & !3;
            let c = [0, 1, 2, 3].map(|j| self.node(l, base + j));
            h = hash4(Domain::Node, c);
            pos >>= 2;
        }
    }
}

/// The root reached from `leaf` at `index` with `siblings` (leaves first).
pub fn root_from_path(leaf: F, index: u32, siblings: &[[F; 3]]) -> F {
    let mut h = leaf;
    for (l, s) in siblings.iter().enumerate() {
        let pos = ((index >> (2 * l)) & 3) as usize;
        let mut c = [F::from(0u64); 4];
        let mut k = 0;
        for (j, cj) in c.iter_mut().enumerate() {
            if j == pos {
                *cj = h;
            } else {
                *cj = s[k];
                k += 1;
            }
        }
        h = hash4(Domain::Node, c);
    }
    h
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
