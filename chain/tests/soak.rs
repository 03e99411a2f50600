//! Determinism soak: four validators, in process, run the same chain for `PROOF_SOAK_BLOCKS`
//! blocks (2,000 by default) under a seeded random mix of every kind of message (bank sends and
//! multi-sends, contract calls with submessages and replies that fail and roll back, token
//! transfers, delegations, undelegations, redelegations, governance proposals, deposits and
//! votes, transactions that fail, and invalid ones the proposer must leave out), with downtime
//! votes and a double-sign. Each block is proposed by a rotating validator (PrepareProposal),
//! accepted by the others (ProcessProposal), then finalized and committed by all four, which
//! must agree on the app hash and on every transaction result. The nodes differ where nodes
//! differ: one prunes its history, one restarts from disk every 400 blocks, one loses its
//! compiled-contract cache every 300 blocks.
//!
//! After every block an invariant checker reads the state: supply = genesis + emissions; the
//! bonded pool holds exactly the validators' tokens; the not-bonded pool exactly the unbonding
//! entries; and the balances of every account that can hold coins add up to the supply (so none
//! is created or lost). The first violation fails the test with the block it happened at.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    QueryUnbondingDelegationRequest, QueryUnbondingDelegationResponse, QueryValidatorsRequest,
    QueryValidatorsResponse,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, MsgInstantiateContract, MsgStoreCode,
};
use cosmos_sdk_proto::Any;
use proof_chain::abci::genesis::AppGenesis;
use proof_chain::app::pos::PosGenesis;
use proof_chain::store::Pruning;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{gov, msgs, staking as smsg, Address, Coin, KeyType, PrivateKey, PublicKey};
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sha2::{Digest, Sha256};
use tendermint::abci::types::{BlockSignatureInfo, Misbehavior, MisbehaviorKind, VoteInfo};
use tendermint::abci::{request, response};
use tendermint::block::BlockIdFlag;
use tendermint::v0_38::abci::{ConsensusRequest, ConsensusResponse};

use common::{time, App, CHAIN};
const DENOM: &str = "uxyz";
const M: u128 = 1_000_000;
const USERS: usize = 6;
const GAS: u64 = 3_000_000;

/// What the soak asks of a node beyond the shared harness.
trait NodeExt {
    fn abci(&self, req: ConsensusRequest) -> ConsensusResponse;
    fn get<Req: Message, Resp: Message + Default>(&self, path: &str, req: &Req) -> Resp;
    fn smart(&self, contract: &Address, q: serde_json::Value) -> serde_json::Value;
}

impl NodeExt for App {
    fn abci(&self, req: ConsensusRequest) -> ConsensusResponse {
        self.consensus(req)
    }

    fn get<Req: Message, Resp: Message + Default>(&self, path: &str, req: &Req) -> Resp {
        self.grpc(path, req)
            .unwrap_or_else(|(code, log)| panic!("{path}: code {code}: {log}"))
    }

    fn smart(&self, contract: &Address, q: serde_json::Value) -> serde_json::Value {
        common::wasm::smart(self, contract, q).unwrap()
    }
}

struct Validator {
    op: PrivateKey,
    cons_pk: [u8; 32],
}

impl Validator {
    fn new(i: u8) -> Self {
        let cons = PrivateKey::from_seed(KeyType::Ed25519, &[100 + i; 64], 0).unwrap();
        let PublicKey::Ed25519(cons_pk) = cons.public_key() else {
            unreachable!()
        };
        Validator {
            op: PrivateKey::from_seed(KeyType::Ed25519, &[200 + i; 64], 0).unwrap(),
            cons_pk,
        }
    }
    fn cons_addr(&self) -> [u8; 20] {
        Sha256::digest(self.cons_pk)[..20].try_into().unwrap()
    }
}

struct Account {
    key: PrivateKey,
    number: u64,
    sequence: u64,
}

fn artifact(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../contracts/artifacts/{name}.wasm"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (run contracts/build.sh)", p.display()))
}

/// The chain as the test sees it: the nodes, who may send what, and what the invariants need.
struct Soak {
    nodes: Vec<App>,
    vals: Vec<Validator>,
    users: Vec<Account>,
    rng: StdRng,
    height: u64,
    genesis_supply: u128,
    emitted: u128,
    checkpoints: u64,
    tester: Option<Address>,
    token: Option<Address>,
    proposals: u64,
    /// (delegator, validator) pairs that ever unbonded, for the not-bonded pool invariant.
    unbonders: std::collections::BTreeSet<(usize, usize)>,
    /// How many transactions of each kind were included, and how many of them failed.
    counts: BTreeMap<&'static str, (u64, u64)>,
    tombstoned: Option<usize>,
}

impl Soak {
    fn node(&self, i: usize) -> &App {
        &self.nodes[i]
    }

    fn new(seed: u64) -> Soak {
        let vals: Vec<Validator> = (0..4).map(Validator::new).collect();
        let kinds = [
            KeyType::Secp256k1,
            KeyType::Ed25519,
            KeyType::Hybrid,
            KeyType::Mldsa65,
        ];
        let users: Vec<PrivateKey> = (0..USERS)
            .map(|i| PrivateKey::from_seed(kinds[i % kinds.len()], &[i as u8 + 1; 64], 0).unwrap())
            .collect();
        let ops: Vec<_> = vals.iter().map(|v| (&v.op, v.cons_pk)).collect();
        let mut staking = PosGenesis {
            validators: common::genesis_validators(&ops, 10_000 * M),
            ..Default::default()
        };
        staking.params.unbonding_time_secs = 120;
        staking.slashing.signed_blocks_window = 50;
        staking.slashing.downtime_jail_secs = 30;
        staking.epoch.epoch_secs = 30;
        staking.gov.min_deposit = 1_000 * M;
        staking.gov.voting_secs = 20;
        staking.gov.max_deposit_secs = 40;
        staking.gov.quorum_bps = 100;
        let mut accounts =
            common::genesis_accounts(&users.iter().map(|k| (k, 1_000_000 * M)).collect::<Vec<_>>());
        accounts.extend(common::genesis_accounts(
            &vals.iter().map(|v| (&v.op, 100 * M)).collect::<Vec<_>>(),
        ));
        let genesis = AppGenesis {
            accounts,
            staking,
            ..Default::default()
        };
        let pruned = Pruning {
            keep_recent: 20,
            interval: 5,
        };
        let (nodes, inits): (Vec<App>, Vec<_>) = (0..4)
            .map(|i| {
                let p = if i == 1 { pruned } else { Pruning::default() };
                App::with_genesis_pruned(&genesis, p)
            })
            .unzip();
        let hashes: Vec<_> = inits.iter().map(|r| r.app_hash.clone()).collect();
        assert!(hashes.windows(2).all(|w| w[0] == w[1]), "genesis differs");
        let mut soak = Soak {
            nodes,
            vals,
            users: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            height: 0,
            genesis_supply: 0,
            emitted: 0,
            checkpoints: 0,
            tester: None,
            token: None,
            proposals: 0,
            unbonders: Default::default(),
            counts: BTreeMap::new(),
            tombstoned: None,
        };
        let account = |soak: &Soak, key: PrivateKey| {
            let acc = common_account(soak.node(0), &key.address());
            Account {
                key,
                number: acc.0,
                sequence: acc.1,
            }
        };
        soak.users = users.into_iter().map(|k| account(&soak, k)).collect();
        soak.genesis_supply = soak.supply();
        soak
    }

    fn supply(&self) -> u128 {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::{
            QuerySupplyOfRequest, QuerySupplyOfResponse,
        };
        let r: QuerySupplyOfResponse = self.node(0).get(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            &QuerySupplyOfRequest {
                denom: DENOM.into(),
            },
        );
        r.amount.unwrap().amount.parse().unwrap()
    }

    fn sign(&mut self, who: usize, msgs: Vec<Any>, gas: u64, bad_sequence: bool) -> Vec<u8> {
        let a = &mut self.users[who];
        let seq = if bad_sequence {
            a.sequence + 7
        } else {
            a.sequence
        };
        sign_tx(
            msgs,
            &[Signer {
                key: &a.key,
                account_number: a.number,
                sequence: seq,
            }],
            &TxParams {
                gas_limit: gas,
                fee: vec![Coin::new(proof_sdk::tx::min_gas_fee(gas), DENOM)],
                include_pubkey: true,
                ..Default::default()
            },
            CHAIN,
        )
    }

    fn user(&mut self) -> usize {
        self.rng.gen_range(0..USERS)
    }

    fn addr(&self, who: usize) -> Address {
        self.users[who].key.address()
    }

    /// One random transaction: (kind, signer, bytes). The signer's sequence is bumped by the
    /// caller once the transaction is in a block.
    fn random_tx(&mut self) -> (&'static str, usize, Vec<u8>) {
        let who = self.user();
        let me = self.addr(who);
        let o = self.user();
        let other = self.addr(o);
        let val = self.vals[self.rng.gen_range(0..4)].op.address();
        let val2 = self.vals[self.rng.gen_range(0..4)].op.address();
        let amount = self.rng.gen_range(1..1_000_000u128);
        let roll = self.rng.gen_range(0..100);
        let (kind, msgs): (&'static str, Vec<Any>) = match roll {
            0..=29 => (
                "send",
                vec![msgs::bank_send(&me, &other, &[Coin::new(amount, DENOM)])],
            ),
            30..=34 => {
                let t = self.user();
                let third = self.addr(t);
                (
                    "multisend",
                    vec![msgs::bank_multi_send(
                        &me,
                        &[Coin::new(2 * amount, DENOM)],
                        &[
                            (other.clone(), vec![Coin::new(amount, DENOM)]),
                            (third, vec![Coin::new(amount, DENOM)]),
                        ],
                    )],
                )
            }
            35..=44 if self.token.is_some() => {
                let token = self.token.clone().unwrap();
                let msg = json!({"transfer": {"recipient": other.to_string(), "amount": (amount % 1000).to_string()}});
                ("token", vec![execute(&me, &token, msg)])
            }
            45..=54 if self.tester.is_some() => {
                let t = self.tester.clone().unwrap();
                let key = format!("k{}", self.rng.gen_range(0..50));
                let sub_ok = json!({"id": 1, "reply_on": "always", "gas_limit": null, "payload": "",
                    "msg": {"wasm": {"execute": {"contract_addr": t.to_string(),
                        "msg": common::wasm::b64(json!({"set": {"key": key, "value": "v"}}).to_string().as_bytes()), "funds": []}}}});
                let sub_fail = json!({"id": 2, "reply_on": "error", "gas_limit": 200000, "payload": "",
                    "msg": {"wasm": {"execute": {"contract_addr": t.to_string(),
                        "msg": common::wasm::b64(json!({"set_then_fail": {"key": "child"}}).to_string().as_bytes()), "funds": []}}}});
                let sub_send = json!({"id": 3, "reply_on": "error", "gas_limit": null, "payload": "",
                    "msg": {"bank": {"send": {"to_address": other.to_string(), "amount": [{"denom": DENOM, "amount": "5"}]}}}});
                let mark = format!("m{}", self.rng.gen_range(0..20));
                let msg = json!({"dispatch": {"mark": mark, "msgs": [sub_ok, sub_fail, sub_send]}});
                // Sometimes with funds (the contract can then pay the send).
                let funds = if self.rng.gen_bool(0.3) {
                    vec![Coin::new(10, DENOM)]
                } else {
                    vec![]
                };
                ("dispatch", vec![execute_funds(&me, &t, msg, &funds)])
            }
            55..=64 => (
                "delegate",
                vec![smsg::delegate(&me, &val, &Coin::new(amount * 10, DENOM))],
            ),
            65..=69 => {
                let vi = self
                    .vals
                    .iter()
                    .position(|v| v.op.address() == val)
                    .unwrap();
                self.unbonders.insert((who, vi));
                (
                    "undelegate",
                    vec![smsg::undelegate(&me, &val, &Coin::new(amount, DENOM))],
                )
            }
            70..=73 => (
                "redelegate",
                vec![smsg::redelegate(
                    &me,
                    &val,
                    &val2,
                    &Coin::new(amount, DENOM),
                )],
            ),
            74..=76 => {
                let change = [
                    ("slashing", "downtime_jail_secs", "40"),
                    ("epoch", "emission_per_epoch", "\"2000000000\""),
                    ("staking", "max_validators", "4"),
                ][self.rng.gen_range(0..3)];
                let deposit = if self.rng.gen_bool(0.5) {
                    1_000 * M
                } else {
                    300 * M
                };
                (
                    "propose",
                    vec![gov::submit_param_change(
                        &me,
                        "soak",
                        &[change],
                        &Coin::new(deposit, DENOM),
                    )],
                )
            }
            77..=82 if self.proposals > 0 => {
                // Mostly the newest proposals, which are still open.
                let back = self.rng.gen_range(0..3.min(self.proposals));
                let id = self.proposals - back;
                if self.rng.gen_bool(0.2) {
                    (
                        "deposit",
                        vec![gov::deposit(&me, id, &Coin::new(500 * M, DENOM))],
                    )
                } else {
                    ("vote", vec![gov::vote(&me, id, self.rng.gen_range(1..=4))])
                }
            }
            83..=89 => (
                "overdraft",
                vec![msgs::bank_send(
                    &me,
                    &other,
                    &[Coin::new(u128::MAX / 4, DENOM)],
                )],
            ),
            90..=94 => {
                // Invalid: a future sequence. The proposer must leave it out.
                let tx = self.sign(
                    who,
                    vec![msgs::bank_send(&me, &other, &[Coin::new(1, DENOM)])],
                    GAS,
                    true,
                );
                return ("invalid", who, tx);
            }
            _ => (
                "send",
                vec![msgs::bank_send(&me, &other, &[Coin::new(1, DENOM)])],
            ),
        };
        let tx = self.sign(who, msgs, GAS, false);
        (kind, who, tx)
    }

    /// Runs one block: proposed by validator `height % 4`, checked by the others, finalized and
    /// committed by all; every node must agree on everything consensus depends on.
    fn block(
        &mut self,
        txs: Vec<(&'static str, Option<usize>, Vec<u8>)>,
        misbehavior: Vec<Misbehavior>,
    ) {
        let h = self.height + 1;
        let proposer_i = (h % 4) as usize;
        let proposer = tendermint::account::Id::new(self.vals[proposer_i].cons_addr());
        let raw: Vec<Bytes> = txs.iter().map(|t| Bytes::from(t.2.clone())).collect();
        // Last commit: everyone signed, except now and then one validator is absent.
        let absent = (h > 1 && self.rng.gen_bool(0.1)).then(|| self.rng.gen_range(0..4));
        let votes: Vec<VoteInfo> = if h == 1 {
            vec![]
        } else {
            self.vals
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != self.tombstoned)
                .map(|(i, v)| VoteInfo {
                    validator: tendermint::abci::types::Validator {
                        address: v.cons_addr(),
                        power: 10_000u32.into(),
                    },
                    sig_info: if Some(i) == absent {
                        BlockSignatureInfo::Flag(BlockIdFlag::Absent)
                    } else {
                        BlockSignatureInfo::Flag(BlockIdFlag::Commit)
                    },
                })
                .collect()
        };
        let extended = tendermint::abci::types::ExtendedCommitInfo {
            round: 0u8.into(),
            votes: votes
                .iter()
                .map(|v| tendermint::abci::types::ExtendedVoteInfo {
                    validator: v.validator.clone(),
                    sig_info: v.sig_info,
                    vote_extension: Bytes::new(),
                    extension_signature: None,
                })
                .collect(),
        };
        let prepared = match self
            .node(proposer_i)
            .abci(ConsensusRequest::PrepareProposal(
                request::PrepareProposal {
                    max_tx_bytes: 4 << 20,
                    txs: raw.clone(),
                    local_last_commit: Some(extended),
                    misbehavior: misbehavior.clone(),
                    height: h.try_into().unwrap(),
                    time: time(h),
                    next_validators_hash: Default::default(),
                    proposer_address: proposer,
                },
            )) {
            ConsensusResponse::PrepareProposal(p) => p.txs,
            other => panic!("{other:?}"),
        };
        let commit = tendermint::abci::types::CommitInfo {
            round: 0u8.into(),
            votes: votes.clone(),
        };
        for i in 0..4 {
            if i == proposer_i {
                continue;
            }
            let r = self.node(i).abci(ConsensusRequest::ProcessProposal(
                request::ProcessProposal {
                    txs: prepared.clone(),
                    proposed_last_commit: Some(commit.clone()),
                    misbehavior: misbehavior.clone(),
                    hash: Default::default(),
                    height: h.try_into().unwrap(),
                    time: time(h),
                    next_validators_hash: Default::default(),
                    proposer_address: proposer,
                },
            ));
            assert!(
                matches!(
                    r,
                    ConsensusResponse::ProcessProposal(response::ProcessProposal::Accept)
                ),
                "block {h}: node {i} rejected validator {proposer_i}'s proposal"
            );
        }
        let mut results: Vec<response::FinalizeBlock> = Vec::new();
        for i in 0..4 {
            let r = self
                .node(i)
                .abci(ConsensusRequest::FinalizeBlock(request::FinalizeBlock {
                    txs: prepared.clone(),
                    decided_last_commit: commit.clone(),
                    misbehavior: misbehavior.clone(),
                    hash: Default::default(),
                    height: h.try_into().unwrap(),
                    time: time(h),
                    next_validators_hash: Default::default(),
                    proposer_address: proposer,
                }));
            let ConsensusResponse::FinalizeBlock(fb) = r else {
                panic!("{r:?}")
            };
            results.push(fb);
        }
        let consensus = |fb: &response::FinalizeBlock| {
            (
                fb.app_hash.clone(),
                fb.tx_results
                    .iter()
                    .map(|r| {
                        (
                            r.code.value(),
                            r.data.clone(),
                            r.gas_wanted,
                            r.gas_used,
                            r.events.clone(),
                        )
                    })
                    .collect::<Vec<_>>(),
                fb.validator_updates.clone(),
                fb.events.clone(),
            )
        };
        let first = consensus(&results[0]);
        for (i, fb) in results.iter().enumerate().skip(1) {
            assert!(
                consensus(fb) == first,
                "block {h}: node {i} differs from node 0 (app hash {:?} vs {:?})",
                fb.app_hash,
                results[0].app_hash
            );
        }
        for i in 0..4 {
            self.node(i).abci(ConsensusRequest::Commit);
        }
        self.height = h;
        // Bookkeeping: included transactions bump their signer's sequence.
        let fb = &results[0];
        for (j, tx) in prepared.iter().enumerate() {
            let (kind, who, _) = txs
                .iter()
                .find(|t| t.2 == tx.as_ref())
                .expect("proposal holds our txs");
            if let Some(w) = who {
                self.users[*w].sequence += 1;
            }
            let entry = self.counts.entry(kind).or_default();
            entry.0 += 1;
            if fb.tx_results[j].code.is_err() {
                entry.1 += 1;
            }
            if *kind == "propose" && fb.tx_results[j].code.is_ok() {
                self.proposals += 1;
            }
            if *kind == "store" || *kind == "instantiate" {
                assert!(
                    fb.tx_results[j].code.is_ok(),
                    "{kind}: {}",
                    fb.tx_results[j].log
                );
            }
        }
        assert!(
            txs.iter()
                .filter(|t| t.0 == "invalid")
                .all(|t| !prepared.iter().any(|p| p.as_ref() == t.2)),
            "block {h}: the proposer included an invalid transaction"
        );
        for e in &fb.events {
            if e.kind == "checkpoint" {
                let emission = e
                    .attributes
                    .iter()
                    .find(|a| a.key_str().ok() == Some("emission"))
                    .unwrap();
                self.emitted += emission.value_str().unwrap().parse::<u128>().unwrap();
                self.checkpoints += 1;
            }
        }
        self.check_invariants();
    }

    /// Every coin's holder: users, validator operators, contracts and module accounts.
    fn holders(&self) -> Vec<Address> {
        let mut all: Vec<Address> = self.users.iter().map(|u| u.key.address()).collect();
        all.extend(self.vals.iter().map(|v| v.op.address()));
        all.extend(self.tester.iter().cloned());
        all.extend(self.token.iter().cloned());
        for m in [
            "fee_collector",
            "distribution",
            "bonded_tokens_pool",
            "not_bonded_tokens_pool",
            "liquidity_incentives",
            "development_fund",
        ] {
            all.push(Address::module(m));
        }
        all.push(proof_sdk::gov::module_address());
        all
    }

    fn check_invariants(&self) {
        let h = self.height;
        let n = self.node(0);
        let supply = self.supply();
        assert_eq!(
            supply,
            self.genesis_supply + self.emitted,
            "block {h}: supply = genesis + emission"
        );
        let held: u128 = self.holders().iter().map(|a| n.balance(a)).sum();
        assert_eq!(held, supply, "block {h}: balances add up to the supply");
        let vals: QueryValidatorsResponse = n.get(
            "/cosmos.staking.v1beta1.Query/Validators",
            &QueryValidatorsRequest::default(),
        );
        let tokens: u128 = vals
            .validators
            .iter()
            .map(|v| v.tokens.parse::<u128>().unwrap())
            .sum();
        assert_eq!(
            n.balance(&Address::module("bonded_tokens_pool")),
            tokens,
            "block {h}: the bonded pool holds the validators' tokens"
        );
        let mut unbonding = 0u128;
        for (d, v) in &self.unbonders {
            let r = n.query.query(request::Query {
                data: QueryUnbondingDelegationRequest {
                    delegator_addr: self.addr(*d).to_string(),
                    validator_addr: proof_sdk::staking::valoper(&self.vals[*v].op.address()),
                }
                .encode_to_vec()
                .into(),
                path: "/cosmos.staking.v1beta1.Query/UnbondingDelegation".into(),
                height: 0u32.into(),
                prove: false,
            });
            if r.code.is_ok() {
                let u = QueryUnbondingDelegationResponse::decode(r.value.as_ref()).unwrap();
                unbonding += u
                    .unbond
                    .unwrap()
                    .entries
                    .iter()
                    .map(|e| e.balance.parse::<u128>().unwrap())
                    .sum::<u128>();
            }
        }
        assert_eq!(
            n.balance(&Address::module("not_bonded_tokens_pool")),
            unbonding,
            "block {h}: the not-bonded pool holds the unbonding entries"
        );
    }
}

fn execute(sender: &Address, contract: &Address, msg: serde_json::Value) -> Any {
    execute_funds(sender, contract, msg, &[])
}

fn execute_funds(
    sender: &Address,
    contract: &Address,
    msg: serde_json::Value,
    funds: &[Coin],
) -> Any {
    msgs::to_any(&MsgExecuteContract {
        sender: sender.to_string(),
        contract: contract.to_string(),
        msg: msg.to_string().into_bytes(),
        funds: funds.iter().map(Coin::to_proto).collect(),
    })
}

fn common_account(n: &App, a: &Address) -> (u64, u64) {
    use cosmos_sdk_proto::cosmos::auth::v1beta1::{
        BaseAccount, QueryAccountRequest, QueryAccountResponse,
    };
    let r: QueryAccountResponse = n.get(
        "/cosmos.auth.v1beta1.Query/Account",
        &QueryAccountRequest {
            address: a.to_string(),
        },
    );
    let acc = BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap();
    (acc.account_number, acc.sequence)
}

#[test]
fn four_nodes_agree_on_every_block_of_a_random_mix() {
    let blocks: u64 = std::env::var("PROOF_SOAK_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let seed: u64 = std::env::var("PROOF_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x50a6);
    let started = std::time::Instant::now();
    let mut s = Soak::new(seed);

    // Contracts first: the tester (submessages, replies, rollback) and a token.
    let me = s.addr(0);
    let store = |name: &str| {
        msgs::to_any(&MsgStoreCode {
            sender: me.to_string(),
            wasm_byte_code: artifact(name),
            instantiate_permission: None,
        })
    };
    let tx = s.sign(0, vec![store("tester")], 45_000_000, false);
    s.block(vec![("store", Some(0), tx)], vec![]);
    let tx = s.sign(0, vec![store("token")], 45_000_000, false);
    s.block(vec![("store", Some(0), tx)], vec![]);
    let init = |code_id: u64, msg: serde_json::Value| {
        msgs::to_any(&MsgInstantiateContract {
            sender: me.to_string(),
            admin: String::new(),
            code_id,
            label: format!("c{code_id}"),
            msg: msg.to_string().into_bytes(),
            funds: vec![],
        })
    };
    let balances: Vec<serde_json::Value> = (0..USERS)
        .map(|i| json!({"address": s.addr(i).to_string(), "amount": "1000000000"}))
        .collect();
    let tx = s.sign(0, vec![init(1, json!({"greeting": "soak"})), init(2, json!({"name": "Soak", "symbol": "SOAK", "decimals": 6, "initial_balances": balances}))], 10_000_000, false);
    s.block(vec![("instantiate", Some(0), tx)], vec![]);
    s.tester = Some(proof_chain::modules::wasm::contract_address(1, 1));
    s.token = Some(proof_chain::modules::wasm::contract_address(2, 2));

    while s.height < blocks {
        let n = s.rng.gen_range(0..8);
        let txs: Vec<_> = (0..n)
            .map(|_| {
                let (kind, who, tx) = s.random_tx();
                (kind, (kind != "invalid").then_some(who), tx)
            })
            .collect();
        // Txs of one signer in one block need consecutive sequences: keep the first per signer.
        let mut seen = std::collections::BTreeSet::new();
        let txs: Vec<_> = txs
            .into_iter()
            .filter(|t| t.1.is_none_or(|w| seen.insert(w)))
            .collect();
        // Once, validator 3 double-signs: slashed and tombstoned on every node alike.
        let misbehavior = if s.height == blocks / 2 && s.tombstoned.is_none() {
            s.tombstoned = Some(3);
            vec![Misbehavior {
                kind: MisbehaviorKind::DuplicateVote,
                validator: tendermint::abci::types::Validator {
                    address: s.vals[3].cons_addr(),
                    power: 10_000u32.into(),
                },
                height: (s.height - 1).try_into().unwrap(),
                time: time(s.height - 1),
                total_voting_power: 40_000u32.into(),
            }]
        } else {
            vec![]
        };
        s.block(txs, misbehavior);
        if s.height.is_multiple_of(400) {
            s.nodes[2].reopen();
        }
        if s.height.is_multiple_of(300) {
            s.nodes[3].lose_wasm_cache();
        }
    }
    // The mix really exercised everything (and the contracts did their work).
    for kind in [
        "send",
        "multisend",
        "token",
        "dispatch",
        "delegate",
        "undelegate",
        "redelegate",
        "propose",
        "vote",
        "overdraft",
    ] {
        let (n, _) = s.counts.get(kind).copied().unwrap_or_default();
        assert!(
            n > 0,
            "no {kind} transaction in {blocks} blocks: {:?}",
            s.counts
        );
    }
    assert!(s.emitted > 0, "no checkpoint paid rewards");
    let passed = (1..=s.proposals)
        .filter(|id| {
            let r = s.node(0).query.query(request::Query {
                data: serde_json::to_vec(&json!({ "id": id })).unwrap().into(),
                path: "/proof.gov.v1.Query/Proposal".into(),
                height: 0u32.into(),
                prove: false,
            });
            serde_json::from_slice::<serde_json::Value>(&r.value).unwrap()["status"] == "Passed"
        })
        .count();
    assert!(passed > 0, "no proposal passed out of {}", s.proposals);
    let v3: cosmos_sdk_proto::cosmos::staking::v1beta1::QueryValidatorResponse = s.node(0).get(
        "/cosmos.staking.v1beta1.Query/Validator",
        &cosmos_sdk_proto::cosmos::staking::v1beta1::QueryValidatorRequest {
            validator_addr: proof_sdk::staking::valoper(&s.vals[3].op.address()),
        },
    );
    assert!(v3.validator.unwrap().jailed, "the double-signer is jailed");
    let tokens = s
        .node(0)
        .smart(s.token.as_ref().unwrap(), json!({"token_info": {}}));
    assert_eq!(
        tokens["total_supply"],
        json!((USERS as u128 * 1_000_000_000).to_string())
    );
    eprintln!(
        "soak: {blocks} blocks on 4 nodes in {:?}; {} checkpoints (emission {} uxyz); {passed} of {} proposals passed; txs by kind (included, failed): {:?}",
        started.elapsed(),
        s.checkpoints,
        s.emitted,
        s.proposals,
        s.counts
    );
}
