//! Begin block: this chain's consensus state at the block's height, the one a counterparty's
//! client of us holds once it is updated to this header (root = the header's app hash, which
//! is the previous block's; the header's time; its next validators' hash). Handshakes check
//! the client a counterparty claims to have of us against it, so a window is kept: the last
//! [`HOST_HISTORY`] heights, one older entry dropped each block.

use ibc::clients::tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc::clients::tendermint::types::ConsensusState as ConsensusStateType;
use ibc::core::commitment_types::commitment::CommitmentRoot;
use ibc::primitives::proto::{Any, Protobuf};
use tendermint::abci::Event;

use super::keys;
use crate::modules::component::{BlockCtx, Component};
use crate::state::{Delta, StateError};

/// Heights of our own consensus state kept (the SDK's `historical_entries` default).
pub const HOST_HISTORY: u64 = crate::state::params::HISTORICAL_ENTRIES;

pub struct Ibc;

/// Our consensus state for a header, `None` where the header lacks what it needs (the first
/// block has no previous app hash in state; a test harness may give no validators' hash).
pub fn host_consensus_state(ctx: &BlockCtx<'_>) -> Option<TmConsensusState> {
    let root = ctx.prev_app_hash?;
    let next_vals = tendermint::Hash::from_bytes(
        tendermint::hash::Algorithm::Sha256,
        ctx.next_validators_hash,
    )
    .ok()
    .filter(|h| !h.is_empty())?;
    let nanos = ctx.time_nanos;
    let time = tendermint::Time::from_unix_timestamp(
        i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?,
        u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?,
    )
    .ok()?;
    Some(ConsensusStateType::new(CommitmentRoot::from_bytes(&root), time, next_vals).into())
}

impl Component for Ibc {
    fn name(&self) -> &'static str {
        "ibc"
    }

    fn begin_block(
        &self,
        block: &mut Delta<'_>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<Event>, StateError> {
        if let Some(cs) = host_consensus_state(ctx) {
            block.put(
                keys::host_consensus(ctx.height),
                <TmConsensusState as Protobuf<Any>>::encode_vec(cs),
            );
        }
        if ctx.height > HOST_HISTORY {
            block.delete(keys::host_consensus(ctx.height - HOST_HISTORY));
        }
        Ok(Vec::new())
    }
}
