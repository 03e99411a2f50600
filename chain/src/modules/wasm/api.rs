//! The API contracts get from the chain: bech32 addresses with the chain's prefix, and, inside a
//! block or a simulation, the zk module's proof verifiers with that block's verification room.

use crate::modules::zk::{self, VerifyRoom};
use proof_vm::addr::Bech32Api;
use proof_vm::{Api, BatchClaim, ZkVerdict};
use std::sync::Arc;

pub struct ContractApi {
    addr: Arc<Bech32Api>,
    /// `None` outside a transaction (queries, governance execution): no batch proofs are
    /// verified there, as no room bounds their time.
    room: Option<Arc<VerifyRoom>>,
}

impl ContractApi {
    pub fn new(room: Option<Arc<VerifyRoom>>) -> Self {
        static ADDR: std::sync::OnceLock<Arc<Bech32Api>> = std::sync::OnceLock::new();
        ContractApi {
            addr: ADDR
                .get_or_init(|| Arc::new(Bech32Api::new(proof_sdk::ACCOUNT_PREFIX)))
                .clone(),
            room,
        }
    }
}

impl Api for ContractApi {
    fn addr_validate(&self, human: &str) -> Result<(), String> {
        self.addr.addr_validate(human)
    }
    fn addr_canonicalize(&self, human: &str) -> Result<Vec<u8>, String> {
        self.addr.addr_canonicalize(human)
    }
    fn addr_humanize(&self, canonical: &[u8]) -> Result<String, String> {
        self.addr.addr_humanize(canonical)
    }

    fn zk_verify_batch(&self, claim: &BatchClaim, data: &[u8], proof: &[u8]) -> ZkVerdict {
        match &self.room {
            Some(room) => zk::verify_batch(room, claim, data, proof),
            None => ZkVerdict::Unsupported,
        }
    }

    /// Cheap and priced by gas in full, so allowed everywhere (queries included).
    fn zk_verify_exit(&self, root: &[u8; 32], proof: &[u8]) -> ZkVerdict {
        zk::verify_exit(root, proof)
    }

    /// Cheap and priced by gas, so allowed everywhere (queries included).
    fn zk_verify_signature(&self, pubkey: &[u8], msg: &[u8], sig: &[u8]) -> ZkVerdict {
        zk::verify_signature(pubkey, msg, sig)
    }

    fn zk_vk_digest(&self, ops_per_step: u32) -> Result<[u8; 32], ZkVerdict> {
        match &self.room {
            Some(room) => zk::vk_digest(room, ops_per_step),
            None => Err(ZkVerdict::Unsupported),
        }
    }
}
