//! Proof of stake at the ABCI edge: the genesis section of staking, slashing, epochs and gov
//! (InitChain), the validator set as CometBFT updates, and what CometBFT reports about a
//! block's signers and misbehaviour (the input of slashing's begin-block hook).

use proof_sdk::Address;
use serde::{Deserialize, Serialize};
use tendermint::abci::types::{
    BlockSignatureInfo, CommitInfo, ExtendedCommitInfo, Misbehavior, MisbehaviorKind, Validator,
};
use tendermint::block::BlockIdFlag;
use tendermint::validator::Update;

use crate::modules::epoch::{self, EpochParams};
use crate::modules::slashing::{CommitVote, Evidence, SlashingParams};
use crate::modules::staking::{self, NewValidator, StakingError, StakingParams};
use crate::state::{Delta, StateError};

/// A validator in genesis: its self-stake is minted straight into the bonded pool.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GenesisValidator {
    /// The operator's account (`proof1...`); it signs the validator's transactions.
    pub operator: String,
    /// Base64 of the 32-byte ed25519 consensus key (CometBFT's `pub_key.value`).
    pub pubkey: String,
    /// Self-delegation in uxyz (a decimal string).
    pub self_stake: String,
    pub commission_bps: u32,
    pub moniker: String,
}

/// The `staking` section of the app genesis.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PosGenesis {
    pub params: StakingParams,
    pub slashing: SlashingParams,
    pub epoch: EpochParams,
    pub gov: crate::modules::gov::GovParams,
    pub validators: Vec<GenesisValidator>,
}

#[derive(Debug, thiserror::Error)]
pub enum PosGenesisError {
    #[error("staking genesis: {0}")]
    Invalid(String),
    #[error("genesis validator {0}: {1}")]
    Validator(usize, String),
    #[error(transparent)]
    Staking(#[from] StakingError),
}

impl PosGenesis {
    /// Writes params, genesis validators and epoch 0, and returns the initial validator set
    /// (empty if genesis names no validators: then CometBFT's genesis validators stand).
    pub fn apply(
        &self,
        state: &mut Delta<'_>,
        genesis_ns: i64,
        first_height: u64,
    ) -> Result<Vec<Update>, PosGenesisError> {
        self.params.validate().map_err(PosGenesisError::Invalid)?;
        self.slashing.validate().map_err(PosGenesisError::Invalid)?;
        self.epoch.validate().map_err(PosGenesisError::Invalid)?;
        self.gov.validate().map_err(PosGenesisError::Invalid)?;
        state.put(crate::modules::gov::PARAMS_KEY.to_vec(), json(&self.gov)?);
        state.put(staking::PARAMS_KEY.to_vec(), json(&self.params)?);
        state.put(
            crate::modules::slashing::SLASHING_PARAMS_KEY.to_vec(),
            json(&self.slashing)?,
        );
        state.put(epoch::PARAMS_KEY.to_vec(), json(&self.epoch)?);
        epoch::init(state, genesis_ns, first_height)?;
        for (i, g) in self.validators.iter().enumerate() {
            let err = |m: String| PosGenesisError::Validator(i, m);
            let operator: Address = g
                .operator
                .parse()
                .map_err(|e: proof_sdk::address::AddressError| err(e.to_string()))?;
            use base64::Engine as _;
            let pk = base64::engine::general_purpose::STANDARD
                .decode(g.pubkey.trim())
                .map_err(|e| err(format!("pubkey: {e}")))?;
            let cons_pubkey: [u8; 32] = pk
                .try_into()
                .map_err(|_| err("pubkey must be 32 bytes (ed25519)".into()))?;
            let self_stake: u128 = g
                .self_stake
                .parse()
                .map_err(|_| err("self_stake must be an integer".into()))?;
            crate::modules::auth::get_or_create_account(state, &operator)?;
            staking::create_validator(
                state,
                (first_height, genesis_ns),
                NewValidator {
                    operator,
                    cons_pubkey,
                    moniker: if g.moniker.is_empty() {
                        format!("validator{i}")
                    } else {
                        g.moniker.clone()
                    },
                    commission_bps: g.commission_bps,
                    max_commission_bps: g.commission_bps.max(2000),
                    max_change_bps: 100,
                    min_self_delegation: 1,
                    self_stake,
                },
                true,
            )
            .map_err(|e| err(e.to_string()))?;
        }
        Ok(to_updates(staking::apply_validator_set(state)?))
    }
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, PosGenesisError> {
    serde_json::to_vec(v).map_err(|e| PosGenesisError::Invalid(e.to_string()))
}

impl From<StateError> for PosGenesisError {
    fn from(e: StateError) -> Self {
        PosGenesisError::Staking(e.into())
    }
}

/// The validator set the app last sent to CometBFT, as updates (for a repeated InitChain).
pub fn current_set(state: &dyn crate::state::StateRead) -> Result<Vec<Update>, StateError> {
    Ok(to_updates(
        staking::last_set(state)?
            .into_iter()
            .map(|(v, p)| (v.cons_pubkey, p))
            .collect(),
    ))
}

pub(crate) fn to_updates(list: Vec<([u8; 32], u64)>) -> Vec<Update> {
    list.into_iter()
        .filter_map(|(pk, power)| {
            Some(Update {
                pub_key: tendermint::PublicKey::from_raw_ed25519(&pk)?,
                power: tendermint::vote::Power::try_from(power).ok()?,
            })
        })
        .collect()
}

/// What CometBFT tells the app about a block's signers and misbehaviour. Part of the block's
/// execution key: a cached proposal execution is reused only if these match too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PosInput {
    pub votes: Vec<CommitVote>,
    /// Duplicate votes and light-client attacks: both mean the key signed conflicting blocks.
    pub evidence: Vec<Evidence>,
}

impl PosInput {
    fn new<'a>(
        votes: impl Iterator<Item = (&'a Validator, &'a BlockSignatureInfo)>,
        misbehavior: &[Misbehavior],
    ) -> Self {
        Self {
            votes: votes
                .map(|(v, sig)| CommitVote {
                    cons_address: v.address,
                    power: v.power.value(),
                    signed: match sig {
                        BlockSignatureInfo::Flag(f) => !matches!(f, BlockIdFlag::Absent),
                        BlockSignatureInfo::LegacySigned => true,
                    },
                })
                .collect(),
            evidence: misbehavior
                .iter()
                .filter(|m| m.kind != MisbehaviorKind::Unknown)
                .map(|m| Evidence {
                    cons_address: m.validator.address,
                    height: m.height.value(),
                    power: m.validator.power.value(),
                })
                .collect(),
        }
    }

    pub fn from_commit(commit: &CommitInfo, misbehavior: &[Misbehavior]) -> Self {
        let votes = commit.votes.iter().map(|v| (&v.validator, &v.sig_info));
        Self::new(votes, misbehavior)
    }

    pub fn from_extended(commit: &ExtendedCommitInfo, misbehavior: &[Misbehavior]) -> Self {
        let votes = commit.votes.iter().map(|v| (&v.validator, &v.sig_info));
        Self::new(votes, misbehavior)
    }
}
