//! The verifier keys of this node: derived from the circuit and a step size, cached on disk
//! beside the node's data (`<home>/data/zk`), decoded once per process.
//!
//! Keys are 67-240 MB and take seconds to decode (tens of seconds to derive), so `proofd start`
//! loads, in the background, every key its cache already holds; a key first asked for inside a
//! block is derived there (every node does the same work, once).

use proof_zk::prover::Verifier;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One step size's key: empty until loaded. A failed load is not kept (the next ask retries:
/// a full disk or a killed derivation must not stop the node for good).
type Slot = Arc<Mutex<Option<Arc<Verifier>>>>;

/// The process's keys, by step size.
pub struct NodeKeys {
    dir: PathBuf,
    slots: Mutex<BTreeMap<u32, Slot>>,
}

static NODE_KEYS: OnceLock<NodeKeys> = OnceLock::new();

/// Sets where this process caches keys; only the first call (before any key is used) counts.
/// Without it the cache is `proof_zk::ZkParams::default_dir()` (`$PROOF_ZK_PARAMS`, else a
/// temporary directory), which is where the prover caches its parameters too.
pub fn init(dir: &Path) -> &'static NodeKeys {
    NODE_KEYS.get_or_init(|| NodeKeys::new(dir.to_path_buf()))
}

/// The process's keys.
pub fn node_keys() -> &'static NodeKeys {
    NODE_KEYS.get_or_init(|| NodeKeys::new(proof_zk::ZkParams::default_dir()))
}

impl NodeKeys {
    fn new(dir: PathBuf) -> Self {
        NodeKeys {
            dir,
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The verifier for step size `k` (a supported one: see `proof_zk::keys::STEP_SIZES`).
    /// Concurrent callers for the same `k` wait for one derivation. `Err` is this node's
    /// condition (disk, memory), not the request's.
    pub fn verifier(&self, k: u32) -> Result<Arc<Verifier>, String> {
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(k).or_default().clone()
        };
        let mut held = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = held.as_ref() {
            return Ok(v.clone());
        }
        let t = std::time::Instant::now();
        let v = proof_zk::keys::load_or_derive(&self.dir, k).map_err(|e| {
            format!(
                "cannot load or derive the verifier key for K = {k} under {}: {e}",
                self.dir.display()
            )
        })?;
        tracing::info!(k, digest = %hex::encode(v.vk_digest()), elapsed_ms = t.elapsed().as_millis() as u64, "verifier key ready");
        let v = Arc::new(v);
        *held = Some(v.clone());
        Ok(v)
    }

    /// Loads, on a background thread, every key the cache holds (what this node verified
    /// before), so the first proof after a restart does not wait for a decode.
    pub fn preload_cached(&'static self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!("proof-zk-{}-k", proof_zk::prover::CIRCUIT_VERSION);
        let ks: Vec<u32> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_prefix(&prefix)?.strip_suffix(".vk")?.parse().ok())
            .filter(|k| proof_zk::keys::STEP_SIZES.contains(k))
            .collect();
        if ks.is_empty() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("zk-keys".into())
            .spawn(move || {
                for k in ks {
                    if let Err(e) = self.verifier(k) {
                        tracing::warn!(k, error = %e, "cannot preload a verifier key");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the verifier key loader");
        }
    }
}
