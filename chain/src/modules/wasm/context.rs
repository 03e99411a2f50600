//! What every part of the wasm module shares: the gas conversion and limits, the error
//! constructor of wasmd's codes, inflating uploads, the block's compile room, and the context
//! a contract call runs in.

use crate::state::gas::GasMeter;
use crate::state::StateRead;
use crate::tx::TxError;
use proof_sdk::Address;
use proof_vm::types::{self as vmt, to_json};
use proof_vm::{Api, Vm};
use std::io::Read;
use std::sync::Arc;

/// VM gas per chain (SDK) gas: the one conversion between the two (see `vm/GAS.md`).
///
/// Chosen so a unit of gas buys the same CPU time in a contract as in the rest of the chain:
/// VM gas is calibrated at ~10^12 per CPU second, and chain gas at ~10^9 per second of node work
/// (a bank transfer: ~75k gas for ~90 us). So the per-tx cap (50M gas) bounds a contract call to
/// ~50 ms and the block cap (1e9 gas) a block's contract CPU to ~1 s. (wasmd's 140_000_000 relates
/// different units; a larger multiplier here would let one cheap tx burn seconds of every
/// validator's CPU.)
pub const VM_GAS_PER_SDK_GAS: u64 = 1_000;
/// Largest accepted wasm code, after un-gzipping (wasmd's default `MaxWasmSize`).
pub const MAX_WASM_SIZE: usize = 800 * 1024;
/// How deep calls may nest (smart queries and messages from contracts).
pub const MAX_CALL_DEPTH: u32 = 10;
/// Chain gas a smart query through ABCI may use (wasmd's default `SmartQueryGasLimit`).
pub const QUERY_GAS_LIMIT: u64 = 3_000_000;
/// Gas per record an iterator yields (the SDK's `IterNextCostFlat`), plus the read per-byte cost.
pub const ITER_NEXT_FLAT: u64 = 30;
/// How often a call is retried when the VM's instance pool is momentarily exhausted.
pub(crate) const RESOURCE_RETRIES: u32 = 5;

pub(crate) fn werr(code: u32, msg: impl Into<String>) -> TxError {
    TxError::Wasm {
        code,
        msg: msg.into(),
    }
}

/// Gas per byte un-gzipping produces (measured, `BENCHMARKS.md`: gzip inflates ~300 MB/s
/// here, ~3 ns a byte at the chain's ~1 gas per ns).
pub const UNCOMPRESS_GAS_PER_BYTE: u64 = 3;
/// Gas per unit of compile weight (`proof_vm::validate::compile_weight`, about a byte of ordinary
/// code) of an upload, on top of storing it (30 a byte). Compilation costs far more CPU than a
/// transaction's gas can buy (cranelift: 300-500 ns a unit), so what bounds it is
/// [`crate::state::params::Params::max_block_compile_weight`]; this price makes each upload pay
/// a share of that room while an 800 KB contract still fits a transaction (~10M gas).
pub const COMPILE_GAS_PER_UNIT: u64 = 5;

/// Un-gzips `code` if it is gzipped, charging `gas` per byte produced; enforces
/// [`MAX_WASM_SIZE`] either way. The output is capped before it is allocated, so a gzip bomb
/// costs at most `MAX_WASM_SIZE` bytes of work.
pub fn uncompress(code: &[u8], gas: &mut GasMeter) -> Result<Vec<u8>, TxError> {
    if code.is_empty() {
        return Err(werr(12, "empty wasm code"));
    }
    let wasm = if code.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(code)
            .take(MAX_WASM_SIZE as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| werr(2, format!("cannot un-gzip wasm code: {e}")))?;
        gas.charge(UNCOMPRESS_GAS_PER_BYTE * out.len() as u64)?;
        out
    } else {
        code.to_vec()
    };
    if wasm.len() > MAX_WASM_SIZE {
        return Err(werr(
            13,
            format!("wasm code too large: more than {MAX_WASM_SIZE} bytes"),
        ));
    }
    Ok(wasm)
}

/// How much compile weight a block may still spend on uploads, shared by its transactions:
/// compilation is the one cost gas cannot bound (see [`COMPILE_GAS_PER_UNIT`]). A simulation's
/// budget compiles nothing.
pub struct CompileBudget {
    left: std::cell::Cell<u64>,
    /// The most one upload may weigh: a block's whole room.
    room: u64,
    pub(super) compile: bool,
    /// Codes a simulation checked but did not compile: they cannot run in it.
    pub(super) uncompiled: std::cell::RefCell<std::collections::BTreeSet<proof_vm::Checksum>>,
}

impl CompileBudget {
    /// A block's room for `weight` of uploads.
    pub fn block(weight: u64) -> Self {
        CompileBudget {
            left: std::cell::Cell::new(weight),
            room: weight,
            compile: true,
            uncompiled: Default::default(),
        }
    }

    /// Simulation: uploads are checked (and refused over `room`) as they would be, but not
    /// compiled.
    pub fn simulation(room: u64) -> Self {
        CompileBudget {
            left: std::cell::Cell::new(room),
            room,
            compile: false,
            uncompiled: Default::default(),
        }
    }

    pub fn left(&self) -> u64 {
        self.left.get()
    }

    /// Takes room for an upload of compile weight `weight`, or says the block has none left
    /// (it fits an empty one), or that the code is too heavy for any block.
    pub(super) fn take(&self, weight: u64) -> Result<(), TxError> {
        if weight > self.room {
            return Err(werr(
                13,
                format!("code too costly to compile: weight {weight} over the limit of {} (see max_block_compile_weight)", self.room),
            ));
        }
        let left = self.left.get();
        if weight > left {
            return Err(TxError::BlockFull(format!(
                "the block has room to compile {left} more units of uploads, this one weighs {weight}: it fits a later block"
            )));
        }
        self.left.set(left - weight);
        Ok(())
    }
}

/// The API contracts get outside a block (queries, governance execution): addresses and the
/// proof checks gas pays for in full, no batch verification (one instance per process).
pub fn chain_api() -> Arc<dyn Api> {
    static API: std::sync::OnceLock<Arc<dyn Api>> = std::sync::OnceLock::new();
    API.get_or_init(|| Arc::new(super::api::ContractApi::new(None)))
        .clone()
}

/// What every call of a transaction shares.
pub struct WasmCtx<'v> {
    pub vm: &'v Vm,
    pub api: Arc<dyn Api>,
    pub chain_id: String,
    pub height: u64,
    pub time_nanos: i128,
    pub tx_hash: Option<[u8; 32]>,
    /// Index of the transaction in its block (0 in queries and simulations).
    pub tx_index: u64,
    /// Room to compile uploads; `None` where nothing may be uploaded (queries).
    pub compile: Option<&'v CompileBudget>,
}

impl<'v> WasmCtx<'v> {
    /// A context outside any transaction (queries, governance, chain modules), with the chain's
    /// address API.
    pub fn outside_tx(vm: &'v Vm, chain_id: &str, height: u64, time_nanos: i128) -> Self {
        WasmCtx {
            vm,
            api: chain_api(),
            chain_id: chain_id.to_string(),
            height,
            time_nanos,
            tx_hash: None,
            tx_index: 0,
            compile: None,
        }
    }

    /// Block height and time as the executor recorded them in `meta/block`.
    pub fn block_info(state: &dyn StateRead) -> (u64, i128) {
        match state.get_raw(crate::state::keys::BLOCK_INFO) {
            Ok(Some(raw)) if raw.len() == 24 => (
                u64::from_be_bytes(raw[..8].try_into().expect("8 bytes")),
                i128::from_be_bytes(raw[8..].try_into().expect("16 bytes")),
            ),
            _ => (0, 0),
        }
    }

    /// The block time as the chain's modules keep it (ns, saturating into i64).
    pub fn now_ns(&self) -> i64 {
        i64::try_from(self.time_nanos).unwrap_or(i64::MAX)
    }

    pub(crate) fn env(&self, contract: &Address) -> Vec<u8> {
        to_json(&vmt::Env {
            block: vmt::BlockInfo {
                height: self.height,
                time: self.time_nanos.max(0).to_string(),
                chain_id: self.chain_id.clone(),
            },
            transaction: self.tx_hash.map(|h| vmt::TransactionInfo {
                index: self.tx_index as u32,
                hash: Some(hex::encode_upper(h)),
            }),
            contract: vmt::ContractInfo {
                address: contract.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod api_tests {
    use proof_vm::{BatchClaim, ZkVerdict};

    #[test]
    fn outside_a_block_contracts_get_the_cheap_checks_but_no_batch_verification() {
        let api = super::chain_api();
        let key = proof_zk::SecretKey::from_seed(&[4; 32]);
        let pk = key.public_key();
        let (w, e) = proof_zk::schnorr::key_possession_message(1, 2, &[3; 20]);
        let b = |x: &proof_zk::F| proof_zk::f_to_bytes(x);
        let sig = key.sign(w, e).to_bytes();
        let verdict = api.zk_verify_signature(
            &[b(&pk.x), b(&pk.y)].concat(),
            &[b(&w), b(&e)].concat(),
            &sig,
        );
        assert_eq!(verdict, ZkVerdict::Valid);
        let tree = proof_zk::AccountTree::new();
        let proof = proof_zk::exit_proof(&tree, 5).unwrap().to_bytes();
        assert_eq!(
            api.zk_verify_exit(&b(&tree.root()), &proof),
            ZkVerdict::Valid
        );
        let claim = BatchClaim {
            vk_digest: [0; 32],
            ops_per_step: 2,
            rollup: 1,
            old_root: [0; 32],
            new_root: [0; 32],
        };
        assert_eq!(
            api.zk_verify_batch(&claim, &[], &[]),
            ZkVerdict::Unsupported
        );
        assert_eq!(api.zk_vk_digest(2), Err(ZkVerdict::Unsupported));
        assert!(api
            .addr_validate(
                &proof_sdk::Address::from_bytes(&[1; 20])
                    .unwrap()
                    .to_string()
            )
            .is_ok());
    }
}
