//! What the `proof_zk_*` imports do on this chain.

use super::keys::node_keys;
use super::room::{NoRoom, VerifyRoom};
use proof_vm::{BatchClaim, ZkVerdict};
use proof_zk::{f_from_bytes, BatchData, ExitProof, RollupId, ZkError};

/// Verifies a batch proof, taking its weight from `room` first. Checks that cost nothing
/// (the key, the encodings) come before the room is taken, so a malformed claim never uses it.
pub fn verify_batch(room: &VerifyRoom, claim: &BatchClaim, data: &[u8], proof: &[u8]) -> ZkVerdict {
    let Some(weight) = proof_zk::keys::verify_cost_micros(claim.ops_per_step) else {
        return ZkVerdict::UnknownKey;
    };
    if !room.supports(claim.ops_per_step) {
        return ZkVerdict::UnknownKey;
    }
    let verifier = match node_keys().verifier(claim.ops_per_step) {
        Ok(v) => v,
        Err(e) => {
            room.record_node_failure(e);
            return ZkVerdict::Malformed;
        }
    };
    if verifier.vk_digest() != claim.vk_digest {
        return ZkVerdict::UnknownKey;
    }
    let (Some(old_root), Some(new_root)) =
        (f_from_bytes(&claim.old_root), f_from_bytes(&claim.new_root))
    else {
        return ZkVerdict::Malformed;
    };
    let Ok(batch) = BatchData::decode(data) else {
        return ZkVerdict::Malformed;
    };
    match room.take(weight) {
        Ok(()) => {}
        Err(NoRoom::BlockFull | NoRoom::TooCostly | NoRoom::NodeBusy) => return ZkVerdict::NoRoom,
    }
    let data_hash = batch.data_hash();
    match verifier.verify(
        RollupId(claim.rollup),
        &old_root,
        &new_root,
        &data_hash,
        proof,
    ) {
        Ok(_) => ZkVerdict::Valid,
        Err(ZkError::Encoding(_)) => ZkVerdict::Malformed,
        Err(_) => ZkVerdict::Invalid,
    }
}

/// Verifies an exit proof against a verified root (cheap: paid in full by gas, no room).
pub fn verify_exit(root: &[u8; 32], proof: &[u8]) -> ZkVerdict {
    let Some(root) = f_from_bytes(root) else {
        return ZkVerdict::Malformed;
    };
    let Ok(proof) = ExitProof::from_bytes(proof) else {
        return ZkVerdict::Malformed;
    };
    match proof_zk::verify_exit(&root, &proof) {
        Ok(()) => ZkVerdict::Valid,
        Err(_) => ZkVerdict::Invalid,
    }
}

/// Verifies a rollup account's Schnorr signature (cheap: paid in full by gas, no room).
pub fn verify_signature(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> ZkVerdict {
    let f = |b: &[u8]| -> Option<proof_zk::F> { f_from_bytes(b.try_into().ok()?) };
    let (Ok(pk), Ok(m), Some(sig)) = (
        <&[u8; 64]>::try_from(pubkey),
        <&[u8; 64]>::try_from(msg),
        proof_zk::Signature::from_bytes(sig),
    ) else {
        return ZkVerdict::Malformed;
    };
    let (Some(x), Some(y), Some(word), Some(extra)) =
        (f(&pk[..32]), f(&pk[32..]), f(&m[..32]), f(&m[32..]))
    else {
        return ZkVerdict::Malformed;
    };
    if sig.verify(&proof_zk::PublicKey { x, y }, word, extra) {
        ZkVerdict::Valid
    } else {
        ZkVerdict::Invalid
    }
}

/// The digest of this chain's verifier key for step size `k`.
pub fn vk_digest(room: &VerifyRoom, k: u32) -> Result<[u8; 32], ZkVerdict> {
    if !proof_zk::keys::STEP_SIZES.contains(&k) || !room.supports(k) {
        return Err(ZkVerdict::UnknownKey);
    }
    match node_keys().verifier(k) {
        Ok(v) => Ok(v.vk_digest()),
        Err(e) => {
            room.record_node_failure(e);
            Err(ZkVerdict::Malformed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_outside_the_supported_circuits_are_refused_without_room_or_keys() {
        let room = VerifyRoom::new(10_000_000);
        let claim = BatchClaim {
            vk_digest: [0; 32],
            ops_per_step: 17,
            rollup: 1,
            old_root: [0; 32],
            new_root: [0; 32],
        };
        assert_eq!(verify_batch(&room, &claim, &[], &[]), ZkVerdict::UnknownKey);
        assert_eq!(room.left(), 10_000_000);
        assert_eq!(vk_digest(&room, 0), Err(ZkVerdict::UnknownKey));
        // a circuit the prover knows but the chain's parameters do not list: no derivation
        assert_eq!(vk_digest(&room, 16), Err(ZkVerdict::UnknownKey));
        let claim16 = BatchClaim {
            ops_per_step: 16,
            ..claim
        };
        assert_eq!(
            verify_batch(&room, &claim16, &[], &[]),
            ZkVerdict::UnknownKey
        );
    }

    #[test]
    fn account_signatures_verify_only_for_their_key_and_message() {
        let key = proof_zk::SecretKey::from_seed(&[5; 32]);
        let pk = key.public_key();
        let (w, e) = proof_zk::schnorr::key_possession_message(1, 2, &[3; 20]);
        let sig = key.sign(w, e).to_bytes();
        let b = |x: &proof_zk::F| proof_zk::f_to_bytes(x);
        let pkb = [b(&pk.x), b(&pk.y)].concat();
        let msg = [b(&w), b(&e)].concat();
        assert_eq!(verify_signature(&pkb, &msg, &sig), ZkVerdict::Valid);
        let other = proof_zk::schnorr::key_possession_message(1, 3, &[3; 20]);
        let other = [b(&other.0), b(&other.1)].concat();
        assert_eq!(verify_signature(&pkb, &other, &sig), ZkVerdict::Invalid);
        assert_eq!(
            verify_signature(&pkb[1..], &msg, &sig),
            ZkVerdict::Malformed
        );
        assert_eq!(
            verify_signature(&pkb, &msg, &sig[1..]),
            ZkVerdict::Malformed
        );
        assert_eq!(
            verify_signature(&[0xff; 64], &msg, &sig),
            ZkVerdict::Malformed
        );
    }

    #[test]
    fn exit_proofs_are_checked_against_the_root() {
        let key = proof_zk::SecretKey::from_seed(&[3; 32]);
        let mut tree = proof_zk::AccountTree::new();
        tree.set(
            9,
            proof_zk::Account {
                pubkey: key.public_key(),
                balance: 77,
                nonce: 2,
            },
        );
        let proof = proof_zk::exit_proof(&tree, 9).unwrap().to_bytes();
        let root = proof_zk::f_to_bytes(&tree.root());
        assert_eq!(verify_exit(&root, &proof), ZkVerdict::Valid);
        let mut other = root;
        other[0] ^= 1;
        assert!(matches!(
            verify_exit(&other, &proof),
            ZkVerdict::Invalid | ZkVerdict::Malformed
        ));
        let mut forged = proof.clone();
        forged[4 + 64] ^= 1; // the balance
        assert_eq!(verify_exit(&root, &forged), ZkVerdict::Invalid);
        assert_eq!(verify_exit(&root, &proof[1..]), ZkVerdict::Malformed);
        assert_eq!(verify_exit(&[0xff; 32], &proof), ZkVerdict::Malformed);
    }
}
