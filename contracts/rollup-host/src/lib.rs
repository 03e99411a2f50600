//! The chain's native rollup verifiers (`proof_zk_*` imports, `vm/CONTRACTS.md`), behind a trait
//! so the contracts' logic runs in native unit tests with a stand-in. No dependencies: the
//! imports take regions of bytes and return verdict codes.

/// Verdict codes of the imports.
pub const VALID: u32 = 0;
pub const INVALID: u32 = 1;
pub const UNKNOWN_KEY: u32 = 2;
pub const MALFORMED: u32 = 3;
pub const NO_ROOM: u32 = 4;
pub const UNSUPPORTED: u32 = 5;

pub trait ProofVerifier {
    /// `claim`: `vk_digest | ops_per_step u32 LE | rollup u32 LE | old_root | new_root`.
    fn verify_batch(&self, claim: &[u8], data: &[u8], proof: &[u8]) -> u32;
    fn vk_digest(&self, ops_per_step: u32) -> Result<[u8; 32], u32>;
    /// An exit proof against `root`.
    fn verify_exit(&self, root: &[u8; 32], proof: &[u8]) -> u32;
    /// A rollup account's Schnorr signature: `pubkey` = `x | y`, `msg` = `word | extra`, `sig` =
    /// `rx | ry | s` (32-byte little-endian field elements).
    fn verify_signature(&self, pubkey: &[u8], msg: &[u8], sig: &[u8]) -> u32;
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The chain's verifier, through the imports.
pub struct Host;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[repr(C)]
    pub struct Region {
        pub offset: u32,
        pub capacity: u32,
        pub length: u32,
    }

    pub fn region(data: &[u8]) -> Region {
        Region {
            offset: data.as_ptr() as u32,
            capacity: data.len() as u32,
            length: data.len() as u32,
        }
    }

    extern "C" {
        pub fn proof_zk_verify_batch(claim: u32, data: u32, proof: u32) -> u32;
        pub fn proof_zk_vk_digest(ops_per_step: u32, out: u32) -> u32;
        pub fn proof_zk_verify_exit(root: u32, proof: u32) -> u32;
        pub fn proof_zk_verify_signature(pubkey: u32, msg: u32, sig: u32) -> u32;
    }
}

#[cfg(target_arch = "wasm32")]
impl ProofVerifier for Host {
    fn verify_batch(&self, claim: &[u8], data: &[u8], proof: &[u8]) -> u32 {
        use imports::*;
        let (c, d, p) = (region(claim), region(data), region(proof));
        // SAFETY: the regions point at live slices for the duration of the call; the host only
        // reads them.
        unsafe {
            proof_zk_verify_batch(
                &c as *const Region as u32,
                &d as *const Region as u32,
                &p as *const Region as u32,
            )
        }
    }

    fn verify_exit(&self, root: &[u8; 32], proof: &[u8]) -> u32 {
        use imports::*;
        let (r, p) = (region(root), region(proof));
        // SAFETY: as in `verify_batch`.
        unsafe { proof_zk_verify_exit(&r as *const Region as u32, &p as *const Region as u32) }
    }

    fn verify_signature(&self, pubkey: &[u8], msg: &[u8], sig: &[u8]) -> u32 {
        use imports::*;
        let (k, m, s) = (region(pubkey), region(msg), region(sig));
        // SAFETY: as in `verify_batch`.
        unsafe {
            proof_zk_verify_signature(
                &k as *const Region as u32,
                &m as *const Region as u32,
                &s as *const Region as u32,
            )
        }
    }

    fn vk_digest(&self, ops_per_step: u32) -> Result<[u8; 32], u32> {
        use imports::*;
        let mut out = [0u8; 32];
        let mut r = Region {
            offset: out.as_mut_ptr() as u32,
            capacity: 32,
            length: 0,
        };
        // SAFETY: the region names `out`, which outlives the call; the host writes at most its
        // capacity and sets the length.
        let code = unsafe { proof_zk_vk_digest(ops_per_step, &mut r as *mut Region as u32) };
        match (code, r.length) {
            (VALID, 32) => Ok(out),
            (VALID, _) => Err(MALFORMED),
            (c, _) => Err(c),
        }
    }
}

/// Natively (unit tests, clients linking the crates) there is no chain to ask.
#[cfg(not(target_arch = "wasm32"))]
impl ProofVerifier for Host {
    fn verify_batch(&self, _: &[u8], _: &[u8], _: &[u8]) -> u32 {
        UNSUPPORTED
    }
    fn vk_digest(&self, _: u32) -> Result<[u8; 32], u32> {
        Err(UNSUPPORTED)
    }
    fn verify_exit(&self, _: &[u8; 32], _: &[u8]) -> u32 {
        UNSUPPORTED
    }
    fn verify_signature(&self, _: &[u8], _: &[u8], _: &[u8]) -> u32 {
        UNSUPPORTED
    }
}
