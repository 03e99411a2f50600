//! The application driven in-process through its ABCI handlers, without CometBFT (the harness
//! of `abci_app.rs`, shared with `wasm_app.rs`).
#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use parking_lot::Mutex;
use proof_chain::abci::consensus::ConsensusState;
use proof_chain::abci::executor::Executor;
use proof_chain::abci::genesis::{AppGenesis, GenesisAccount};
use proof_chain::abci::mempool::MempoolState;
use proof_chain::abci::query::QueryHandler;
use proof_chain::app::ante::SigCache;
use proof_chain::modules::upgrade::migrations::Upgrades;
use proof_chain::node::metrics::Metrics;
use proof_chain::store::{Pruning, Store};
use proof_sdk::{Address, PrivateKey};
use prost::Message;
use tendermint::abci::{request, response};
use tendermint::v0_38::abci::{ConsensusRequest, ConsensusResponse};

pub mod gov;
pub mod ibc;
pub mod localnet;
pub mod pos;
pub mod rollup;
pub mod wasm;

pub const CHAIN: &str = "proof-test";

pub struct App {
    _dir: tempfile::TempDir,
    pruning: Pruning,
    pub store: Arc<Store>,
    pub consensus: Mutex<ConsensusState>,
    pub mempool: Arc<MempoolState>,
    pub query: QueryHandler,
    pub height: u64,
}

/// Genesis accounts holding the given uxyz amounts.
/// Genesis validators, one per `(operator key, ed25519 consensus key)`: `stake` uxyz of
/// self-stake each, commission 5% times its position (5%, 10%, ...), moniker `v<i>`.
pub fn genesis_validators(
    vals: &[(&PrivateKey, [u8; 32])],
    stake: u128,
) -> Vec<proof_chain::app::pos::GenesisValidator> {
    vals.iter()
        .enumerate()
        .map(
            |(i, (op, cons_pk))| proof_chain::app::pos::GenesisValidator {
                operator: op.address().to_string(),
                pubkey: wasm::b64(cons_pk),
                self_stake: stake.to_string(),
                commission_bps: 500 * (i as u32 + 1),
                moniker: format!("v{i}"),
            },
        )
        .collect()
}

pub fn genesis_accounts(accounts: &[(&PrivateKey, u128)]) -> Vec<GenesisAccount> {
    accounts
        .iter()
        .map(|(k, amount)| GenesisAccount {
            address: k.address().to_string(),
            coins: format!("{amount}uxyz"),
        })
        .collect()
}

pub fn time(h: u64) -> tendermint::Time {
    tendermint::Time::from_unix_timestamp(1_700_000_000 + h as i64, 0).unwrap()
}

pub fn proposer() -> tendermint::account::Id {
    tendermint::account::Id::new([7u8; 20])
}

impl App {
    pub fn new(accounts: &[(&PrivateKey, u128)]) -> Self {
        Self::with_params(accounts, Default::default())
    }

    pub fn prepare(&self, txs: Vec<Vec<u8>>) -> Vec<Bytes> {
        match self.consensus(ConsensusRequest::PrepareProposal(
            request::PrepareProposal {
                max_tx_bytes: 1 << 20,
                txs: txs.into_iter().map(Bytes::from).collect(),
                local_last_commit: None,
                misbehavior: vec![],
                height: (self.height + 1).try_into().unwrap(),
                time: time(self.height + 1),
                next_validators_hash: Default::default(),
                proposer_address: proposer(),
            },
        )) {
            ConsensusResponse::PrepareProposal(p) => p.txs,
            other => panic!("{other:?}"),
        }
    }

    pub fn process(&self, txs: &[Bytes], t: tendermint::Time) -> response::ProcessProposal {
        match self.consensus(ConsensusRequest::ProcessProposal(
            request::ProcessProposal {
                txs: txs.to_vec(),
                proposed_last_commit: None,
                misbehavior: vec![],
                hash: Default::default(),
                height: (self.height + 1).try_into().unwrap(),
                time: t,
                next_validators_hash: Default::default(),
                proposer_address: proposer(),
            },
        )) {
            ConsensusResponse::ProcessProposal(p) => p,
            other => panic!("{other:?}"),
        }
    }

    pub fn with_params(
        accounts: &[(&PrivateKey, u128)],
        params: proof_chain::state::params::Params,
    ) -> Self {
        let genesis = AppGenesis {
            accounts: genesis_accounts(accounts),
            params,
            ..Default::default()
        };
        Self::with_genesis(&genesis).0
    }

    /// An app initialised from `genesis`, with InitChain's response.
    pub fn with_genesis(genesis: &AppGenesis) -> (Self, response::InitChain) {
        Self::with_genesis_pruned(genesis, Pruning::default())
    }

    /// Like [`Self::with_genesis`], keeping only the history `pruning` says.
    pub fn with_genesis_pruned(
        genesis: &AppGenesis,
        pruning: Pruning,
    ) -> (Self, response::InitChain) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db"), pruning).unwrap());
        let (consensus, mempool, query) = Self::services(&dir, &store, Upgrades::builtin());
        let app = Self {
            _dir: dir,
            pruning,
            store,
            consensus,
            mempool,
            query,
            height: 0,
        };
        let r = app.consensus(ConsensusRequest::InitChain(request::InitChain {
            time: time(0),
            chain_id: CHAIN.into(),
            consensus_params: serde_json::from_str(r#"{"block":{"max_bytes":"22020096","max_gas":"-1","time_iota_ms":"1000"},"evidence":{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"},"validator":{"pub_key_types":["ed25519"]},"version":{"app":"0"}}"#).unwrap(),
            validators: vec![],
            app_state_bytes: serde_json::to_vec(genesis).unwrap().into(),
            initial_height: 1u32.into(),
        }));
        let ConsensusResponse::InitChain(init) = r else {
            panic!("{r:?}")
        };
        (app, init)
    }

    /// The node's services over `store`, as `proofd start` wires them.
    fn services(
        dir: &tempfile::TempDir,
        store: &Arc<Store>,
        upgrades: Upgrades,
    ) -> (Mutex<ConsensusState>, Arc<MempoolState>, QueryHandler) {
        let vm = proof_vm::Vm::new(proof_vm::VmConfig {
            cache_dir: Some(dir.path().join("wasm-cache")),
            ..Default::default()
        })
        .unwrap();
        let exec = Arc::new(Executor {
            store: store.clone(),
            chain_id: CHAIN.into(),
            sig_cache: Arc::new(SigCache::new(1000)),
            vm: Arc::new(vm),
            upgrades,
        });
        let metrics = Metrics::new();
        let mempool = Arc::new(MempoolState::new(exec.clone(), metrics.clone()));
        let consensus = Mutex::new(ConsensusState::new(exec.clone(), mempool.clone(), metrics));
        let query = QueryHandler {
            exec,
            moniker: "t".into(),
        };
        (consensus, mempool, query)
    }

    /// The node's data directory (store, wasm cache).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// A `User` for a genesis-funded key (its account number looked up, sequence 0).
    pub fn user(&self, key: PrivateKey) -> wasm::User {
        let num = self.account(&key.address()).expect("funded").account_number;
        wasm::User { key, num, seq: 0 }
    }

    /// Stops the node and starts it again from its directory: the store reopened from disk, the
    /// VM and every cache new.
    pub fn reopen(&mut self) {
        // The store's lock must go before it reopens: point the services at a scratch store.
        let scratch = tempfile::tempdir().unwrap();
        let placeholder =
            Arc::new(Store::open(&scratch.path().join("db"), Pruning::default()).unwrap());
        let (c, m, q) = Self::services(&scratch, &placeholder, Upgrades::builtin());
        (self.consensus, self.mempool, self.query, self.store) = (c, m, q, placeholder);
        let store = Arc::new(Store::open(&self._dir.path().join("db"), self.pruning).unwrap());
        let (c, m, q) = Self::services(&self._dir, &store, Upgrades::builtin());
        (self.consensus, self.mempool, self.query, self.store) = (c, m, q, store);
    }

    /// Restarts with the compiled-contract cache gone (as a node whose disk lost it).
    pub fn lose_wasm_cache(&mut self) {
        let _ = std::fs::remove_dir_all(self._dir.path().join("wasm-cache"));
        self.reopen();
    }

    /// Stops the node and starts it again on the same state with a binary that knows `upgrades`.
    pub fn restart_with(&mut self, upgrades: Upgrades) {
        let (consensus, mempool, query) = Self::services(&self._dir, &self.store, upgrades);
        self.consensus = consensus;
        self.mempool = mempool;
        self.query = query;
    }

    pub fn consensus(&self, req: ConsensusRequest) -> ConsensusResponse {
        self.consensus.lock().handle(req).unwrap()
    }

    /// Like [`Self::consensus`], returning the app's error instead of panicking on it.
    pub fn try_consensus(&self, req: ConsensusRequest) -> anyhow::Result<ConsensusResponse> {
        self.consensus.lock().handle(req)
    }

    pub fn check(&self, tx: &[u8]) -> response::CheckTx {
        self.mempool.check_tx(request::CheckTx {
            tx: Bytes::copy_from_slice(tx),
            kind: request::CheckTxKind::New,
        })
    }

    /// FinalizeBlock + Commit of `txs` as the next block.
    pub fn block(&mut self, txs: Vec<Bytes>) -> response::FinalizeBlock {
        let t = time(self.height + 1);
        self.block_with(txs, vec![], vec![], t)
    }

    /// The FinalizeBlock request of block `height`.
    pub fn finalize_request(
        height: u64,
        txs: Vec<Bytes>,
        votes: Vec<tendermint::abci::types::VoteInfo>,
        misbehavior: Vec<tendermint::abci::types::Misbehavior>,
        t: tendermint::Time,
    ) -> ConsensusRequest {
        ConsensusRequest::FinalizeBlock(request::FinalizeBlock {
            txs,
            decided_last_commit: tendermint::abci::types::CommitInfo {
                round: 0u8.into(),
                votes,
            },
            misbehavior,
            hash: Default::default(),
            height: height.try_into().unwrap(),
            time: t,
            next_validators_hash: Default::default(),
            proposer_address: proposer(),
        })
    }

    /// FinalizeBlock + Commit with the last commit's votes, evidence and a block time.
    pub fn block_with(
        &mut self,
        txs: Vec<Bytes>,
        votes: Vec<tendermint::abci::types::VoteInfo>,
        misbehavior: Vec<tendermint::abci::types::Misbehavior>,
        t: tendermint::Time,
    ) -> response::FinalizeBlock {
        self.height += 1;
        let req = Self::finalize_request(self.height, txs, votes, misbehavior, t);
        let fb = match self.consensus(req) {
            ConsensusResponse::FinalizeBlock(f) => f,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            self.consensus(ConsensusRequest::Commit),
            ConsensusResponse::Commit(_)
        ));
        fb
    }

    pub fn grpc<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, (u32, String)> {
        let r = self.query.query(request::Query {
            data: req.encode_to_vec().into(),
            path: path.into(),
            height: 0u32.into(),
            prove: false,
        });
        if r.code.is_err() {
            return Err((r.code.value(), r.log));
        }
        Ok(Resp::decode(r.value.as_ref()).unwrap())
    }

    /// A JSON query (the chain's own `/proof.*` paths): the decoded answer, or the error log.
    pub fn json_query<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, String> {
        let r = self.query.query(request::Query {
            data: serde_json::to_vec(&body).unwrap().into(),
            path: path.into(),
            height: 0u32.into(),
            prove: false,
        });
        if r.code.is_err() {
            return Err(r.log);
        }
        Ok(serde_json::from_slice(&r.value).unwrap())
    }

    pub fn balance(&self, addr: &Address) -> u128 {
        self.balance_of(addr, "uxyz")
    }

    pub fn balance_of(&self, addr: &Address, denom: &str) -> u128 {
        let r: QueryBalanceResponse = self
            .grpc(
                "/cosmos.bank.v1beta1.Query/Balance",
                &QueryBalanceRequest {
                    address: addr.to_string(),
                    denom: denom.into(),
                },
            )
            .unwrap();
        r.balance.unwrap().amount.parse().unwrap()
    }

    pub fn account(&self, addr: &Address) -> Option<BaseAccount> {
        let r: QueryAccountResponse = self
            .grpc(
                "/cosmos.auth.v1beta1.Query/Account",
                &QueryAccountRequest {
                    address: addr.to_string(),
                },
            )
            .ok()?;
        Some(BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap())
    }
}

/// Where the tests cache Nova parameters and verifier keys (`$PROOF_ZK_PARAMS`, else the
/// target's tmp dir, shared with `proof-zk`'s own tests so CI derives each once).
pub fn zk_dir() -> std::path::PathBuf {
    std::env::var_os("PROOF_ZK_PARAMS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("proof-zk-params")
        })
}
