//! `proof-relayer`: an IBC relayer between Proof chains and Cosmos SDK chains. It creates
//! 07-tendermint clients, opens connections and channels, and relays packets, acknowledgements
//! and timeouts in both directions, built on `proof-sdk`'s client path.
//!
//! Layout: `config` (chains and paths), `chain` (one chain's RPC, proofs, headers, events and
//! transactions), `client` (client states and headers), `handshake` (ICS-03/04 handshakes),
//! `packets` (relay, timeouts, clearing from state), `misbehaviour` (headers a client took,
//! checked against the reference chain), `supervisor` (a worker per path), `setup` (create
//! what a path lacks), `metrics`.

pub mod chain;
pub mod client;
pub mod config;
pub mod handshake;
pub mod metrics;
pub mod misbehaviour;
pub mod packets;
pub mod setup;
pub mod supervisor;

use std::sync::Arc;

use anyhow::{Context, Result};

use chain::Chain;
use config::{ChainConfig, Config};

/// Opens `cfg`'s key (the keyring's password from `PROOF_KEYRING_PASSWORD` or `password_file`).
pub fn connect(cfg: &ChainConfig, password: &str) -> Result<Chain> {
    let ks = proof_sdk::keystore::Keystore::open(&cfg.keyring);
    let key = ks.signing_key(&cfg.key, password).with_context(|| {
        format!(
            "{}: cannot open key {} in {}",
            cfg.id,
            cfg.key,
            cfg.keyring.display()
        )
    })?;
    Chain::new(cfg.clone(), key)
}

/// Both chains of path `name`, connected.
pub fn path_chains(cfg: &Config, name: &str, password: &str) -> Result<(Arc<Chain>, Arc<Chain>)> {
    let p = cfg.path(name)?;
    let a = connect(cfg.chain(&p.a.chain).context("chain")?, password)?;
    let b = connect(cfg.chain(&p.b.chain).context("chain")?, password)?;
    Ok((Arc::new(a), Arc::new(b)))
}
