//! Where the AMM is: `--amm`, or `PROOF_AMM` (a localnet prints it, and keeps it in
//! `DIR/contracts.json`).

use anyhow::Result;
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
        crate::util::contract_flag(self.amm.as_deref(), "amm", "--amm", "PROOF_AMM")
    }
}
