//! Golden app hash: one fixed sequence of blocks that exercises every module (bank, wasm with
//! submessages and replies, a cw20 token, staking, slashing for downtime and for a double-sign,
//! gov parameter changes, a software upgrade with its migration, epoch checkpoints and their
//! rewards), whose final app hash and digest of every block's results are pinned.
//!
//! It pins behaviour across refactors: moving code must not move a single byte of state or of
//! results. Everything that feeds it is fixed: keys come from seeds, block times from the
//! height, and the contracts are `contracts/build.sh`'s reproducible builds, checked against
//! pinned checksums (a change to a contract's source or the toolchain fails that check first).
//! Signers are ed25519 and secp256k1, whose signatures are deterministic.
//!
//! When a change is *meant* to change behaviour (a new gas price, a new state key), run
//! `PROOF_GOLDEN_PRINT=1 cargo test -p proof-chain --test golden -- --nocapture`, check that the
//! change explains the difference, and pin the printed values, saying so in the commit.

mod common;

use bytes::Bytes;
use proof_chain::abci::genesis::AppGenesis;
use proof_chain::app::pos::PosGenesis;
use proof_chain::modules::upgrade::migrations::Upgrades;
use proof_chain::state::params::Params;
use proof_sdk::{gov, msgs, staking as smsg, Coin, KeyType, PrivateKey, PublicKey};
use serde_json::json;
use sha2::{Digest, Sha256};
use tendermint::abci::response;
use tendermint::abci::types::{BlockSignatureInfo, Misbehavior, MisbehaviorKind, VoteInfo};
use tendermint::block::BlockIdFlag;

use common::wasm::{attr, b64, contract_of, execute_msg, store_msg, User};
use common::{time, App};

/// The app hash after the last block, hex.
const GOLDEN_APP_HASH: &str = "e699267eb594cad45f3f4b61d43322e0661797273731fe1167aa10f1be15845c";
/// SHA-256 over every block's results (see [`Results`]), hex.
const GOLDEN_RESULTS: &str = "1ef332797320e90feb518ba5485b597d52471114e1a3c01ac48a51fbb84e3533";

const M: u128 = 1_000_000;
const UPGRADE: &str = "golden-v2";

/// The contracts the sequence uploads, as `contracts/build.sh` builds them, and their sha256.
/// The build is reproducible (pinned toolchain, `--locked`, stripped), so the checksums only
/// move when a contract's source, its dependencies or the toolchain do: then this fails first,
/// with that reason, rather than as an unexplained app hash.
const CONTRACTS: [(&str, &str); 2] = [
    (
        "tester",
        "e61d68502b77fd4c9599b666d309f01ffcf67c03cbd65f854dc3cea248b98a64",
    ),
    (
        "token",
        "a47ef20a43f8695c8c5e77472e9e957df156db3a47456ba5dfbfab9085fb3943",
    ),
];

fn contract(name: &str) -> Vec<u8> {
    let wasm = common::wasm::artifact(name);
    let (_, want) = CONTRACTS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a golden contract");
    assert_eq!(
        hex::encode(Sha256::digest(&wasm)),
        *want,
        "contracts/artifacts/{name}.wasm is not the build the golden values were pinned with: \
         a contract, its dependencies or the toolchain changed; re-pin (see the top of this file)"
    );
    wasm
}

struct Validator {
    i: u8,
    op: PrivateKey,
    cons_pk: [u8; 32],
}

impl Validator {
    fn new(i: u8) -> Self {
        let cons = PrivateKey::from_seed(KeyType::Ed25519, &[150 + i; 64], 0).unwrap();
        let PublicKey::Ed25519(cons_pk) = cons.public_key() else {
            unreachable!()
        };
        Validator {
            i,
            op: Self::operator(i),
            cons_pk,
        }
    }

    fn operator(i: u8) -> PrivateKey {
        PrivateKey::from_seed(KeyType::Ed25519, &[50 + i; 64], 0).unwrap()
    }

    fn cons_addr(&self) -> [u8; 20] {
        Sha256::digest(self.cons_pk)[..20].try_into().unwrap()
    }
}

/// A running digest of what consensus depends on in each block: the app hash, every
/// transaction's code, data, gas and events, the block's events and validator updates.
struct Results(Sha256);

impl Results {
    fn add(&mut self, fb: &response::FinalizeBlock) {
        let h = &mut self.0;
        h.update(fb.app_hash.as_bytes());
        for r in &fb.tx_results {
            h.update(r.code.value().to_be_bytes());
            h.update((r.data.len() as u64).to_be_bytes());
            h.update(&r.data);
            h.update(r.gas_wanted.to_be_bytes());
            h.update(r.gas_used.to_be_bytes());
            h.update(format!("{:?}", r.events).as_bytes());
        }
        h.update(format!("{:?}", fb.events).as_bytes());
        h.update(format!("{:?}", fb.validator_updates).as_bytes());
    }
}

struct Golden {
    app: App,
    vals: Vec<Validator>,
    /// Validators absent from the last commit of the coming blocks.
    absent: Vec<usize>,
    /// Validators no longer in the set (tombstoned): they vote no more.
    gone: Vec<usize>,
    results: Results,
}

impl Golden {
    fn votes(&self) -> Vec<VoteInfo> {
        if self.app.height == 0 {
            return vec![];
        }
        self.vals
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.gone.contains(i))
            .map(|(i, v)| VoteInfo {
                validator: tendermint::abci::types::Validator {
                    address: v.cons_addr(),
                    power: 10_000u32.into(),
                },
                sig_info: BlockSignatureInfo::Flag(if self.absent.contains(&i) {
                    BlockIdFlag::Absent
                } else {
                    BlockIdFlag::Commit
                }),
            })
            .collect()
    }

    fn block_with(
        &mut self,
        txs: Vec<Vec<u8>>,
        misbehavior: Vec<Misbehavior>,
    ) -> response::FinalizeBlock {
        let votes = self.votes();
        let t = time(self.app.height + 1);
        let fb = self.app.block_with(
            txs.into_iter().map(Bytes::from).collect(),
            votes,
            misbehavior,
            t,
        );
        self.results.add(&fb);
        fb
    }

    fn block(&mut self, txs: Vec<Vec<u8>>) -> response::FinalizeBlock {
        self.block_with(txs, vec![])
    }

    /// One transaction in its own block; it must succeed.
    fn ok(&mut self, tx: Vec<u8>) -> tendermint::abci::types::ExecTxResult {
        let mut fb = self.block(vec![tx]);
        let r = fb.tx_results.remove(0);
        assert!(r.code.is_ok(), "block {}: {}", self.app.height, r.log);
        r
    }

    fn until(&mut self, height: u64) {
        while self.app.height < height {
            self.block(vec![]);
        }
    }

    /// Sends `submit` (a proposal with its full deposit) from `by`, has `voters` vote yes, and
    /// runs blocks until it is tallied.
    fn pass(&mut self, by: &mut User, voters: &mut [User], submit: cosmos_sdk_proto::Any) {
        let r = self.ok(by.tx(vec![submit], 3_000_000));
        let id: u64 = attr(&r, "submit_proposal", "proposal_id")
            .unwrap()
            .parse()
            .unwrap();
        let votes = voters
            .iter_mut()
            .map(|v| v.tx(vec![gov::vote(&v.addr(), id, gov::YES)], 2_000_000))
            .collect();
        let fb = self.block(votes);
        assert!(
            fb.tx_results.iter().all(|r| r.code.is_ok()),
            "{:?}",
            fb.tx_results
        );
        for _ in 0..30 {
            let fb = self.block(vec![]);
            if let Some(e) = fb.events.iter().find(|e| e.kind == "proposal_result") {
                let passed = e
                    .attributes
                    .iter()
                    .any(|a| a.value_str().ok() == Some("Passed"));
                assert!(passed, "proposal {id}: {e:?}");
                return;
            }
        }
        panic!("proposal {id} was never tallied");
    }
}

fn deposit() -> Coin {
    Coin::new(1_000 * M, "uxyz")
}

#[test]
fn a_fixed_sequence_of_blocks_reaches_the_pinned_app_hash() {
    let vals: Vec<Validator> = (0..4).map(Validator::new).collect();
    let alice = PrivateKey::from_seed(KeyType::Ed25519, &[1; 64], 0).unwrap();
    let bob = PrivateKey::from_seed(KeyType::Secp256k1, &[2; 64], 0).unwrap();
    let carol = PrivateKey::from_seed(KeyType::Ed25519, &[3; 64], 0).unwrap();
    let ops: Vec<_> = vals.iter().map(|v| (&v.op, v.cons_pk)).collect();
    let mut staking = PosGenesis {
        validators: common::genesis_validators(&ops, 10_000 * M),
        ..Default::default()
    };
    staking.params.unbonding_time_secs = 40;
    staking.slashing.signed_blocks_window = 10;
    staking.slashing.downtime_jail_secs = 20;
    staking.epoch.epoch_secs = 25;
    staking.gov.min_deposit = 1_000 * M;
    staking.gov.voting_secs = 10;
    staking.gov.quorum_bps = 100;
    let mut accounts = common::genesis_accounts(&[
        (&alice, 1_000_000 * M),
        (&bob, 1_000_000 * M),
        (&carol, 1_000 * M),
    ]);
    accounts.extend(common::genesis_accounts(
        &vals.iter().map(|v| (&v.op, 100 * M)).collect::<Vec<_>>(),
    ));
    let genesis = AppGenesis {
        accounts,
        staking,
        params: Params {
            max_tx_bytes: 2 * 1024 * 1024,
            ..Default::default()
        },
        ..Default::default()
    };
    let (app, init) = App::with_genesis(&genesis);
    let mut g = Golden {
        app,
        vals,
        absent: vec![],
        gone: vec![],
        results: Results(Sha256::new()),
    };
    g.results.0.update(init.app_hash.as_bytes());
    let mut a = g.app.user(alice);
    let mut b = g.app.user(bob);
    let carol_addr = carol.address();
    let mut ops: Vec<User> = g
        .vals
        .iter()
        .map(|v| g.app.user(Validator::operator(v.i)))
        .collect();

    // Bank.
    let fb = g.block(vec![
        a.tx(
            vec![msgs::bank_send(
                &a.addr(),
                &carol_addr,
                &[Coin::new(5 * M, "uxyz")],
            )],
            200_000,
        ),
        b.tx(
            vec![msgs::bank_multi_send(
                &b.addr(),
                &[Coin::new(6 * M, "uxyz")],
                &[
                    (carol_addr.clone(), vec![Coin::new(2 * M, "uxyz")]),
                    (a.addr(), vec![Coin::new(4 * M, "uxyz")]),
                ],
            )],
            200_000,
        ),
        // Fails, pays its fee.
        b.tx(
            vec![msgs::bank_send(
                &b.addr(),
                &a.addr(),
                &[Coin::new(u128::MAX / 2, "uxyz")],
            )],
            200_000,
        ),
    ]);
    assert!(fb.tx_results[0].code.is_ok() && fb.tx_results[1].code.is_ok());
    assert!(fb.tx_results[2].code.is_err());

    // Wasm: two uploads (one gzipped), two instances, a call with submessages and replies (one
    // child succeeds, one fails and is rolled back under its reply, a bank send), token moves.
    g.ok(a.tx(
        vec![store_msg(
            &a.addr(),
            common::wasm::gzip(&contract("tester")),
        )],
        45_000_000,
    ));
    g.ok(a.tx(vec![store_msg(&a.addr(), contract("token"))], 45_000_000));
    let r = g.ok(a.tx(
        vec![common::wasm::instantiate_msg(
            &a.addr(),
            1,
            json!({"greeting": "golden"}),
            &[Coin::new(100, "uxyz")],
        )],
        5_000_000,
    ));
    let tester = contract_of(&r);
    let r = g.ok(a.tx(
        vec![common::wasm::instantiate_msg(
            &a.addr(),
            2,
            json!({"name": "Golden", "symbol": "GLD", "decimals": 6,
                   "initial_balances": [{"address": a.addr().to_string(), "amount": "1000000"}]}),
            &[],
        )],
        5_000_000,
    ));
    let token = contract_of(&r);
    let child = |msg: serde_json::Value| {
        json!({"wasm": {"execute": {"contract_addr": tester.to_string(),
            "msg": b64(msg.to_string().as_bytes()), "funds": []}}})
    };
    let dispatch = json!({"dispatch": {"mark": "m", "msgs": [
        {"id": 1, "reply_on": "always", "gas_limit": null, "payload": "",
         "msg": child(json!({"set": {"key": "k", "value": "v"}}))},
        {"id": 2, "reply_on": "error", "gas_limit": 200000, "payload": "",
         "msg": child(json!({"set_then_fail": {"key": "child"}}))},
        {"id": 3, "reply_on": "error", "gas_limit": null, "payload": "",
         "msg": {"bank": {"send": {"to_address": carol_addr.to_string(),
                 "amount": [{"denom": "uxyz", "amount": "7"}]}}}},
    ]}});
    g.ok(a.tx(
        vec![execute_msg(&a.addr(), &tester, dispatch, &[])],
        5_000_000,
    ));
    let fb = g.block(vec![
        a.tx(
            vec![execute_msg(
                &a.addr(),
                &token,
                json!({"transfer": {"recipient": b.addr().to_string(), "amount": "250"}}),
                &[],
            )],
            2_000_000,
        ),
        // More than it holds: the contract refuses.
        b.tx(
            vec![execute_msg(
                &b.addr(),
                &token,
                json!({"transfer": {"recipient": a.addr().to_string(), "amount": "999999"}}),
                &[],
            )],
            2_000_000,
        ),
        a.tx(
            vec![execute_msg(
                &a.addr(),
                &tester,
                json!({"fill": {"prefix": "f", "count": 20}}),
                &[],
            )],
            5_000_000,
        ),
    ]);
    assert!(fb.tx_results[0].code.is_ok() && fb.tx_results[2].code.is_ok());
    assert!(fb.tx_results[1].code.is_err());

    // Staking.
    let v = |i: usize| g.vals[i].op.address();
    let (v0, v1, v2) = (v(0), v(1), v(2));
    g.block(vec![
        a.tx(
            vec![smsg::delegate(
                &a.addr(),
                &v0,
                &Coin::new(3_000 * M, "uxyz"),
            )],
            500_000,
        ),
        b.tx(
            vec![smsg::delegate(
                &b.addr(),
                &v1,
                &Coin::new(2_000 * M, "uxyz"),
            )],
            500_000,
        ),
    ]);
    g.block(vec![
        a.tx(
            vec![smsg::undelegate(
                &a.addr(),
                &v0,
                &Coin::new(500 * M, "uxyz"),
            )],
            500_000,
        ),
        b.tx(
            vec![smsg::redelegate(
                &b.addr(),
                &v1,
                &v2,
                &Coin::new(700 * M, "uxyz"),
            )],
            500_000,
        ),
    ]);

    // Slashing: validator 2 misses a window of votes (jailed for downtime), then unjails;
    // validator 3 double-signs (slashed, tombstoned).
    g.absent = vec![2];
    let from = g.app.height;
    g.until(from + 12);
    g.absent.clear();
    // Jailed, it is out of the set and signs no commit (as CometBFT would have it).
    g.gone = vec![2];
    let misbehavior = vec![Misbehavior {
        kind: MisbehaviorKind::DuplicateVote,
        validator: tendermint::abci::types::Validator {
            address: g.vals[3].cons_addr(),
            power: 10_000u32.into(),
        },
        height: (g.app.height - 1).try_into().unwrap(),
        time: time(g.app.height - 1),
        total_voting_power: 40_000u32.into(),
    }];
    g.block_with(vec![], misbehavior);
    g.gone = vec![2, 3];
    let from = g.app.height;
    g.until(from + 22);
    let unjail = ops[2].tx(vec![smsg::unjail(&v2)], 500_000);
    g.ok(unjail);
    g.gone = vec![3];

    // Gov: a parameter change, then a software upgrade whose migration the new binary runs.
    let (voters, _) = ops.split_at_mut(3);
    let change = [("epoch", "emission_per_epoch", "\"2000000000\"")];
    let submit = gov::submit_param_change(&a.addr(), "golden", &change, &deposit());
    g.pass(&mut a, voters, submit);
    let at = g.app.height + 20;
    let upgrade = gov::software_upgrade(UPGRADE, at, "golden");
    let submit = gov::submit_proposal(&a.addr(), "golden", "pinned", vec![upgrade], &deposit());
    g.pass(&mut a, voters, submit);
    g.until(at - 1);
    g.app.restart_with(Upgrades::builtin().with_drill(UPGRADE));
    let fb = g.block(vec![]);
    assert!(
        fb.events.iter().any(|e| e.kind == "upgrade"),
        "the migration ran"
    );

    // Run into a few more epochs: checkpoints, rewards, matured unbondings.
    let from = g.app.height;
    g.until(from + 60);
    let latest: serde_json::Value = g
        .app
        .json_query("/proof.checkpoint.v1.Query/Checkpoint", json!({}))
        .unwrap();
    let epoch = latest["checkpoint"]["epoch"].as_u64().unwrap();
    assert!(epoch >= 3, "only {epoch} checkpoints: {latest}");

    let app_hash = hex::encode(g.app.store.app_hash(g.app.height).unwrap().unwrap());
    let results = hex::encode(g.results.0.clone().finalize());
    if std::env::var_os("PROOF_GOLDEN_PRINT").is_some() {
        println!("height {}", g.app.height);
        println!("const GOLDEN_APP_HASH: &str = \"{app_hash}\";");
        println!("const GOLDEN_RESULTS: &str = \"{results}\";");
    }
    assert_eq!(app_hash, GOLDEN_APP_HASH, "the final app hash moved");
    assert_eq!(results, GOLDEN_RESULTS, "the results moved");
}
