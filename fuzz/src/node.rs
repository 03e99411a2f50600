//! What the targets run against, built once per process: an in-process node (its store in a
//! temporary directory, a few blocks with accounts, a validator and a contract in them), a VM,
//! and a real rollup batch with its proof.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
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
use proof_sdk::crypto::KeyType;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{Coin, PrivateKey};
use tendermint::abci::{request, response};
use tendermint::v0_38::abci::{ConsensusRequest, ConsensusResponse};

const CHAIN: &str = "proof-fuzz";

pub struct Node {
    _dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub consensus: Mutex<ConsensusState>,
    pub mempool: Arc<MempoolState>,
    pub query: QueryHandler,
}

fn time(h: u64) -> tendermint::Time {
    tendermint::Time::from_unix_timestamp(1_700_000_000 + h as i64, 0).expect("time")
}

/// The accounts genesis funds (deterministic keys, so a saved input stays meaningful).
pub fn keys() -> Vec<PrivateKey> {
    [KeyType::Secp256k1, KeyType::Ed25519, KeyType::Hybrid]
        .into_iter()
        .enumerate()
        .map(|(i, kind)| PrivateKey::from_seed(kind, &[i as u8 + 1; 64], 0).expect("key"))
        .collect()
}

/// Where the contract artifacts are (`bash contracts/build.sh` makes them).
pub fn artifact(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/artifacts")
        .join(format!("{name}.wasm"));
    std::fs::read(path).ok()
}

impl Node {
    /// The node every target of this process shares.
    pub fn shared() -> &'static Node {
        static NODE: OnceLock<Node> = OnceLock::new();
        NODE.get_or_init(Node::start)
    }

    fn start() -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Arc::new(Store::open(&dir.path().join("db"), Pruning::default()).expect("store"));
        let exec = Arc::new(Executor {
            store: store.clone(),
            chain_id: CHAIN.into(),
            sig_cache: Arc::new(SigCache::new(1000)),
            vm: Arc::new(
                proof_vm::Vm::new(proof_vm::VmConfig {
                    cache_dir: Some(dir.path().join("wasm-cache")),
                    ..Default::default()
                })
                .expect("vm"),
            ),
            upgrades: Upgrades::builtin(),
        });
        let metrics = Metrics::new();
        let mempool = Arc::new(MempoolState::new(exec.clone(), metrics.clone()));
        let consensus = Mutex::new(ConsensusState::new(exec.clone(), mempool.clone(), metrics));
        let query = QueryHandler {
            exec,
            moniker: "fuzz".into(),
        };
        let node = Node {
            _dir: dir,
            store,
            consensus,
            mempool,
            query,
        };
        node.genesis();
        node.populate();
        node
    }

    fn consensus(&self, req: ConsensusRequest) -> ConsensusResponse {
        self.consensus
            .lock()
            .handle(req)
            .expect("consensus request")
    }

    fn genesis(&self) {
        let keys = keys();
        let validator = ed25519_pubkey(&keys[1]);
        let genesis = AppGenesis {
            accounts: keys
                .iter()
                .map(|k| GenesisAccount {
                    address: k.address().to_string(),
                    coins: "1000000000000uxyz".into(),
                })
                .collect(),
            ..Default::default()
        };
        let mut app_state = serde_json::to_value(&genesis).expect("genesis json");
        app_state["staking"] = serde_json::json!({
            "validators": [{
                "operator": keys[1].address().to_string(),
                "pubkey": validator,
                "self_stake": "10000000000",
                "commission_bps": 500,
                "moniker": "v0",
            }],
        });
        self.consensus(ConsensusRequest::InitChain(request::InitChain {
            time: time(0),
            chain_id: CHAIN.into(),
            consensus_params: serde_json::from_str(r#"{"block":{"max_bytes":"22020096","max_gas":"-1","time_iota_ms":"1000"},"evidence":{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"},"validator":{"pub_key_types":["ed25519"]},"version":{"app":"0"}}"#).expect("params"),
            validators: vec![],
            app_state_bytes: serde_json::to_vec(&app_state).expect("app state").into(),
            initial_height: 1u32.into(),
        }));
    }

    /// Blocks that give the queries something to find: transfers, and (if the artifacts are
    /// built) the tester contract uploaded and instantiated.
    fn populate(&self) {
        let keys = keys();
        let mut seq = [0u64; 3];
        let mut tx = |i: usize, msgs, gas: u64| {
            let t = sign_tx(
                msgs,
                &[Signer {
                    key: &keys[i],
                    account_number: i as u64,
                    sequence: seq[i],
                }],
                &TxParams {
                    gas_limit: gas,
                    fee: vec![Coin::new(proof_sdk::tx::min_gas_fee(gas), "uxyz")],
                    include_pubkey: true,
                    ..Default::default()
                },
                CHAIN,
            );
            seq[i] += 1;
            Bytes::from(t)
        };
        let send = proof_sdk::msgs::bank_send(
            &keys[0].address(),
            &keys[2].address(),
            &[Coin::new(5, "uxyz")],
        );
        self.block(vec![tx(0, vec![send], 200_000)]);
        if let Some(wasm) = artifact("tester") {
            let store =
                proof_sdk::msgs::to_any(&cosmos_sdk_proto::cosmwasm::wasm::v1::MsgStoreCode {
                    sender: keys[0].address().to_string(),
                    wasm_byte_code: wasm,
                    instantiate_permission: None,
                });
            self.block(vec![tx(0, vec![store], 45_000_000)]);
            let init = proof_sdk::msgs::to_any(
                &cosmos_sdk_proto::cosmwasm::wasm::v1::MsgInstantiateContract {
                    sender: keys[0].address().to_string(),
                    admin: keys[0].address().to_string(),
                    code_id: 1,
                    label: "tester".into(),
                    msg: br#"{"greeting":"hi"}"#.to_vec(),
                    funds: vec![],
                },
            );
            self.block(vec![tx(0, vec![init], 5_000_000)]);
        }
        self.block(vec![]);
    }

    fn block(&self, txs: Vec<Bytes>) -> response::FinalizeBlock {
        let height = self.height() + 1;
        let r = self.consensus(ConsensusRequest::FinalizeBlock(request::FinalizeBlock {
            txs,
            decided_last_commit: tendermint::abci::types::CommitInfo {
                round: 0u8.into(),
                votes: vec![],
            },
            misbehavior: vec![],
            hash: Default::default(),
            height: height.try_into().expect("height"),
            time: time(height),
            next_validators_hash: Default::default(),
            proposer_address: tendermint::account::Id::new([7u8; 20]),
        }));
        let ConsensusResponse::FinalizeBlock(fb) = r else {
            panic!("{r:?}")
        };
        self.consensus(ConsensusRequest::Commit);
        fb
    }

    pub fn height(&self) -> u64 {
        self.store.latest_version().unwrap_or(0)
    }

    pub fn app_hash(&self) -> Option<[u8; 32]> {
        self.store.app_hash(self.height()).expect("app hash")
    }

    pub fn query(&self, path: &str, data: &[u8], height: u64) -> response::Query {
        self.query_with(path, data, height, false)
    }

    pub fn query_with(&self, path: &str, data: &[u8], height: u64, prove: bool) -> response::Query {
        self.query.query(request::Query {
            data: Bytes::copy_from_slice(data),
            path: path.into(),
            height: u32::try_from(height).unwrap_or(u32::MAX).into(),
            prove,
        })
    }
}

/// Signed transactions of every message kind, valid against the shared node's state (right
/// account numbers and sequences), for the fuzzer to start from.
pub fn seed_txs() -> Vec<Vec<u8>> {
    use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
    use proof_sdk::{gov, msgs, staking};
    let node = Node::shared();
    let keys = keys();
    let account = |i: usize| {
        let r = node.query(
            "/cosmos.auth.v1beta1.Query/Account",
            &prost::Message::encode_to_vec(
                &cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
                    address: keys[i].address().to_string(),
                },
            ),
            0,
        );
        let resp: cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountResponse =
            prost::Message::decode(r.value.as_ref()).unwrap_or_default();
        resp.account
            .and_then(|a| {
                <cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount as prost::Message>::decode(
                    a.value.as_slice(),
                )
                .ok()
            })
            .map_or((i as u64, 0), |a| (a.account_number, a.sequence))
    };
    let (a, b, c) = (keys[0].address(), keys[1].address(), keys[2].address());
    let uxyz = |n| Coin::new(n, "uxyz");
    let contract = proof_chain::modules::wasm::contract_address(1, 1);
    let messages = vec![
        (0, msgs::bank_send(&a, &c, &[uxyz(7)])),
        (
            0,
            msgs::bank_multi_send(
                &a,
                &[uxyz(3)],
                &[(b.clone(), vec![uxyz(1)]), (c.clone(), vec![uxyz(2)])],
            ),
        ),
        (0, staking::delegate(&a, &b, &uxyz(1_000_000))),
        (1, staking::undelegate(&b, &b, &uxyz(1))),
        (0, staking::redelegate(&a, &b, &b, &uxyz(1))),
        (
            0,
            gov::submit_param_change(
                &a,
                "fuzz",
                &[("staking", "max_validators", "10")],
                &uxyz(10_000_000_000),
            ),
        ),
        (2, gov::vote(&c, 1, 1)),
        (
            0,
            msgs::to_any(&MsgExecuteContract {
                sender: a.to_string(),
                contract: contract.to_string(),
                msg: br#"{"set":{"key":"k","value":"v"}}"#.to_vec(),
                funds: vec![],
            }),
        ),
    ];
    messages
        .into_iter()
        .map(|(i, msg)| {
            let (account_number, sequence) = account(i);
            sign_tx(
                vec![msg],
                &[Signer {
                    key: &keys[i],
                    account_number,
                    sequence,
                }],
                &TxParams {
                    gas_limit: 2_000_000,
                    fee: vec![Coin::new(proof_sdk::tx::min_gas_fee(2_000_000), "uxyz")],
                    include_pubkey: true,
                    ..Default::default()
                },
                CHAIN,
            )
        })
        .collect()
}

fn ed25519_pubkey(k: &PrivateKey) -> String {
    use base64::Engine as _;
    let pk = k.public_key().to_any().value;
    // `/cosmos.crypto.ed25519.PubKey` is `{ key: bytes }`: field 1, 32 bytes.
    base64::engine::general_purpose::STANDARD.encode(&pk[2..])
}

/// The VM `wasm_upload` compiles with (memory-only cache).
pub fn vm() -> &'static proof_vm::Vm {
    static VM: OnceLock<proof_vm::Vm> = OnceLock::new();
    VM.get_or_init(|| proof_vm::Vm::new(Default::default()).expect("vm"))
}

/// A real batch proven once per process, with the verifier key that checks it.
pub struct Batch {
    pub vk_digest: [u8; 32],
    pub vk_bytes: Vec<u8>,
    pub rollup: proof_zk::RollupId,
    pub old_root: proof_zk::F,
    pub new_root: proof_zk::F,
    pub data_hash: proof_zk::F,
    pub proof: Vec<u8>,
}

/// Parameters cache: `PROOF_ZK_PARAMS` (the tests point it at the zk tests' cache), else the
/// system's temporary directory.
fn params_dir() -> PathBuf {
    std::env::var_os("PROOF_ZK_PARAMS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("proof-zk-params"))
}

pub fn batch() -> &'static Batch {
    static BATCH: OnceLock<Batch> = OnceLock::new();
    BATCH.get_or_init(|| {
        use proof_zk::{prove_batch, AccountTree, Op, RollupId, SecretKey, ZkParams};
        let params = ZkParams::load_or_generate(&params_dir(), 2).expect("zk params");
        let rollup = RollupId(7);
        let alice = SecretKey::from_seed(&[11; 32]);
        let bob = SecretKey::from_seed(&[12; 32]);
        let mut tree = AccountTree::new();
        let ops = vec![
            Op::Deposit {
                to: 0,
                pubkey: alice.public_key(),
                amount: 1_000_000,
            },
            Op::Deposit {
                to: 5,
                pubkey: bob.public_key(),
                amount: 10,
            },
            Op::transfer(&alice, rollup, 0, 5, 250_000, 100, 0).expect("transfer"),
        ];
        let bp = prove_batch(&params, rollup, &mut tree, &ops).expect("prove");
        Batch {
            vk_digest: params.vk_digest(),
            vk_bytes: params.vk_bytes().to_vec(),
            rollup,
            old_root: bp.old_root,
            new_root: bp.new_root,
            data_hash: bp.data_hash,
            proof: bp.proof,
        }
    })
}
