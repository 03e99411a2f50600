//! The consensus connection: InitChain, PrepareProposal, ProcessProposal, FinalizeBlock, Commit.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use prost::Message;
use tendermint::abci::{request, response};
use tendermint::v0_38::abci::{ConsensusRequest, ConsensusResponse};
use tracing::{error, info, warn};

use super::executor::{BlockKey, BlockOutcome, Executor, ProposalLimits, ProposedHeader};
use super::genesis::AppGenesis;
use super::mempool::MempoolState;
use crate::app::pos::PosInput;
use crate::modules::upgrade::Plan;
use crate::node::metrics::Metrics;
use crate::state::{Delta, StateError, StateRead};
use crate::store::{CommitBatch, TxRecord};

pub struct ConsensusState {
    pub exec: Arc<Executor>,
    pub mempool: Arc<MempoolState>,
    pub metrics: Arc<Metrics>,
    /// The last block executed by Prepare/ProcessProposal, reused by FinalizeBlock if it matches.
    cached: Option<BlockOutcome>,
    /// FinalizeBlock's result waiting for Commit.
    pending: Option<CommitBatch>,
    /// Called when a block needs a software upgrade this binary lacks. The node's hook halts it
    /// and does not return (see `node::start`); without one the request fails.
    on_upgrade_needed: Option<UpgradeHook>,
    /// A crash point for fault tests (`PROOFD_CRASH_AT`), read once at start.
    crash_at: Option<CrashPoint>,
}

/// Where a fault test makes the node die: `PROOFD_CRASH_AT=commit-before:H` aborts in the
/// Commit of block H before the state is written, `commit-after:H` right after (before CometBFT
/// hears back). Like CometBFT's own fail points, it only exists for crash-recovery tests; a
/// malformed value is ignored with a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrashPoint {
    pub height: u64,
    pub after_write: bool,
}

impl CrashPoint {
    pub const ENV: &'static str = "PROOFD_CRASH_AT";

    pub fn from_env() -> Option<CrashPoint> {
        let v = std::env::var(Self::ENV).ok()?;
        let parsed = v.split_once(':').and_then(|(point, h)| {
            let after_write = match point {
                "commit-before" => false,
                "commit-after" => true,
                _ => return None,
            };
            Some(CrashPoint {
                height: h.parse().ok()?,
                after_write,
            })
        });
        if parsed.is_none() {
            warn!(value = %v, "ignoring malformed {}", Self::ENV);
        }
        parsed
    }

    fn hit(&self, height: u64, after_write: bool) {
        if self.height == height && self.after_write == after_write {
            error!(
                height,
                after_write,
                "{}: crashing here on purpose",
                Self::ENV
            );
            std::process::abort();
        }
    }
}

/// What the node does when a block needs an upgrade this binary lacks.
pub type UpgradeHook = Box<dyn Fn(&Plan) + Send>;

impl ConsensusState {
    pub fn new(exec: Arc<Executor>, mempool: Arc<MempoolState>, metrics: Arc<Metrics>) -> Self {
        Self {
            exec,
            mempool,
            metrics,
            cached: None,
            pending: None,
            on_upgrade_needed: None,
            crash_at: CrashPoint::from_env(),
        }
    }

    pub fn on_upgrade_needed(mut self, hook: impl Fn(&Plan) + Send + 'static) -> Self {
        self.on_upgrade_needed = Some(Box::new(hook));
        self
    }

    pub fn handle(&mut self, req: ConsensusRequest) -> anyhow::Result<ConsensusResponse> {
        let result = self.dispatch(req);
        if let Err(e) = &result {
            if let Some(StateError::UpgradeNeeded(plan)) = e.downcast_ref::<StateError>() {
                error!(name = %plan.name, height = plan.height, info = %plan.info, "UPGRADE NEEDED: halting; restart on a binary that has this upgrade");
                if let Some(hook) = &self.on_upgrade_needed {
                    hook(plan);
                }
            }
        }
        result
    }

    fn dispatch(&mut self, req: ConsensusRequest) -> anyhow::Result<ConsensusResponse> {
        Ok(match req {
            ConsensusRequest::InitChain(r) => ConsensusResponse::InitChain(self.init_chain(r)?),
            ConsensusRequest::PrepareProposal(r) => {
                ConsensusResponse::PrepareProposal(self.prepare_proposal(r)?)
            }
            ConsensusRequest::ProcessProposal(r) => {
                ConsensusResponse::ProcessProposal(self.process_proposal(r)?)
            }
            ConsensusRequest::FinalizeBlock(r) => {
                ConsensusResponse::FinalizeBlock(self.finalize_block(r)?)
            }
            ConsensusRequest::Commit => ConsensusResponse::Commit(self.commit()?),
            ConsensusRequest::ExtendVote(_) => {
                ConsensusResponse::ExtendVote(response::ExtendVote {
                    vote_extension: Bytes::new(),
                })
            }
            ConsensusRequest::VerifyVoteExtension(_) => {
                ConsensusResponse::VerifyVoteExtension(response::VerifyVoteExtension::Accept)
            }
        })
    }

    fn init_chain(&mut self, req: request::InitChain) -> anyhow::Result<response::InitChain> {
        let store = &self.exec.store;
        let genesis_version = req.initial_height.value().saturating_sub(1);
        if let Some(v) = store.latest_version() {
            // CometBFT calls InitChain again if it crashed before block 1; genesis is already ours.
            let hash = store.app_hash(v)?.unwrap_or_default();
            warn!(
                version = v,
                "InitChain on an initialised store: returning the stored genesis hash"
            );
            let validators = crate::app::pos::current_set(&**store)?;
            return Ok(response::InitChain {
                consensus_params: None,
                validators: if validators.is_empty() {
                    req.validators
                } else {
                    validators
                },
                app_hash: hash.to_vec().try_into()?,
            });
        }
        anyhow::ensure!(
            req.chain_id == self.exec.chain_id,
            "genesis chain id {} differs from the node's {}",
            req.chain_id,
            self.exec.chain_id
        );
        let genesis = AppGenesis::parse(&req.app_state_bytes)?;
        let base: &dyn StateRead = &**store;
        let mut delta = Delta::new(base);
        genesis.apply(&req.chain_id, &mut delta)?;
        // The app is the source of truth for validators when its genesis names them.
        let validators = genesis.staking.apply(
            &mut delta,
            i64::try_from(req.time.unix_timestamp_nanos())?,
            req.initial_height.value(),
        )?;
        let batch = store.prepare_commit(genesis_version, delta.into_writes(), vec![])?;
        let app_hash = batch.app_hash;
        store.commit(batch)?;
        info!(accounts = genesis.accounts.len(), app_hash = %hex::encode_upper(app_hash), "genesis applied");
        Ok(response::InitChain {
            consensus_params: None,
            validators: if validators.is_empty() {
                req.validators
            } else {
                validators
            },
            app_hash: app_hash.to_vec().try_into()?,
        })
    }

    fn prepare_proposal(
        &mut self,
        req: request::PrepareProposal,
    ) -> anyhow::Result<response::PrepareProposal> {
        let started = Instant::now();
        let (outcome, txs) = self.exec.propose_block(
            ProposedHeader {
                height: req.height.value(),
                time: req.time,
                proposer: req.proposer_address.as_bytes(),
                next_validators_hash: req.next_validators_hash.as_bytes(),
            },
            &req.txs,
            ProposalLimits {
                max_bytes: req.max_tx_bytes,
            },
            req.local_last_commit
                .as_ref()
                .map(|c| PosInput::from_extended(c, &req.misbehavior))
                .unwrap_or_default(),
        )?;
        self.cached = Some(outcome);
        self.metrics
            .prepare_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(response::PrepareProposal { txs })
    }

    fn process_proposal(
        &mut self,
        req: request::ProcessProposal,
    ) -> anyhow::Result<response::ProcessProposal> {
        let started = Instant::now();
        let key = BlockKey::new(
            req.height.value(),
            req.time,
            req.proposer_address.as_bytes(),
            &req.txs,
        )
        .with_pos(
            req.proposed_last_commit
                .as_ref()
                .map(|c| PosInput::from_commit(c, &req.misbehavior))
                .unwrap_or_default(),
        )
        .with_next_validators(req.next_validators_hash.as_bytes());
        if self.cached.as_ref().is_some_and(|c| c.key == key) {
            return Ok(response::ProcessProposal::Accept);
        }
        let outcome = self.exec.execute_block(key, &req.txs)?;
        let gas: u64 = outcome
            .tx_results
            .iter()
            .map(|r| r.gas_wanted.max(0) as u64)
            .sum();
        let verdict = if !outcome.invalid.is_empty() {
            let i = outcome.invalid[0];
            warn!(height = req.height.value(), tx = i, log = %outcome.tx_results[i].log, "rejecting proposal with an invalid transaction");
            response::ProcessProposal::Reject
        } else if outcome.over_gas_cap {
            warn!(
                height = req.height.value(),
                gas, "rejecting proposal over the block gas limit"
            );
            response::ProcessProposal::Reject
        } else {
            self.cached = Some(outcome);
            response::ProcessProposal::Accept
        };
        self.metrics
            .process_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(verdict)
    }

    fn finalize_block(
        &mut self,
        req: request::FinalizeBlock,
    ) -> anyhow::Result<response::FinalizeBlock> {
        let started = Instant::now();
        let height = req.height.value();
        // Before anything of the block: a binary without the scheduled upgrade stops here.
        self.exec
            .upgrades
            .check_finalize(&*self.exec.store, height)?;
        let key = BlockKey::new(height, req.time, req.proposer_address.as_bytes(), &req.txs)
            .with_pos(PosInput::from_commit(
                &req.decided_last_commit,
                &req.misbehavior,
            ))
            .with_next_validators(req.next_validators_hash.as_bytes());
        let outcome = match self.cached.take() {
            Some(c) if c.key == key => c,
            _ => self.exec.execute_block(key, &req.txs)?,
        };
        let timestamp = req.time.to_rfc3339();
        let records = outcome
            .tx_hashes
            .iter()
            .zip(&outcome.tx_results)
            .zip(&req.txs)
            .enumerate()
            .map(|(i, ((hash, r), raw))| {
                let resp = TxResponse {
                    height: height as i64,
                    txhash: hex::encode_upper(hash),
                    codespace: r.codespace.clone(),
                    code: r.code.value(),
                    data: hex::encode_upper(&r.data),
                    raw_log: r.log.clone(),
                    gas_wanted: r.gas_wanted,
                    gas_used: r.gas_used,
                    timestamp: timestamp.clone(),
                    events: r.events.iter().cloned().map(Into::into).collect(),
                    ..Default::default()
                };
                (
                    *hash,
                    TxRecord {
                        height,
                        index: i as u32,
                        tx: raw.to_vec(),
                        response: resp.encode_to_vec(),
                    },
                )
            })
            .collect();
        let batch = self
            .exec
            .store
            .prepare_commit(height, outcome.writes, records)?;
        let app_hash = batch.app_hash;
        self.pending = Some(batch);
        let failed = outcome
            .tx_results
            .iter()
            .filter(|r| r.code.is_err())
            .count();
        self.metrics
            .block_txs
            .inc_by(outcome.tx_results.len() as u64);
        self.metrics.block_txs_failed.inc_by(failed as u64);
        self.metrics
            .finalize_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(response::FinalizeBlock {
            events: outcome.events,
            tx_results: outcome.tx_results,
            validator_updates: outcome.validator_updates,
            consensus_param_updates: None,
            app_hash: app_hash.to_vec().try_into()?,
        })
    }

    fn commit(&mut self) -> anyhow::Result<response::Commit> {
        let started = Instant::now();
        let Some(batch) = self.pending.take() else {
            error!("Commit without FinalizeBlock");
            anyhow::bail!("Commit called without a finalized block");
        };
        let height = batch.version;
        if let Some(c) = self.crash_at {
            c.hit(height, false);
        }
        self.exec.store.commit(batch)?;
        if let Some(c) = self.crash_at {
            c.hit(height, true);
        }
        self.cached = None;
        // CometBFT holds the mempool lock across Commit and the recheck that follows, so the
        // check state restarts from the new committed state before any new CheckTx.
        self.mempool.reset();
        self.metrics.height.set(height as i64);
        self.metrics
            .store_reads
            .set(i64::try_from(self.exec.store.reads()).unwrap_or(i64::MAX));
        self.metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(response::Commit {
            data: Bytes::new(),
            retain_height: 0u32.into(),
        })
    }
}
