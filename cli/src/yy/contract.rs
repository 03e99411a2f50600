//! Where the YY contract is: `--yy`, or `PROOF_YY` (a localnet prints it, and keeps it in
//! `DIR/contracts.json`).

use anyhow::Result;
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
        crate::util::contract_flag(self.yy.as_deref(), "yy", "--yy", "PROOF_YY")
    }
}
