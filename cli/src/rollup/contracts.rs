//! Where the rollup system contracts are, and reading them.

use anyhow::{Context, Result};
use clap::Args;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::rpc_util::grpc;

const PATH_SMART: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";

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
        let v = self.verifier.as_deref().context(
            "the rollup-verifier contract is not known: pass --verifier proof1... or set PROOF_ROLLUP_VERIFIER",
        )?;
        v.parse()
            .map_err(|e| anyhow::anyhow!("invalid --verifier address {v:?}: {e}"))
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
        let cfg: rollup_msgs::verifier::ConfigResponse = smart(
            rpc,
            &self.verifier()?,
            &rollup_msgs::verifier::QueryMsg::Config {},
        )
        .await?;
        let x = cfg
            .settlement
            .context("the verifier has no settlement contract yet")?;
        x.parse()
            .map_err(|e| anyhow::anyhow!("the verifier's settlement address {x:?}: {e}"))
    }
}

/// A smart query of `contract`, typed both ways.
pub async fn smart<Q: Serialize, R: DeserializeOwned>(
    rpc: &RpcClient,
    contract: &Address,
    msg: &Q,
) -> Result<R> {
    let req = QuerySmartContractStateRequest {
        address: contract.to_string(),
        query_data: serde_json::to_vec(msg)?,
    };
    let (resp, _) = grpc::<_, QuerySmartContractStateResponse>(rpc, PATH_SMART, &req, None).await?;
    serde_json::from_slice(&resp.data)
        .with_context(|| format!("contract {contract} answered something unexpected"))
}
