//! ICS-23 proofs of the chain's state (JMT commitments): what a light client or an IBC
//! counterparty checks a `store/<module>/key` answer with.

/// `ProofOp.type` the chain emits for JMT commitment proofs.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

/// The state modules whose keys (`<name>/...`) live in a tree of their own, whose root is the
/// value of the main-tree key `<name>`. `wasm`: so the checkpoint can commit to every
/// contract's state by one root read (no O(state) pass).
pub const SUBSTORES: &[&str] = &["wasm", "ibc"];

/// The substore holding a full state key, and the key inside it; `None` and the key as is for
/// the main tree.
pub fn split_key(key: &[u8]) -> (Option<&'static str>, &[u8]) {
    for name in SUBSTORES {
        if let Some(inner) = key
            .strip_prefix(name.as_bytes())
            .and_then(|r| r.strip_prefix(b"/"))
        {
            return (Some(name), inner);
        }
    }
    (None, key)
}

/// Checks that `steps` prove the full state key `key` (`<module>/...`) having `value` (`None`:
/// being absent) under `root`. Unlike [`verify_steps`] alone, the keys the steps are about are
/// bound to `key`: a proof of some other key (one the node picked) is refused, and so is a
/// chain of the wrong shape for where `key` lives.
pub fn verify_key(
    steps: &[(Vec<u8>, ics23::CommitmentProof)],
    root: &[u8; 32],
    key: &[u8],
    value: Option<&[u8]>,
) -> bool {
    let shape_ok = match split_key(key) {
        (None, k) => steps.len() == 1 && steps[0].0 == k,
        (Some(name), inner) => {
            steps.len() == 2 && steps[0].0 == inner && steps[1].0 == name.as_bytes()
        }
    };
    shape_ok && verify_steps(steps, root, value)
}

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

/// Checks a chain of proofs (innermost first, as `Store::get_with_proof` returns them) of `key`
/// having `value` (`None`: being absent) under `root`: each step's root is computed from its
/// proof and must be proven, as the value of the next step's key, by the step above.
pub fn verify_steps(
    steps: &[(Vec<u8>, ics23::CommitmentProof)],
    root: &[u8; 32],
    value: Option<&[u8]>,
) -> bool {
    let Some(((key, proof), rest)) = steps.split_first() else {
        return false;
    };
    if rest.is_empty() {
        return match value {
            Some(v) => verify_membership(proof, root, key, v),
            None => verify_non_membership(proof, root, key),
        };
    }
    let Some(inner_root) = step_root(proof) else {
        return false;
    };
    let inner_ok = match value {
        Some(v) => verify_membership(proof, &inner_root, key, v),
        None => verify_non_membership(proof, &inner_root, key),
    };
    inner_ok && verify_steps(rest, root, Some(&inner_root))
}

/// The root a proof leads to (from an existence proof, or either neighbour of a non-existence
/// proof).
fn step_root(proof: &ics23::CommitmentProof) -> Option<[u8; 32]> {
    use ics23::commitment_proof::Proof;
    let exist = match proof.proof.as_ref()? {
        Proof::Exist(e) => e,
        Proof::Nonexist(n) => n.left.as_ref().or(n.right.as_ref())?,
        _ => return None,
    };
    ics23::calculate_existence_root::<ics23::HostFunctionsManager>(exist)
        .ok()?
        .try_into()
        .ok()
}
