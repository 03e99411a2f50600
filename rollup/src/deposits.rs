//! Deposits and forced inclusion: the `xx` queue of the rollup, read from the chain and handed to
//! the sequencer in queue order. `xx` lets anyone freeze the rollup once its front deposit waited
//! past the inclusion deadline, so the operator takes each one into the open batch as soon as it
//! sees it. A deposit no batch can include stops the queue until someone rejects it on the chain
//! (`reject_deposit`); the watcher then sees it gone and tells the sequencer to skip it.

use crate::chain::ChainClient;
use crate::intake::Request;
use crate::sequencer::Input;
use crate::status::Status;
use anyhow::{anyhow, Result};
use proof_zk::{f_from_bytes, Op, PublicKey};
use rollup_msgs::xx::PendingDeposit;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Deposits read per query.
const PAGE: u32 = 500;

/// The batch operation of a queued deposit.
pub fn deposit_op(d: &PendingDeposit) -> Result<Op> {
    let coord = |h: &rollup_msgs::Hex32| {
        f_from_bytes(&h.0).ok_or_else(|| anyhow!("deposit {}: key is not a field element", d.seq))
    };
    Ok(Op::Deposit {
        to: d.op.to,
        pubkey: PublicKey {
            x: coord(&d.op.pubkey_x)?,
            y: coord(&d.op.pubkey_y)?,
        },
        amount: u64::try_from(d.op.amount.0)
            .map_err(|_| anyhow!("deposit {}: amount above 64 bits", d.seq))?,
    })
}

/// Polls the queue every `every` and sends what the sequencer has not taken yet. Runs until
/// the sequencer's channel closes.
pub async fn watch(
    chain: ChainClient,
    status: Arc<Status>,
    to_sequencer: std::sync::mpsc::Sender<Request>,
    every: Duration,
) {
    loop {
        let next = status.next_deposit_seq.load(Ordering::Acquire);
        // The queue's length first, then its contents: a deposit below that length missing from
        // the queue left it (only a rejection or a refund removes one the operator never took).
        let listed = match chain.settlement().await {
            Ok(b) => chain
                .pending_deposits(next.checked_sub(1), PAGE)
                .await
                .map(|ds| (b.next_seq, ds)),
            Err(e) => Err(e),
        };
        match listed {
            Ok((queued_upto, ds)) => {
                let first = ds
                    .iter()
                    .map(|d| d.seq)
                    .find(|s| *s >= next)
                    .unwrap_or(queued_upto);
                for seq in next..first.min(queued_upto) {
                    let input = Input::SkipDeposit { seq };
                    if to_sequencer.send(Request::Input(input)).is_err() {
                        return;
                    }
                }
                for d in ds.iter().filter(|d| d.seq >= next) {
                    match deposit_op(d) {
                        Ok(op) => {
                            let input = Input::Deposit { seq: d.seq, op };
                            if to_sequencer.send(Request::Input(input)).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::error!(%e, "a queued deposit the rollup cannot take");
                            break;
                        }
                    }
                }
                if ds.len() as u32 == PAGE {
                    // more behind this page: look again once the sequencer has taken this one
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "reading the deposit queue"),
        }
        tokio::time::sleep(every).await;
    }
}
