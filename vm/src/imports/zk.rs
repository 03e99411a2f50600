//! Rollup proof verification (Proof chain extension, `vm/CONTRACTS.md`). The VM only reads the
//! inputs, charges gas and hands them to the chain's [`Api`](crate::Api): which circuits exist,
//! which keys a node derives and how much verification a block may do are the chain's.
//!
//! Return codes are [`ZkVerdict`] values: 0 valid, 1 invalid, 2 unknown key, 3 malformed,
//! 4 no verification room left in the block, 5 no verifier on this chain.

use wasmtime::Linker;

use super::{charge, host_call, limits, read, trap, write, Ctx, HostCtx};
use crate::backend::{BatchClaim, ZkVerdict};
use crate::error::VmResult;

fn verify_batch(c: &mut Ctx<'_>, claim: u32, data: u32, proof: u32) -> VmResult<u32> {
    host_call(c)?;
    let claim = read(c, claim, BatchClaim::BYTES + 1)?;
    let data = read(c, data, limits::ZK_DATA)?;
    let proof = read(c, proof, limits::ZK_PROOF)?;
    let cost = c.data().schedule.zk_verify_batch.cost(data.len() as u64);
    charge(c, cost)?;
    let Some(claim) = BatchClaim::from_bytes(&claim) else {
        return Ok(ZkVerdict::Malformed as u32);
    };
    let api = c.data().backend.api.clone();
    Ok(api.zk_verify_batch(&claim, &data, &proof) as u32)
}

fn verify_exit(c: &mut Ctx<'_>, root: u32, proof: u32) -> VmResult<u32> {
    host_call(c)?;
    let root = read(c, root, 33)?;
    let proof = read(c, proof, limits::ZK_EXIT_PROOF)?;
    let cost = c.data().schedule.zk_verify_exit;
    charge(c, cost)?;
    let Ok(root) = <[u8; 32]>::try_from(root.as_slice()) else {
        return Ok(ZkVerdict::Malformed as u32);
    };
    let api = c.data().backend.api.clone();
    Ok(api.zk_verify_exit(&root, &proof) as u32)
}

fn verify_signature(c: &mut Ctx<'_>, pk: u32, msg: u32, sig: u32) -> VmResult<u32> {
    host_call(c)?;
    let pk = read(c, pk, 65)?;
    let msg = read(c, msg, 65)?;
    let sig = read(c, sig, 97)?;
    let cost = c.data().schedule.zk_verify_signature;
    charge(c, cost)?;
    let api = c.data().backend.api.clone();
    Ok(api.zk_verify_signature(&pk, &msg, &sig) as u32)
}

fn vk_digest(c: &mut Ctx<'_>, ops_per_step: u32, out: u32) -> VmResult<u32> {
    host_call(c)?;
    let cost = c.data().schedule.zk_vk_digest;
    charge(c, cost)?;
    let api = c.data().backend.api.clone();
    match api.zk_vk_digest(ops_per_step) {
        Ok(d) => write(c, out, &d).map(|_| ZkVerdict::Valid as u32),
        Err(v) => Ok(v as u32),
    }
}

pub(super) fn register(l: &mut Linker<HostCtx>) {
    l.func_wrap(
        "env",
        "proof_zk_verify_batch",
        |mut c: Ctx<'_>, claim: u32, data: u32, proof: u32| {
            trap(verify_batch(&mut c, claim, data, proof))
        },
    )
    .unwrap();
    l.func_wrap(
        "env",
        "proof_zk_verify_exit",
        |mut c: Ctx<'_>, root: u32, proof: u32| trap(verify_exit(&mut c, root, proof)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "proof_zk_verify_signature",
        |mut c: Ctx<'_>, pk: u32, msg: u32, sig: u32| trap(verify_signature(&mut c, pk, msg, sig)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "proof_zk_vk_digest",
        |mut c: Ctx<'_>, k: u32, out: u32| trap(vk_digest(&mut c, k, out)),
    )
    .unwrap();
}
