//! A rollup's state rebuilt from the chain alone (`proof_rollup::chain::rebuild`: every verified
//! batch's published bytes replayed from the empty tree), with a progress bar. No operator is
//! asked, so this works when the operator is gone.

use anyhow::Result;
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use proof_zk::AccountTree;
use rollup_msgs::verifier::RollupInfo;

use crate::progress::Progress;

/// The rollup's tree at its last verified root, checked against the root the verifier holds.
pub async fn rebuild(
    rpc: &RpcClient,
    verifier: &Address,
    rollup: u32,
    progress: &mut Progress,
) -> Result<(RollupInfo, AccountTree)> {
    let mut bar = None;
    let rebuilt = proof_rollup::chain::rebuild(rpc, verifier, rollup, |done, total| {
        let b = bar.get_or_insert_with(|| {
            progress.count("replaying the rollup's batches from the chain", total)
        });
        if let Some(b) = b {
            b.set_position(done);
        }
    })
    .await;
    crate::progress::finish(bar.flatten());
    rebuilt
}
