//! Where the rollup system contracts are, and reading them.

use anyhow::{Context, Result};
use clap::Args;
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;

/// The two system contracts (a localnet prints them, and keeps them in `DIR/contracts.json`).
#[derive(Args, Clone)]
pub struct SystemContracts {
    /// The rollup-verifier contract
    #[arg(long, env = "PROOF_ROLLUP_VERIFIER", global = true)]
    pub verifier: Option<String>,
    /// The xx settlement contract [default: the verifier's settlement contract]
    #[arg(long, env = "PROOF_XX", global = true)]
    pub xx: Option<String>,
}

impl SystemContracts {
    pub fn verifier(&self) -> Result<Address> {
        crate::util::contract_flag(
            self.verifier.as_deref(),
            "rollup-verifier",
            "--verifier",
            "PROOF_ROLLUP_VERIFIER",
        )
    }

    /// `--xx` (or `PROOF_XX`) only: where funds are sent, never taken from a node's answer.
    pub fn xx_given(&self) -> Result<Address> {
        let x = self.xx.as_deref().context(
            "deposits go only to a settlement contract you name: pass --xx proof1... or set PROOF_XX (a localnet prints it)",
        )?;
        x.parse()
            .map_err(|e| anyhow::anyhow!("invalid --xx address {x:?}: {e}"))
    }

    /// `--xx`, else the settlement contract the verifier names (for reading only).
    pub async fn xx(&self, rpc: &RpcClient) -> Result<Address> {
        if let Some(x) = &self.xx {
            return x
                .parse()
                .map_err(|e| anyhow::anyhow!("invalid --xx address {x:?}: {e}"));
        }
        proof_rollup::chain::settlement_of(rpc, &self.verifier()?).await
    }
}

pub use proof_rollup::chain::smart;
