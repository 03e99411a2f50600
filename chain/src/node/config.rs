//! `H/config/app.toml`: the application's own settings (CometBFT's are in `H/cometbft/config`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::store::Pruning;

/// Port layout of node `index`: DESIGN.md section 4, node i adds 100*i.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub p2p: u16,
    pub rpc: u16,
    pub abci: u16,
    pub grpc: u16,
    pub metrics: u16,
    pub cometbft_metrics: u16,
}

impl Ports {
    pub fn for_node(index: u16) -> Self {
        let o = 100 * index;
        Self {
            p2p: 26656 + o,
            rpc: 26657 + o,
            abci: 26658 + o,
            grpc: 9090 + o,
            metrics: 26660 + o,
            cometbft_metrics: 26661 + o,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AppConfig {
    pub chain_id: String,
    pub moniker: String,
    pub abci_addr: String,
    pub metrics_addr: String,
    /// Where the gRPC server listens (`None`: no gRPC server).
    #[serde(default)]
    pub grpc_addr: Option<String>,
    /// This node's CometBFT RPC (the gRPC server's BroadcastTx and GetNodeInfo go there).
    #[serde(default = "default_cometbft_rpc")]
    pub cometbft_rpc: String,
    #[serde(default)]
    pub pruning: Pruning,
    /// Signature-check cache entries (CheckTx results reused by block execution).
    #[serde(default = "default_sig_cache")]
    pub sig_cache_entries: usize,
    /// Most bytes the compiled-contract cache (`data/wasm-cache`) keeps on disk; the least
    /// recently used artifacts go first and are compiled again from state when next used.
    #[serde(default = "default_wasm_cache_bytes")]
    pub wasm_cache_bytes: u64,
}

fn default_cometbft_rpc() -> String {
    "http://127.0.0.1:26657".into()
}

fn default_sig_cache() -> usize {
    200_000
}

fn default_wasm_cache_bytes() -> u64 {
    4 << 30
}

impl AppConfig {
    pub fn path(home: &Path) -> PathBuf {
        home.join("config").join("app.toml")
    }

    pub fn load(home: &Path) -> Result<Self> {
        let p = Self::path(home);
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("cannot read {} (run `proofd init` first)", p.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid {}", p.display()))
    }

    pub fn save(&self, home: &Path) -> Result<()> {
        let p = Self::path(home);
        std::fs::create_dir_all(p.parent().expect("config dir"))?;
        std::fs::write(&p, toml::to_string_pretty(self)?)
            .with_context(|| format!("cannot write {}", p.display()))
    }
}
