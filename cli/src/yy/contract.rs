//! Where the YY contract is: `--yy`, or `PROOF_YY` (a localnet prints it, and keeps it in
//! `DIR/contracts.json`).

use anyhow::{Context, Result};
use clap::Args;
use proof_sdk::Address;

#[derive(Args, Clone)]
pub struct YyContract {
    /// The yy system contract
    #[arg(long, env = "PROOF_YY", global = true)]
    pub yy: Option<String>,
}

impl YyContract {
    pub fn address(&self) -> Result<Address> {
        let a = self
            .yy
            .as_deref()
            .context("the yy contract is not known: pass --yy proof1... or set PROOF_YY")?;
        a.parse()
            .map_err(|e| anyhow::anyhow!("invalid --yy address {a:?}: {e}"))
    }
}
