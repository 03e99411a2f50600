//! Where the AMM is: `--amm`, or `PROOF_AMM` (a localnet prints it, and keeps it in
//! `DIR/contracts.json`).

use anyhow::{Context, Result};
use clap::Args;
use proof_sdk::Address;

#[derive(Args, Clone)]
pub struct AmmContract {
    /// The amm system contract
    #[arg(long, env = "PROOF_AMM", global = true)]
    pub amm: Option<String>,
}

impl AmmContract {
    pub fn address(&self) -> Result<Address> {
        let a = self
            .amm
            .as_deref()
            .context("the amm contract is not known: pass --amm proof1... or set PROOF_AMM")?;
        a.parse()
            .map_err(|e| anyhow::anyhow!("invalid --amm address {a:?}: {e}"))
    }
}
