//! ICS-23 proof helpers: the same checks a light client (or IBC counterparty) runs.

/// `ProofOp.type` we emit for JMT commitment proofs.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

pub fn verify_membership(
    proof: &ics23::CommitmentProof,
    root: &[u8; 32],
    key: &[u8],
    value: &[u8],
) -> bool {
    ics23::verify_membership::<ics23::HostFunctionsManager>(
        proof,
        &jmt::ics23_spec(),
        &root.to_vec(),
        key,
        value,
    )
}

pub fn verify_non_membership(proof: &ics23::CommitmentProof, root: &[u8; 32], key: &[u8]) -> bool {
    ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        proof,
        &jmt::ics23_spec(),
        &root.to_vec(),
        key,
    )
}

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
        assert!(v.is_none());
        assert!(verify_non_membership(&p, &root, b"bank/bal/missing"));
        assert!(!verify_non_membership(&p, &[0u8; 32], b"bank/bal/missing"));
    }
}
