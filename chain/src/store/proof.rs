//! ICS-23 proof helpers (the checks live in `proof-sdk`, shared with clients): the same checks
//! a light client or IBC counterparty runs.

pub use proof_sdk::proof::{
    verify_key, verify_membership, verify_non_membership, verify_steps, PROOF_OP_TYPE,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Pruning, Store};
    use std::collections::BTreeMap;

    #[test]
    fn existence_and_non_existence_proofs_verify() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), Pruning::default()).unwrap();
        let mut w = BTreeMap::new();
        for i in 0..50u32 {
            w.insert(
                format!("bank/bal/{i}").into_bytes(),
                Some(i.to_be_bytes().to_vec()),
            );
        }
        s.commit(s.prepare_commit(0, w, vec![]).unwrap()).unwrap();
        let root = s.app_hash(0).unwrap().unwrap();
        let (v, p) = s.get_with_proof(b"bank/bal/7", 0).unwrap();
        let p = p[0].proof.clone();
        assert_eq!(v.as_deref(), Some(&7u32.to_be_bytes()[..]));
        assert!(verify_membership(
            &p,
            &root,
            b"bank/bal/7",
            &7u32.to_be_bytes()
        ));
        assert!(!verify_membership(
            &p,
            &root,
            b"bank/bal/7",
            &8u32.to_be_bytes()
        ));
        let (v, p) = s.get_with_proof(b"bank/bal/missing", 0).unwrap();
        let p = p[0].proof.clone();
        assert!(v.is_none());
        assert!(verify_non_membership(&p, &root, b"bank/bal/missing"));
        assert!(!verify_non_membership(&p, &[0u8; 32], b"bank/bal/missing"));
    }

    #[test]
    fn substore_keys_prove_through_two_levels() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), Pruning::default()).unwrap();
        let mut w = BTreeMap::new();
        w.insert(b"wasm/s/contract/k".to_vec(), Some(b"v".to_vec()));
        w.insert(b"bank/bal/x".to_vec(), Some(b"1".to_vec()));
        s.commit(s.prepare_commit(0, w, vec![]).unwrap()).unwrap();
        let root = s.app_hash(0).unwrap().unwrap();
        let steps = |key: &[u8]| {
            let (v, p) = s.get_with_proof(key, 0).unwrap();
            (
                v,
                p.into_iter()
                    .map(|st| (st.key, st.proof))
                    .collect::<Vec<_>>(),
            )
        };
        let (v, p) = steps(b"wasm/s/contract/k");
        assert_eq!((v.as_deref(), p.len()), (Some(&b"v"[..]), 2));
        assert_eq!(
            (p[0].0.as_slice(), p[1].0.as_slice()),
            (&b"s/contract/k"[..], &b"wasm"[..])
        );
        assert!(verify_steps(&p, &root, Some(b"v")));
        assert!(!verify_steps(&p, &root, Some(b"w")));
        assert!(!verify_steps(&p, &[7; 32], Some(b"v")));
        assert!(verify_key(&p, &root, b"wasm/s/contract/k", Some(b"v")));
        // A valid proof of another key is not a proof of the one asked about.
        let (_, other) = steps(b"bank/bal/x");
        assert!(verify_steps(&other, &root, Some(b"1")));
        assert!(!verify_key(&other, &root, b"wasm/s/contract/k", Some(b"1")));
        assert!(verify_key(&other, &root, b"bank/bal/x", Some(b"1")));
        assert!(!verify_key(
            &p[..1],
            &root,
            b"wasm/s/contract/k",
            Some(b"v")
        ));
        let (v, p) = steps(b"wasm/s/contract/missing");
        assert!(v.is_none());
        assert!(verify_steps(&p, &root, None));
        assert!(!verify_steps(&p, &root, Some(b"v")));
        // The substore's root is readable as a plain value of the main tree.
        assert_eq!(s.get(b"wasm").unwrap().unwrap().len(), 32);
        assert_eq!(s.get_at(b"wasm/s/contract/k", 0).unwrap().unwrap(), b"v");
        // A later version that writes nothing there still has the substore.
        let mut w = BTreeMap::new();
        w.insert(b"bank/bal/x".to_vec(), Some(b"2".to_vec()));
        s.commit(s.prepare_commit(1, w, vec![]).unwrap()).unwrap();
        let root1 = s.app_hash(1).unwrap().unwrap();
        let (v, p) = s.get_with_proof(b"wasm/s/contract/k", 1).unwrap();
        let p: Vec<_> = p.into_iter().map(|st| (st.key, st.proof)).collect();
        assert_eq!(v.as_deref(), Some(&b"v"[..]));
        assert!(verify_steps(&p, &root1, Some(b"v")));
    }
}
