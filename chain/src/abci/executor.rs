//! Executes blocks and transactions against a delta over the committed store. Shared by
//! PrepareProposal, ProcessProposal, FinalizeBlock and Simulate so they can never disagree.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use prost::Message;
use sha2::{Digest, Sha256};
use tendermint::abci::types::ExecTxResult;
use tendermint::abci::{Code, Event};

use crate::app::ante::{self, AnteCtx, Mode, SigCache};
use crate::app::components;
use crate::app::decode::decode_tx;
use crate::app::exec;
use crate::app::pos::PosInput;
use crate::modules::component::BlockCtx;
use crate::modules::epoch;
use crate::modules::gov::{self, Proposal};
use crate::modules::staking::StakingError;
use crate::modules::upgrade::migrations::Upgrades;
use crate::modules::wasm::{CompileBudget, ContractApi, WasmCtx};
use crate::modules::zk::{self, VerifyRoom};
use crate::state::gas::GasMeter;
use crate::state::params::Params;
use crate::state::{keys, Delta, Metered, StateError, StateRead};
use crate::store::Store;
use crate::tx::TxError;

/// What identifies a block's execution: same key, same result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockKey {
    pub height: u64,
    pub time_nanos: i128,
    pub proposer: Vec<u8>,
    pub txs_digest: [u8; 32],
    /// Last-commit signatures and evidence (proof of stake's inputs).
    pub pos: PosInput,
    /// The header's `next_validators_hash` (IBC records it in this chain's consensus state).
    pub next_validators_hash: Vec<u8>,
}

impl BlockKey {
    pub fn new(height: u64, time: tendermint::Time, proposer: &[u8], txs: &[Bytes]) -> Self {
        let mut h = Sha256::new();
        for tx in txs {
            h.update((tx.len() as u64).to_be_bytes());
            h.update(tx);
        }
        Self {
            height,
            time_nanos: time.unix_timestamp_nanos(),
            proposer: proposer.to_vec(),
            txs_digest: h.finalize().into(),
            pos: PosInput::default(),
            next_validators_hash: Vec::new(),
        }
    }

    pub fn with_pos(mut self, pos: PosInput) -> Self {
        self.pos = pos;
        self
    }

    pub fn with_next_validators(mut self, hash: &[u8]) -> Self {
        self.next_validators_hash = hash.to_vec();
        self
    }
}

/// What PrepareProposal knows of the block it proposes.
pub struct ProposedHeader<'a> {
    pub height: u64,
    pub time: tendermint::Time,
    pub proposer: &'a [u8],
    pub next_validators_hash: &'a [u8],
}

/// The result of one transaction.
pub struct TxOutcome {
    pub result: ExecTxResult,
    /// False if the transaction failed authentication or fee checks (it must not be in a block).
    pub valid: bool,
    /// CometBFT's hash of the raw bytes (computed once, by the decoder).
    pub hash: [u8; 32],
    /// Who paid how much fee (in the fee denom), once the ante checks passed.
    pub fee_payer: Option<(proof_sdk::Address, u128)>,
}

/// The result of a whole block, not yet committed.
pub struct BlockOutcome {
    pub key: BlockKey,
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub tx_results: Vec<ExecTxResult>,
    pub tx_hashes: Vec<[u8; 32]>,
    /// Indices of transactions that failed the ante checks.
    pub invalid: Vec<usize>,
    /// The transactions' gas limits add up to more than the block gas cap.
    pub over_gas_cap: bool,
    /// Validator-set changes for CometBFT (proof of stake).
    pub validator_updates: Vec<tendermint::validator::Update>,
    /// Block-level events (slashing, unbonding, checkpoints).
    pub events: Vec<Event>,
}

/// What a proposer may put in a block.
pub struct ProposalLimits {
    /// CometBFT's `max_tx_bytes` for the block's transactions.
    pub max_bytes: i64,
}

/// Upper bound of protobuf framing CometBFT adds per tx when it sizes a block (tag + varint).
const TX_FRAMING_BYTES: i64 = 6;

pub struct Executor {
    pub store: Arc<Store>,
    pub chain_id: String,
    pub sig_cache: Arc<SigCache>,
    /// The contract VM (its cache lives in `<home>/data/wasm-cache`).
    pub vm: Arc<proof_vm::Vm>,
    /// The software upgrades this binary can apply.
    pub upgrades: Upgrades,
}

fn failed(err: &TxError, gas_wanted: u64, gas_used: u64) -> ExecTxResult {
    ExecTxResult {
        code: Code::from(err.code()),
        log: err.to_string(),
        codespace: err.codespace().to_string(),
        gas_wanted: gas_wanted as i64,
        gas_used: gas_used as i64,
        ..Default::default()
    }
}

/// What the rest of the block leaves a transaction.
pub struct TxRoom<'a> {
    /// Gas a proposer may still put in the block (`None`: not proposing, no check).
    pub gas: Option<u64>,
    /// Uploads the block may still compile.
    pub compile: &'a CompileBudget,
    /// Proof verification the block may still do.
    pub verify: &'a Arc<VerifyRoom>,
}

impl Executor {
    /// Runs one transaction on `block`. Ante effects (fee, sequence) are applied only if the ante
    /// checks pass; message effects only if every message succeeds. A transaction that does not
    /// fit the block ([`TxError::BlockFull`]) changes nothing and is invalid here. `Err` is a
    /// condition of this node (its storage failed, a local resource ran out) during consensus
    /// execution: never a result, the caller stops.
    #[allow(clippy::too_many_arguments)]
    pub fn deliver_tx(
        &self,
        block: &mut Delta<'_>,
        params: &Params,
        height: u64,
        raw: &[u8],
        tx_index: u64,
        mode: Mode,
        room: TxRoom<'_>,
    ) -> Result<TxOutcome, StateError> {
        let invalid = |e: &TxError, hash: [u8; 32], wanted: u64, used: u64| TxOutcome {
            result: failed(e, wanted, used),
            valid: false,
            hash,
            fee_payer: None,
        };
        let tx = match decode_tx(raw, params, mode == Mode::Simulate) {
            Ok(tx) => tx,
            Err(e) => return Ok(invalid(&e, proof_sdk::tx::tx_hash(raw), 0, 0)),
        };
        // A proposer refuses a tx that would overrun the block's gas before it has any effect.
        if room.gas.is_some_and(|b| tx.gas_limit > b) {
            let e = TxError::InvalidGasLimit(format!(
                "{} exceeds the block's remaining gas",
                tx.gas_limit
            ));
            return Ok(invalid(&e, tx.hash, tx.gas_limit, 0));
        }
        let limit = if mode == Mode::Simulate {
            params.max_tx_gas
        } else {
            tx.gas_limit
        };
        let mut gas = GasMeter::new(limit);
        let ctx = AnteCtx {
            chain_id: &self.chain_id,
            height,
            params,
            mode,
            sig_cache: &self.sig_cache,
        };
        // The tx's own layer: kept whole, kept without the messages' effects, or dropped.
        let mut txd = Delta::new(&*block);
        let ante_result = {
            let mut m = Metered::new(&txd, &mut gas);
            ante::run(&mut m, &tx, &ctx).map(|evs| (evs, m.delta.into_writes()))
        };
        let mut events: Vec<Event> = match ante_result {
            Ok((evs, writes)) => {
                txd.absorb(writes);
                evs
            }
            Err(e) if e.is_node_condition() && mode != Mode::Simulate => {
                return Err(StateError::NodeCondition(e.to_string()))
            }
            Err(e) => return Ok(invalid(&e, tx.hash, tx.gas_limit, gas.used())),
        };
        let fee_payer = Some((tx.fee_payer().clone(), tx.fee_amount()));
        let (block_height, time_nanos) = WasmCtx::block_info(&txd);
        let exec_height = if mode == Mode::Simulate {
            height
        } else {
            block_height
        };
        let compile_left = room.compile.left();
        let verify_left = room.verify.left();
        room.verify.begin_tx();
        let wasm_ctx = WasmCtx {
            tx_hash: Some(tx.hash),
            tx_index,
            compile: Some(room.compile),
            api: Arc::new(ContractApi::new(Some(room.verify.clone()))),
            ..WasmCtx::outside_tx(&self.vm, &self.chain_id, exec_height, time_nanos)
        };
        let exec_result = {
            let mut m = Metered::new(&txd, &mut gas);
            exec::execute(&mut m, &tx, &wasm_ctx).map(|o| (o, m.delta.into_writes()))
        };
        // A key this node could not load is this node's condition, whatever the contract made
        // of the answer it got.
        if let (Some(why), false) = (room.verify.node_failure(), mode == Mode::Simulate) {
            return Err(StateError::NodeCondition(why));
        }
        // A proof the block had no room for: the transaction belongs in a later block, whatever
        // the contract did with the refusal (as an upload that does not fit).
        let exec_result = match exec_result {
            // (A node condition stays one: it is handled below, never turned into a result.)
            Err(e) if e.is_node_condition() => Err(e),
            _ if room.verify.node_busy() => Err(TxError::NodeResource(
                "this node's allowance for simulated proof verification is used up: retry in a \
                 second"
                    .into(),
            )),
            _ if room.verify.refused() => Err(TxError::BlockFull(format!(
                "the block has room for {} more microseconds of proof verification, not this \
                 transaction's proofs: it fits a later block",
                room.verify.left()
            ))),
            r => r,
        };
        let nothing_taken =
            room.compile.left() == compile_left && room.verify.left() == verify_left;
        let outcome = match exec_result {
            Ok((outcome, writes)) => {
                txd.absorb(writes);
                events.extend(outcome.events);
                let data = TxMsgData {
                    msg_responses: outcome.responses,
                    ..Default::default()
                }
                .encode_to_vec();
                TxOutcome {
                    result: ExecTxResult {
                        code: Code::Ok,
                        data: data.into(),
                        events,
                        gas_wanted: tx.gas_limit as i64,
                        gas_used: gas.used() as i64,
                        ..Default::default()
                    },
                    valid: true,
                    hash: tx.hash,
                    fee_payer,
                }
            }
            // Not deterministic (the VM's instance pool is exhausted, the disk failed):
            // recording it as the tx's result could split the network.
            Err(e) if e.is_node_condition() && mode != Mode::Simulate => {
                return Err(StateError::NodeCondition(e.to_string()))
            }
            // Not this block's: nothing of it happens here, not even its fee. Only while it
            // has compiled nothing yet, though: compile work already done was the block's,
            // and must be paid for (a tx whose uploads only fit together in no block would
            // otherwise be compiled and left out at every proposal, for free).
            Err(e @ TxError::BlockFull(_)) if nothing_taken => {
                return Ok(invalid(&e, tx.hash, tx.gas_limit, gas.used()));
            }
            // The fee and sequence stay paid: a failing message still cost the chain work.
            Err(e) => {
                let e = match e {
                    TxError::BlockFull(why) => TxError::Wasm {
                        code: 13,
                        msg: format!(
                            "{why}; this transaction's earlier uploads or proofs were processed \
                             in this block, so it fails here (send them in separate transactions)"
                        ),
                    },
                    e => e,
                };
                let mut r = failed(&e, tx.gas_limit, gas.used());
                r.events = events;
                TxOutcome {
                    result: r,
                    valid: true,
                    hash: tx.hash,
                    fee_payer,
                }
            }
        };
        let writes = txd.into_writes();
        block.absorb(writes);
        Ok(outcome)
    }

    /// Executes a block's transactions in order on a fresh delta over the committed state.
    /// Invalid ones are recorded as failed (ProcessProposal rejects such a block).
    pub fn execute_block(&self, key: BlockKey, txs: &[Bytes]) -> Result<BlockOutcome, StateError> {
        let (outcome, _) = self.run(key, txs, None)?;
        Ok(outcome)
    }

    /// Builds a proposal from mempool txs: executes them in order, leaving out invalid ones and
    /// any that would overrun the gas cap, and stopping at the byte cap. Only included txs change
    /// state, so the outcome is exactly what FinalizeBlock reaches with the returned txs.
    pub fn propose_block(
        &self,
        header: ProposedHeader<'_>,
        txs: &[Bytes],
        limits: ProposalLimits,
        pos: PosInput,
    ) -> Result<(BlockOutcome, Vec<Bytes>), StateError> {
        let ProposedHeader {
            height,
            time,
            proposer,
            next_validators_hash,
        } = header;
        // The key covers the included txs, known only after the run; fill it in then.
        let provisional = BlockKey {
            height,
            time_nanos: time.unix_timestamp_nanos(),
            proposer: proposer.to_vec(),
            txs_digest: [0; 32],
            pos: pos.clone(),
            next_validators_hash: next_validators_hash.to_vec(),
        };
        let (mut outcome, included) = self.run(provisional, txs, Some(limits))?;
        outcome.key = BlockKey::new(height, time, proposer, &included)
            .with_pos(pos)
            .with_next_validators(next_validators_hash);
        Ok((outcome, included))
    }

    /// The one block execution loop behind [`Self::execute_block`] and [`Self::propose_block`].
    fn run(
        &self,
        key: BlockKey,
        txs: &[Bytes],
        limits: Option<ProposalLimits>,
    ) -> Result<(BlockOutcome, Vec<Bytes>), StateError> {
        let store: &dyn StateRead = &*self.store;
        let params = Params::load(store)?;
        let mut block = Delta::new(store);
        // A scheduled upgrade's migration comes first (`modules::upgrade::migrations`).
        let upgrade_events = self.upgrades.begin_block(&mut block, key.height)?;
        Self::begin_block(&mut block, key.height, key.time_nanos);
        // The previous block's app hash (committed, so every node has it) for the checkpoint.
        let prev_app_hash = match key.height {
            0 | 1 => None,
            h => self.store.app_hash(h - 1)?,
        };
        let ctx = BlockCtx {
            chain_id: &self.chain_id,
            height: key.height,
            time_nanos: key.time_nanos,
            prev_app_hash,
            votes: &key.pos.votes,
            evidence: &key.pos.evidence,
            next_validators_hash: &key.next_validators_hash,
        };
        let mut events = upgrade_events;
        events.extend(components::begin_block(&mut block, &ctx)?);
        let capped = params.max_block_gas > 0;
        let compile = CompileBudget::block(params.max_block_compile_weight);
        let verify = Arc::new(VerifyRoom::of(&zk::params::params(&block)?));
        let (mut bytes, mut gas) = (0i64, 0u64);
        let mut included = Vec::with_capacity(txs.len());
        let mut tx_results = Vec::with_capacity(txs.len());
        let mut tx_hashes = Vec::with_capacity(txs.len());
        let mut invalid = Vec::new();
        for raw in txs {
            let budget = match &limits {
                Some(l) => {
                    let size = raw.len() as i64 + TX_FRAMING_BYTES;
                    if bytes + size > l.max_bytes {
                        break;
                    }
                    capped.then(|| params.max_block_gas - gas)
                }
                None => None,
            };
            let index = tx_results.len() as u64;
            let room = TxRoom {
                gas: budget,
                compile: &compile,
                verify: &verify,
            };
            let out = self.deliver_tx(
                &mut block,
                &params,
                key.height,
                raw,
                index,
                Mode::Deliver,
                room,
            )?;
            if !out.valid {
                if limits.is_some() {
                    continue;
                }
                invalid.push(tx_results.len());
            }
            // Activity is what the seed's "most active participant" is chosen by: fees paid
            // for transactions that did what they asked (failed ones are not activity).
            if let (Some((payer, fee)), true) = (&out.fee_payer, out.result.code.is_ok()) {
                epoch::record_activity(&mut block, payer, *fee)?;
            }
            bytes += raw.len() as i64 + TX_FRAMING_BYTES;
            gas = gas.saturating_add(out.result.gas_wanted.max(0) as u64);
            tx_hashes.push(out.hash);
            tx_results.push(out.result);
            included.push(raw.clone());
        }
        let dropped = txs.len() - included.len();
        if limits.is_some() && dropped > 0 {
            tracing::info!(
                height = key.height,
                dropped,
                "proposal left out transactions"
            );
        }
        let mut proposal_events = Vec::new();
        let hooks_ctx = WasmCtx::outside_tx(&self.vm, &self.chain_id, key.height, key.time_nanos);
        let end = components::end_block(
            &mut block,
            &ctx,
            &mut |child: &mut Delta<'_>, p: &Proposal| {
                // Its own room: a passed proposal's uploads must not depend on what the
                // block's transactions compiled (nor take their room), and a proposal is not
                // retried in a later block.
                let room = CompileBudget::block(params.max_block_compile_weight);
                self.run_proposal(
                    child,
                    p,
                    (key.height, key.time_nanos),
                    &room,
                    &mut proposal_events,
                )
            },
            &hooks_ctx,
        )?;
        events.extend(proposal_events);
        events.extend(end.events);
        let outcome = BlockOutcome {
            key,
            writes: block.into_writes(),
            tx_results,
            tx_hashes,
            invalid,
            over_gas_cap: capped && gas > params.max_block_gas,
            validator_updates: end.validator_updates,
            events,
        };
        Ok((outcome, included))
    }

    /// Runs a passed proposal's messages on `child`, with the gov module account as their only
    /// signer and `max_execution_gas` between them. Any failure fails the proposal (the caller
    /// drops `child`), except a node-local or storage failure, which stops the node.
    fn run_proposal(
        &self,
        child: &mut Delta<'_>,
        p: &Proposal,
        (height, time_nanos): (u64, i128),
        compile: &CompileBudget,
        events: &mut Vec<Event>,
    ) -> Result<(), StakingError> {
        let mut gas = GasMeter::new(gov::params(child)?.max_execution_gas);
        let ctx = WasmCtx {
            compile: Some(compile),
            ..WasmCtx::outside_tx(&self.vm, &self.chain_id, height, time_nanos)
        };
        let mut evs = Vec::new();
        let writes = {
            let mut m = Metered::new(&*child, &mut gas);
            for (i, pm) in p.messages.iter().enumerate() {
                let any = cosmos_sdk_proto::Any {
                    type_url: pm.type_url.clone(),
                    value: pm.value.clone(),
                };
                let ran = crate::modules::gov::msgs::check_proposal_msg(&any)
                    .and_then(|msg| exec::run_msg(&mut m, &ctx, &msg, 0, i, &mut evs));
                match ran {
                    Ok(_) => {}
                    Err(e) if e.is_node_condition() => {
                        return Err(StakingError::State(StateError::NodeCondition(format!(
                            "executing proposal {}: {e}",
                            p.id
                        ))))
                    }
                    Err(TxError::Internal(r)) => {
                        return Err(StakingError::State(StateError::Corrupt {
                            key: format!("gov/proposal/{}", p.id),
                            reason: r,
                        }))
                    }
                    Err(e) => {
                        return Err(StakingError::Invalid(format!(
                            "message {i} ({}): {e}",
                            pm.type_url
                        )))
                    }
                }
            }
            m.delta.into_writes()
        };
        child.absorb(writes);
        events.extend(evs);
        Ok(())
    }

    /// Block-level bookkeeping. Writing the header info every block also guarantees each
    /// version has at least one write, so every height has its own tree root.
    pub fn begin_block(block: &mut Delta<'_>, height: u64, time_nanos: i128) {
        let mut info = height.to_be_bytes().to_vec();
        info.extend_from_slice(&time_nanos.to_be_bytes());
        block.put(keys::BLOCK_INFO.to_vec(), info);
    }
}
