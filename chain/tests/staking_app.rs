//! Proof of stake through the app's ABCI handlers (no CometBFT): genesis validators returned by
//! InitChain, voting power from stake, validator-set diffs from FinalizeBlock, the unbonding
//! queue, slashing from synthetic evidence and missed votes, unjail, epoch checkpoints with
//! their proofs, and the reward split to the last uxyz with supply conservation.

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryTotalSupplyRequest, QueryTotalSupplyResponse};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    BondStatus, QueryDelegationRequest, QueryDelegationResponse, QueryParamsRequest,
    QueryParamsResponse, QueryPoolRequest, QueryPoolResponse, QueryUnbondingDelegationRequest,
    QueryUnbondingDelegationResponse, QueryValidatorsRequest, QueryValidatorsResponse,
};
use cosmos_sdk_proto::Any;
use proof_chain::abci::genesis::AppGenesis;
use proof_chain::app::pos::{GenesisValidator, PosGenesis};
use proof_sdk::checkpoint::{self, BlockProof, CheckpointResponse};
use proof_sdk::staking as smsg;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{Address, Coin, KeyType, PrivateKey, PublicKey};
use sha2::{Digest, Sha256};
use tendermint::abci::response;
use tendermint::abci::types::{
    BlockSignatureInfo, Misbehavior, MisbehaviorKind, Validator as AbciValidator, VoteInfo,
};
use tendermint::block::BlockIdFlag;

mod common;

use common::{time, App, CHAIN};

const M: u128 = 1_000_000;

struct Val {
    op: PrivateKey,
    pk: [u8; 32],
}

impl Val {
    fn new() -> Self {
        let cons = PrivateKey::generate(KeyType::Ed25519);
        let PublicKey::Ed25519(pk) = cons.public_key() else {
            unreachable!()
        };
        Self {
            op: PrivateKey::generate(KeyType::Ed25519),
            pk,
        }
    }
    fn addr(&self) -> Address {
        self.op.address()
    }
    fn cons(&self) -> [u8; 20] {
        let d = Sha256::digest(self.pk);
        d[..20].try_into().unwrap()
    }
}

fn genesis(
    accounts: &[(&PrivateKey, u128)],
    vals: &[(&Val, u128, u32)],
    mut staking: PosGenesis,
) -> AppGenesis {
    staking.validators = vals
        .iter()
        .enumerate()
        .map(|(i, (v, stake, commission))| GenesisValidator {
            operator: v.addr().to_string(),
            pubkey: common::wasm::b64(&v.pk),
            self_stake: stake.to_string(),
            commission_bps: *commission,
            moniker: format!("v{i}"),
        })
        .collect();
    AppGenesis {
        accounts: common::genesis_accounts(accounts),
        staking,
        ..Default::default()
    }
}

/// A signed tx from `key` carrying `msgs` (fee 5000uxyz).
fn tx(app: &App, key: &PrivateKey, msgs: Vec<Any>) -> Bytes {
    tx_fee(app, key, msgs, 5000)
}

fn tx_fee(app: &App, key: &PrivateKey, msgs: Vec<Any>, fee: u128) -> Bytes {
    let acc = app.account(&key.address()).expect("account exists");
    sign_tx(
        msgs,
        &[Signer {
            key,
            account_number: acc.account_number,
            sequence: acc.sequence,
        }],
        &TxParams {
            gas_limit: 200_000,
            fee: vec![Coin::new(fee, "uxyz")],
            include_pubkey: true,
            ..Default::default()
        },
        CHAIN,
    )
    .into()
}

/// A parameter-change proposal from `key` with a deposit of `deposit` uxyz.
fn propose(
    app: &App,
    key: &PrivateKey,
    title: &str,
    changes: &[(&str, &str, &str)],
    deposit: u128,
) -> Bytes {
    let deposit = Coin::new(deposit, "uxyz");
    let msg = proof_sdk::gov::submit_param_change(&key.address(), title, changes, &deposit);
    tx(app, key, vec![msg])
}

fn vote_on(app: &App, key: &PrivateKey, id: u64, option: i32) -> Bytes {
    tx(
        app,
        key,
        vec![proof_sdk::gov::vote(&key.address(), id, option)],
    )
}

/// The block's first tx failed, saying `why`.
fn refused(fb: &response::FinalizeBlock, why: &str) {
    let r = &fb.tx_results[0];
    assert!(
        r.code.is_err() && r.log.contains(why),
        "expected {why:?}: {}",
        r.log
    );
}

fn updates(fb: &response::FinalizeBlock) -> Vec<([u8; 32], u64)> {
    let mut v: Vec<([u8; 32], u64)> = fb
        .validator_updates
        .iter()
        .map(|u| (u.pub_key.to_bytes().try_into().unwrap(), u.power.value()))
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<([u8; 32], u64)>) -> Vec<([u8; 32], u64)> {
    v.sort();
    v
}

fn ok(fb: &response::FinalizeBlock) {
    for r in &fb.tx_results {
        assert!(r.code.is_ok(), "tx failed: {}", r.log);
    }
}

fn vote(v: &Val, power: u64, signed: bool) -> VoteInfo {
    VoteInfo {
        validator: AbciValidator {
            address: v.cons(),
            power: power.try_into().unwrap(),
        },
        sig_info: BlockSignatureInfo::Flag(if signed {
            BlockIdFlag::Commit
        } else {
            BlockIdFlag::Absent
        }),
    }
}

fn delegation(app: &App, del: &Address, v: &Val) -> Option<u128> {
    let r: QueryDelegationResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Delegation",
            &QueryDelegationRequest {
                delegator_addr: del.to_string(),
                validator_addr: smsg::valoper(&v.addr()),
            },
        )
        .ok()?;
    Some(
        r.delegation_response
            .unwrap()
            .balance
            .unwrap()
            .amount
            .parse()
            .unwrap(),
    )
}

fn pool(app: &App) -> (u128, u128) {
    let r: QueryPoolResponse = app
        .grpc("/cosmos.staking.v1beta1.Query/Pool", &QueryPoolRequest {})
        .unwrap();
    let p = r.pool.unwrap();
    (
        p.bonded_tokens.parse().unwrap(),
        p.not_bonded_tokens.parse().unwrap(),
    )
}

/// The bonded pool holds exactly the validators' tokens.
fn assert_bonded_pool_matches(app: &App) {
    let r: QueryValidatorsResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Validators",
            &QueryValidatorsRequest::default(),
        )
        .unwrap();
    let tokens: u128 = r
        .validators
        .iter()
        .map(|v| v.tokens.parse::<u128>().unwrap())
        .sum();
    assert_eq!(pool(app).0, tokens, "bonded pool = sum of validator tokens");
}

fn total_supply(app: &App) -> u128 {
    let s: QueryTotalSupplyResponse = app
        .grpc(
            "/cosmos.bank.v1beta1.Query/TotalSupply",
            &QueryTotalSupplyRequest { pagination: None },
        )
        .unwrap();
    s.supply
        .iter()
        .find(|c| c.denom == "uxyz")
        .map(|c| c.amount.parse().unwrap())
        .unwrap_or(0)
}

fn staking_params(max_validators: u32, unbonding_secs: u64) -> PosGenesis {
    let mut g = PosGenesis::default();
    g.params.max_validators = max_validators;
    g.params.unbonding_time_secs = unbonding_secs;
    g
}

#[test]
fn genesis_validators_are_the_cometbft_set_and_queryable() {
    let (a, b, c) = (Val::new(), Val::new(), Val::new());
    let g = genesis(
        &[],
        &[(&a, 3 * M, 1000), (&b, 2 * M, 1000), (&c, 3 * M / 2, 1000)],
        staking_params(2, 100),
    );
    let (app, init) = App::with_genesis(&g);
    // InitChain returns the app's set: the two largest, power = stake / 10^6.
    let set: Vec<([u8; 32], u64)> = init
        .validators
        .iter()
        .map(|u| (u.pub_key.to_bytes().try_into().unwrap(), u.power.value()))
        .collect();
    assert_eq!(sorted(set), sorted(vec![(a.pk, 3), (b.pk, 2)]));

    let r: QueryValidatorsResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Validators",
            &QueryValidatorsRequest::default(),
        )
        .unwrap();
    assert_eq!(r.validators.len(), 3);
    let cv = r
        .validators
        .iter()
        .find(|v| v.operator_address == smsg::valoper(&c.addr()))
        .unwrap();
    assert_eq!(
        cv.status,
        BondStatus::Unbonded as i32,
        "outside max_validators"
    );
    assert_eq!(cv.tokens, "1500000");
    assert_eq!(cv.delegator_shares, "1500000000000000000000000");
    let bonded: QueryValidatorsResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Validators",
            &QueryValidatorsRequest {
                status: "BOND_STATUS_BONDED".into(),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(bonded.validators.len(), 2);
    assert_eq!(pool(&app), (6_500_000, 0));
    assert_eq!(delegation(&app, &a.addr(), &a), Some(3 * M));
    let p: QueryParamsResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Params",
            &QueryParamsRequest {},
        )
        .unwrap();
    assert_eq!(p.params.unwrap().max_validators, 2);
    // Self-stake is minted at genesis: supply is exactly the stakes.
    assert_eq!(total_supply(&app), 6_500_000);
}

#[test]
fn delegation_changes_power_and_undelegation_matures() {
    let (a, b, c) = (Val::new(), Val::new(), Val::new());
    let d = PrivateKey::generate(KeyType::Secp256k1);
    let g = genesis(
        &[(&d, 10 * M)],
        &[(&a, 3 * M, 1000), (&b, 2 * M, 1000), (&c, 3 * M / 2, 1000)],
        staking_params(2, 5),
    );
    let (mut app, _) = App::with_genesis(&g);
    let supply = total_supply(&app);

    // Delegating 2 XYZ to C lifts it to power 3; B (power 2) drops out of the top two.
    let t = tx(
        &app,
        &d,
        vec![smsg::delegate(
            &d.address(),
            &c.addr(),
            &Coin::new(2 * M, "uxyz"),
        )],
    );
    let fb = app.block(vec![t]);
    ok(&fb);
    assert_eq!(updates(&fb), sorted(vec![(c.pk, 3), (b.pk, 0)]));
    assert_eq!(delegation(&app, &d.address(), &c), Some(2 * M));
    // Only changes are sent: a block without stake changes has no updates.
    assert!(app.block(vec![]).validator_updates.is_empty());

    // Undelegating brings C back to 1.5 XYZ: B returns.
    let t = tx(
        &app,
        &d,
        vec![smsg::undelegate(
            &d.address(),
            &c.addr(),
            &Coin::new(2 * M, "uxyz"),
        )],
    );
    let fb = app.block(vec![t]);
    ok(&fb);
    let undelegated_at = app.height;
    assert_eq!(updates(&fb), sorted(vec![(c.pk, 0), (b.pk, 2)]));
    assert_eq!(delegation(&app, &d.address(), &c), None);
    let u: QueryUnbondingDelegationResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
            &QueryUnbondingDelegationRequest {
                delegator_addr: d.address().to_string(),
                validator_addr: smsg::valoper(&c.addr()),
            },
        )
        .unwrap();
    let e = &u.unbond.unwrap().entries[0];
    assert_eq!(e.balance, "2000000");
    assert_eq!(
        e.completion_time.as_ref().unwrap().seconds,
        time(undelegated_at).unix_timestamp() + 5
    );
    assert_eq!(pool(&app), (6_500_000, 2 * M));
    let before = app.balance(&d.address());

    // Locked until 5 s of block time have passed (blocks are 1 s apart here).
    for _ in 0..4 {
        app.block(vec![]);
        assert_eq!(app.balance(&d.address()), before, "still unbonding");
    }
    let fb = app.block(vec![]);
    assert!(fb.events.iter().any(|e| e.kind == "complete_unbonding"));
    assert_eq!(app.balance(&d.address()), before + 2 * M);
    assert_eq!(pool(&app), (6_500_000, 0));
    assert!(app
        .grpc::<_, QueryUnbondingDelegationResponse>(
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
            &QueryUnbondingDelegationRequest {
                delegator_addr: d.address().to_string(),
                validator_addr: smsg::valoper(&c.addr()),
            },
        )
        .is_err());
    assert_eq!(
        total_supply(&app),
        supply,
        "staking moves tokens, never mints them"
    );
    assert_bonded_pool_matches(&app);
}

#[test]
fn redelegation_moves_power_and_cannot_hop_twice() {
    let (a, b, c) = (Val::new(), Val::new(), Val::new());
    let d = PrivateKey::generate(KeyType::Secp256k1);
    let g = genesis(
        &[(&d, 10 * M)],
        &[(&a, 2 * M, 1000), (&b, 2 * M, 1000), (&c, 2 * M, 1000)],
        staking_params(10, 100),
    );
    let (mut app, _) = App::with_genesis(&g);
    let t = tx(
        &app,
        &d,
        vec![smsg::delegate(
            &d.address(),
            &a.addr(),
            &Coin::new(3 * M, "uxyz"),
        )],
    );
    ok(&app.block(vec![t]));
    let t = tx(
        &app,
        &d,
        vec![smsg::redelegate(
            &d.address(),
            &a.addr(),
            &b.addr(),
            &Coin::new(3 * M, "uxyz"),
        )],
    );
    let fb = app.block(vec![t]);
    ok(&fb);
    assert_eq!(updates(&fb), sorted(vec![(a.pk, 2), (b.pk, 5)]));
    assert_eq!(delegation(&app, &d.address(), &b), Some(3 * M));
    assert_bonded_pool_matches(&app);
    // The stake that just arrived at B cannot move on to C before the redelegation matures.
    let t = tx(
        &app,
        &d,
        vec![smsg::redelegate(
            &d.address(),
            &b.addr(),
            &c.addr(),
            &Coin::new(M, "uxyz"),
        )],
    );
    let fb = app.block(vec![t]);
    refused(&fb, "redelegation");
}

#[test]
fn double_sign_slashes_delegators_and_unbonding_then_tombstones() {
    let (a, b) = (Val::new(), Val::new());
    let d = PrivateKey::generate(KeyType::Secp256k1);
    let g = genesis(
        &[(&d, 10 * M), (&a.op, M)],
        &[(&a, 4 * M, 1000), (&b, 10 * M, 1000)],
        staking_params(10, 1000),
    );
    let (mut app, _) = App::with_genesis(&g);
    let supply = total_supply(&app);
    let dev = Address::module("development_fund");

    let t = tx(
        &app,
        &d,
        vec![smsg::delegate(
            &d.address(),
            &a.addr(),
            &Coin::new(6 * M, "uxyz"),
        )],
    );
    ok(&app.block(vec![t])); // height 1: A has 10 XYZ, power 10
    let t = tx(
        &app,
        &d,
        vec![smsg::undelegate(
            &d.address(),
            &a.addr(),
            &Coin::new(M, "uxyz"),
        )],
    );
    ok(&app.block(vec![t])); // height 2: 1 XYZ of D's stake unbonding, A at 9 XYZ

    // Evidence: A double-signed at height 1 with power 10 -> 5% of 10 XYZ = 500 000 uxyz.
    let ev = Misbehavior {
        kind: MisbehaviorKind::DuplicateVote,
        validator: AbciValidator {
            address: a.cons(),
            power: 10u32.into(),
        },
        height: 1u32.into(),
        time: time(1),
        total_voting_power: 20u32.into(),
    };
    let fb = app.block_with(vec![], vec![], vec![ev.clone()], time(3));
    assert!(fb.events.iter().any(|e| e.kind == "slash"));
    assert_eq!(
        updates(&fb),
        vec![(a.pk, 0)],
        "jailed: removed from the set"
    );
    // The unbonding entry (created after the infraction) loses 5%: 50 000.
    let u: QueryUnbondingDelegationResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
            &QueryUnbondingDelegationRequest {
                delegator_addr: d.address().to_string(),
                validator_addr: smsg::valoper(&a.addr()),
            },
        )
        .unwrap();
    assert_eq!(u.unbond.unwrap().entries[0].balance, "950000");
    // The other 450 000 come from A's 9 XYZ, shared by shares: D's 5 XYZ and A's own 4 XYZ
    // both lose exactly 5%.
    assert_eq!(delegation(&app, &d.address(), &a), Some(4_750_000));
    assert_eq!(delegation(&app, &a.addr(), &a), Some(3_800_000));
    assert_eq!(
        app.balance(&dev),
        500_000,
        "slashed stake goes to the development fund"
    );
    assert_eq!(total_supply(&app), supply, "nothing burned, nothing minted");
    assert_bonded_pool_matches(&app);
    assert_eq!(
        pool(&app).1,
        950_000,
        "not-bonded pool = the unbonding entries"
    );

    // Tombstoned: the same evidence again changes nothing, and unjail is refused forever.
    let fb = app.block_with(vec![], vec![], vec![ev], time(4));
    assert!(fb.validator_updates.is_empty());
    assert_eq!(app.balance(&dev), 500_000);
    let t = tx(&app, &a.op, vec![smsg::unjail(&a.addr())]);
    let fb = app.block_with(vec![t], vec![], vec![], time(100_000));
    refused(&fb, "tombstoned");
}

#[test]
fn downtime_jails_slashes_and_unjail_restores_power() {
    let (a, b) = (Val::new(), Val::new());
    let mut sp = staking_params(10, 100);
    sp.slashing.signed_blocks_window = 10;
    sp.slashing.min_signed_per_window_bps = 5000;
    sp.slashing.downtime_jail_secs = 20;
    sp.slashing.slash_fraction_downtime_bps = 100;
    let g = genesis(&[(&b.op, M)], &[(&a, 5 * M, 1000), (&b, 5 * M, 1000)], sp);
    let (mut app, _) = App::with_genesis(&g);

    // B never signs. It may miss 5 of 10; it is judged once the first window is complete.
    let mut jailed_at = None;
    for _ in 0..15 {
        let votes = vec![vote(&a, 5, true), vote(&b, 5, false)];
        let t = time(app.height + 1);
        let fb = app.block_with(vec![], votes, vec![], t);
        if !fb.validator_updates.is_empty() {
            assert_eq!(updates(&fb), vec![(b.pk, 0)]);
            jailed_at = Some(app.height);
            break;
        }
    }
    assert_eq!(
        jailed_at,
        Some(12),
        "start height 1 + window 10, then the first block after"
    );
    // 1% of power 5: 50 000 uxyz.
    assert_eq!(delegation(&app, &b.addr(), &b), Some(4_950_000));

    // Unjail is refused during the 20 s jail, accepted after; power 4 returns to the set.
    let t = tx(&app, &b.op, vec![smsg::unjail(&b.addr())]);
    let fb = app.block_with(
        vec![t],
        vec![vote(&a, 5, true)],
        vec![],
        time(app.height + 1),
    );
    refused(&fb, "jailed until");
    let t = tx(&app, &b.op, vec![smsg::unjail(&b.addr())]);
    let later = time(jailed_at.unwrap() + 21);
    let fb = app.block_with(vec![t], vec![vote(&a, 5, true)], vec![], later);
    ok(&fb);
    assert_eq!(updates(&fb), vec![(b.pk, 4)]);
    // The window restarts at the unjail: missing the next 10 blocks is not yet judged.
    for _ in 0..10 {
        let votes = vec![vote(&a, 5, true), vote(&b, 4, false)];
        let t = time(app.height + 100);
        assert!(app
            .block_with(vec![], votes, vec![], t)
            .validator_updates
            .is_empty());
    }
    assert_bonded_pool_matches(&app);
    // A signs throughout and is never touched.
    assert_eq!(delegation(&app, &a.addr(), &a), Some(5 * M));
}

fn epoch_genesis(emission: u128, halving_secs: u64) -> PosGenesis {
    let mut g = staking_params(10, 100);
    g.epoch.epoch_secs = 5;
    g.epoch.emission_per_epoch = emission;
    g.epoch.halving_secs = halving_secs;
    g
}

#[test]
fn checkpoints_commit_to_blocks_validators_and_link_up() {
    let (a, b) = (Val::new(), Val::new());
    let g = genesis(
        &[],
        &[(&a, 3 * M, 1000), (&b, M, 0)],
        epoch_genesis(1000, 1_000_000),
    );
    let (mut app, _) = App::with_genesis(&g);
    for h in 1..=4 {
        let fb = app.block(vec![]);
        assert!(
            !fb.events.iter().any(|e| e.kind == "checkpoint"),
            "early at {h}"
        );
    }
    // Block 5 is the first at genesis + 5 s: it closes epoch 0 over blocks 1..=4.
    let fb = app.block(vec![]);
    assert!(fb.events.iter().any(|e| e.kind == "checkpoint"));
    let r: CheckpointResponse = app
        .json_query(
            "/proof.checkpoint.v1.Query/Checkpoint",
            serde_json::json!({}),
        )
        .unwrap();
    let cp = &r.checkpoint;
    assert_eq!(
        (cp.epoch, cp.start_height, cp.end_height, r.written_at),
        (0, 1, 4, 5)
    );
    assert_eq!(cp.prev_hash, [0; 32]);
    assert_eq!(cp.start_time_ns, time(0).unix_timestamp_nanos() as i64);
    assert_eq!(cp.end_time_ns, time(5).unix_timestamp_nanos() as i64);
    let leaves: Vec<Vec<u8>> = (1..=4)
        .map(|h| checkpoint::block_leaf(h, &app.store.app_hash(h).unwrap().unwrap()))
        .collect();
    assert_eq!(cp.blocks_root, checkpoint::merkle_root(&leaves));
    assert_eq!(
        (cp.record_count, cp.records_root),
        (0, checkpoint::empty_root())
    );
    // The wasm substore's root as of the last block the checkpoint covers.
    assert_eq!(
        cp.contracts_root.to_vec(),
        app.store.get_at(b"wasm", cp.end_height).unwrap().unwrap()
    );
    // The validator-set hash is CometBFT's (what block headers carry as validators_hash).
    let set = tendermint::validator::Set::without_proposer(vec![
        tendermint::validator::Info::new(
            tendermint::PublicKey::from_raw_ed25519(&a.pk).unwrap(),
            3u32.into(),
        ),
        tendermint::validator::Info::new(
            tendermint::PublicKey::from_raw_ed25519(&b.pk).unwrap(),
            1u32.into(),
        ),
    ]);
    assert_eq!(cp.validator_set_hash.as_slice(), set.hash().as_bytes());
    assert_eq!(cp.hash(), r.hash);
    cp.verify(Some(&r.hash), None).unwrap();

    // A block proof verifies against the checkpoint; a wrong app hash or height does not.
    let p: BlockProof = app
        .json_query(
            "/proof.checkpoint.v1.Query/BlockProof",
            serde_json::json!({"height": 3}),
        )
        .unwrap();
    assert_eq!(p.app_hash, app.store.app_hash(3).unwrap().unwrap());
    p.checkpoint.verify_block(3, &p.app_hash, &p.proof).unwrap();
    let mut wrong = p.app_hash;
    wrong[0] ^= 1;
    assert!(p.checkpoint.verify_block(3, &wrong, &p.proof).is_err());
    assert!(p.checkpoint.verify_block(2, &p.app_hash, &p.proof).is_err());
    // Block 5 belongs to the next epoch, not yet checkpointed.
    assert!(app
        .json_query::<BlockProof>(
            "/proof.checkpoint.v1.Query/BlockProof",
            serde_json::json!({"height": 5})
        )
        .is_err());

    // Epoch 1 runs from block 5 (t0+5) and closes at t0+10, linking to epoch 0.
    for _ in 6..=10 {
        app.block(vec![]);
    }
    let r1: CheckpointResponse = app
        .json_query(
            "/proof.checkpoint.v1.Query/Checkpoint",
            serde_json::json!({"epoch": 1}),
        )
        .unwrap();
    assert_eq!(
        (r1.checkpoint.start_height, r1.checkpoint.end_height),
        (5, 9)
    );
    assert_eq!(r1.checkpoint.prev_hash, r.hash);
    r1.checkpoint.verify(Some(&r1.hash), Some(cp)).unwrap();
    let p: BlockProof = app
        .json_query(
            "/proof.checkpoint.v1.Query/BlockProof",
            serde_json::json!({"height": 5}),
        )
        .unwrap();
    assert_eq!(p.checkpoint.epoch, 1);
    p.checkpoint.verify_block(5, &p.app_hash, &p.proof).unwrap();
}

#[test]
fn rewards_split_40_40_10_10_to_the_uxyz_and_supply_is_conserved() {
    let (a, b) = (Val::new(), Val::new());
    let alice = PrivateKey::generate(KeyType::Secp256k1);
    let bob = PrivateKey::generate(KeyType::Ed25519);
    let d = PrivateKey::generate(KeyType::Secp256k1);
    let sink = PrivateKey::generate(KeyType::Ed25519).address();
    let accounts = [(&alice, 10 * M), (&bob, 10 * M), (&d, 10 * M)];
    // Emission chosen so every floor division leaves a remainder; halving after 10 s.
    let g = genesis(
        &accounts,
        &[(&a, 3 * M, 1000), (&b, M, 500)],
        epoch_genesis(1_000_003, 10),
    );
    let (mut app, _) = App::with_genesis(&g);
    let genesis_supply = total_supply(&app);
    assert_eq!(genesis_supply, 34 * M);

    // Epoch 0: D delegates 2 XYZ to A (1 fee-paying tx); alice sends twice, bob once.
    let send = |app: &App, k: &PrivateKey| {
        tx(
            app,
            k,
            vec![proof_sdk::msgs::bank_send(
                &k.address(),
                &sink,
                &[Coin::new(1, "uxyz")],
            )],
        )
    };
    let t = tx(
        &app,
        &d,
        vec![smsg::delegate(
            &d.address(),
            &a.addr(),
            &Coin::new(2 * M, "uxyz"),
        )],
    );
    ok(&app.block(vec![t, send(&app, &bob)]));
    ok(&app.block(vec![send(&app, &alice)]));
    ok(&app.block(vec![send(&app, &alice)]));
    app.block(vec![]);
    let watch = [
        alice.address(),
        bob.address(),
        d.address(),
        a.addr(),
        b.addr(),
    ];
    let before: Vec<u128> = watch.iter().map(|w| app.balance(w)).collect();
    let fb = app.block(vec![]); // height 5 = t0+5: checkpoint
    assert!(fb.events.iter().any(|e| e.kind == "checkpoint"));
    let gained: Vec<u128> = watch
        .iter()
        .zip(&before)
        .map(|(w, b)| app.balance(w) - b)
        .collect();
    // E = 1 000 003; fees F = 4 x 5000 = 20 000.
    //   most active (alice, 2 txs): floor(0.4 E) = 400 001
    //   validators: floor(0.4 E) + F = 420 001 over 6 XYZ of stake:
    //     A (5 XYZ): floor(420 001 * 5/6) = 350 000 -> commission 10% 35 000, 315 000 by shares:
    //        A's operator (3 XYZ) 189 000, D (2 XYZ) 126 000
    //     B (1 XYZ): floor(420 001 / 6) = 70 000 -> commission 5% 3 500 + 66 500 self-stake
    //     remainder 1 -> development fund
    //   liquidity: floor(0.1 E) = 100 000
    //   development: E - 400 001 - 400 001 - 100 000 = 100 001, + 1 dust = 100 002
    assert_eq!(gained, vec![400_001, 0, 126_000, 35_000 + 189_000, 70_000]);
    assert_eq!(
        app.balance(&Address::module("liquidity_incentives")),
        100_000
    );
    assert_eq!(app.balance(&Address::module("development_fund")), 100_002);
    assert_eq!(
        400_001 + 126_000 + 224_000 + 70_000 + 100_000 + 100_002,
        1_000_003 + 20_000,
        "paid = emission + fees"
    );
    assert_eq!(
        app.balance(&proof_chain::state::accounts::fee_collector()),
        0
    );
    let r: CheckpointResponse = app
        .json_query(
            "/proof.checkpoint.v1.Query/Checkpoint",
            serde_json::json!({}),
        )
        .unwrap();
    let rw = &r.checkpoint.rewards;
    assert_eq!((rw.emission, rw.fees), (1_000_003, 20_000));
    assert_eq!(
        rw.most_active.as_deref(),
        Some(alice.address().to_string().as_str())
    );
    assert_eq!(
        (
            rw.most_active_amount,
            rw.validators_amount,
            rw.liquidity_amount,
            rw.development_amount
        ),
        (400_001, 400_001, 100_000, 100_002)
    );
    rw.check().unwrap();
    assert_eq!(total_supply(&app), genesis_supply + 1_000_003);

    // Epoch 1 closes at t0+10: one halving period has passed, and with no fee-paying tx the
    // most-active share goes to the development fund.
    for _ in 6..=10 {
        app.block(vec![]);
    }
    let r: CheckpointResponse = app
        .json_query(
            "/proof.checkpoint.v1.Query/Checkpoint",
            serde_json::json!({"epoch": 1}),
        )
        .unwrap();
    let rw = &r.checkpoint.rewards;
    assert_eq!(
        (rw.emission, rw.fees, rw.most_active.clone()),
        (500_001, 0, None)
    );
    rw.check().unwrap();
    assert_eq!(total_supply(&app), genesis_supply + 1_000_003 + 500_001);
}

#[test]
fn fixed_two_cent_fee_is_required_and_paid_to_validators() {
    let a = Val::new();
    let alice = PrivateKey::generate(KeyType::Secp256k1);
    let sink = PrivateKey::generate(KeyType::Ed25519).address();
    let mut g = genesis(
        &[(&alice, 10 * M)],
        &[(&a, 3 * M, 1000)],
        epoch_genesis(0, 1_000_000),
    );
    // XYZ at $0.40: 2 US cents = 0.05 XYZ = 50 000 uxyz, far above the gas minimum (5000).
    g.params.xyz_price_micro_usd = 400_000;
    let (mut app, _) = App::with_genesis(&g);
    let send = |app: &App, fee| {
        tx_fee(
            app,
            &alice,
            vec![proof_sdk::msgs::bank_send(
                &alice.address(),
                &sink,
                &[Coin::new(1, "uxyz")],
            )],
            fee,
        )
    };
    let r = app.check(&send(&app, 49_999));
    assert_eq!(r.code.value(), 13, "{}", r.log);
    assert!(r.log.contains("fixed fee of 50000uxyz"), "{}", r.log);
    let t = send(&app, 50_000);
    assert_eq!(app.check(&t).code.value(), 0);
    ok(&app.block(vec![t]));
    let before = app.balance(&a.addr());
    for _ in 2..=5 {
        app.block(vec![]);
    }
    // No emission configured: the checkpoint pays exactly the fee to the only validator.
    let r: CheckpointResponse = app
        .json_query(
            "/proof.checkpoint.v1.Query/Checkpoint",
            serde_json::json!({}),
        )
        .unwrap();
    assert_eq!(
        (r.checkpoint.rewards.emission, r.checkpoint.rewards.fees),
        (0, 50_000)
    );
    assert_eq!(app.balance(&a.addr()) - before, 50_000);
}

#[test]
fn governance_changes_a_parameter_by_stake_weighted_vote() {
    let (a, b) = (Val::new(), Val::new());
    let (alice, bob) = (
        PrivateKey::generate(KeyType::Secp256k1),
        PrivateKey::generate(KeyType::Secp256k1),
    );
    let mut sp = staking_params(10, 100);
    sp.gov.min_deposit = 1000;
    sp.gov.voting_secs = 5;
    let g = genesis(
        &[(&alice, 10 * M), (&bob, 10 * M)],
        &[(&a, 3 * M, 1000), (&b, 2 * M, 1000)],
        sp,
    );
    let (mut app, _) = App::with_genesis(&g);
    let supply = total_supply(&app);
    // Alice stakes 4 XYZ, Bob 2 XYZ (bonded total 11 XYZ).
    let t1 = tx(
        &app,
        &alice,
        vec![smsg::delegate(
            &alice.address(),
            &a.addr(),
            &Coin::new(4 * M, "uxyz"),
        )],
    );
    let t2 = tx(
        &app,
        &bob,
        vec![smsg::delegate(
            &bob.address(),
            &b.addr(),
            &Coin::new(2 * M, "uxyz"),
        )],
    );
    ok(&app.block(vec![t1, t2]));

    // A change that could never apply is refused at submission.
    let bad = propose(
        &app,
        &bob,
        "typo",
        &[("staking", "max_validatorz", "1")],
        1000,
    );
    let fb = app.block(vec![bad]);
    refused(&fb, "no such parameter");

    // Denoms and the block gas cap are fixed at genesis: governance cannot strand the pools.
    for (space, key) in [
        ("staking", "bond_denom"),
        ("chain", "fee_denom"),
        ("chain", "max_block_gas"),
    ] {
        let fixed = propose(&app, &bob, "fixed", &[(space, key, "\"other\"")], 1000);
        let fb = app.block(vec![fixed]);
        refused(&fb, "fixed at genesis");
    }

    // Proposal 1: max_validators 10 -> 1, with the full deposit: voting starts at once.
    let t = propose(
        &app,
        &bob,
        "one validator",
        &[("staking", "max_validators", "1")],
        1000,
    );
    ok(&app.block(vec![t]));
    let bob_after_deposit = app.balance(&bob.address());
    // Alice (4 XYZ) votes yes, Bob (2 XYZ) no: turnout 6/11 > 33.4%, yes 4/6 > 50%.
    let v1 = vote_on(&app, &alice, 1, proof_sdk::gov::YES);
    let v2 = vote_on(&app, &bob, 1, proof_sdk::gov::NO);
    ok(&app.block(vec![v1, v2]));
    let mut passed_fb = None;
    for _ in 0..6 {
        let fb = app.block(vec![]);
        if fb.events.iter().any(|e| e.kind == "proposal_result") {
            passed_fb = Some(fb);
            break;
        }
    }
    let fb = passed_fb.expect("tallied when the voting period ended");
    let p: serde_json::Value = app
        .json_query("/proof.gov.v1.Query/Proposal", serde_json::json!({"id": 1}))
        .unwrap();
    assert_eq!(p["status"], "Passed");
    assert_eq!(p["tally"][0], serde_json::json!(4 * M));
    assert_eq!(p["tally"][2], serde_json::json!(2 * M));
    // The new parameter takes effect in the same block: B leaves the set.
    assert_eq!(updates(&fb), vec![(b.pk, 0)]);
    let r: QueryParamsResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Params",
            &QueryParamsRequest {},
        )
        .unwrap();
    assert_eq!(r.params.unwrap().max_validators, 1);
    // The deposit came back (Bob paid one 5000 fee for his vote since); supply unchanged.
    assert_eq!(app.balance(&bob.address()), bob_after_deposit - 5000 + 1000);
    assert_eq!(total_supply(&app), supply);
}

#[test]
fn governance_veto_burns_nothing_and_changes_nothing() {
    let a = Val::new();
    let (alice, bob) = (
        PrivateKey::generate(KeyType::Secp256k1),
        PrivateKey::generate(KeyType::Secp256k1),
    );
    let mut sp = staking_params(10, 100);
    sp.gov.min_deposit = 1000;
    sp.gov.voting_secs = 3;
    let g = genesis(
        &[(&alice, 10 * M), (&bob, 10 * M)],
        &[(&a, 3 * M, 1000)],
        sp,
    );
    let (mut app, _) = App::with_genesis(&g);
    let supply = total_supply(&app);
    let t = tx(
        &app,
        &bob,
        vec![smsg::delegate(
            &bob.address(),
            &a.addr(),
            &Coin::new(2 * M, "uxyz"),
        )],
    );
    ok(&app.block(vec![t]));
    // Alice deposits half, then the rest: voting starts only at the minimum.
    let t = propose(
        &app,
        &alice,
        "memo",
        &[("chain", "max_memo_chars", "1")],
        500,
    );
    ok(&app.block(vec![t]));
    let v = vote_on(&app, &bob, 1, proof_sdk::gov::NO_WITH_VETO);
    let fb = app.block(vec![v]);
    refused(&fb, "not in its voting period");
    let t = tx(
        &app,
        &alice,
        vec![proof_sdk::gov::deposit(
            &alice.address(),
            1,
            &Coin::new(500, "uxyz"),
        )],
    );
    ok(&app.block(vec![t]));
    // Bob's 2 XYZ veto is 100% of the turnout (40% of the 5 XYZ bonded: quorum reached).
    let v = vote_on(&app, &bob, 1, proof_sdk::gov::NO_WITH_VETO);
    ok(&app.block(vec![v]));
    for _ in 0..4 {
        app.block(vec![]);
    }
    let p: serde_json::Value = app
        .json_query("/proof.gov.v1.Query/Proposal", serde_json::json!({"id": 1}))
        .unwrap();
    assert_eq!(p["status"], "Rejected");
    assert_eq!(p["tally"][3], serde_json::json!(2 * M));
    let params: proof_chain::state::params::Params = app
        .json_query("/proof.node.v1/Params", serde_json::json!({}))
        .unwrap();
    assert_eq!(params.max_memo_chars, 256, "unchanged");
    // Vetoed deposits go to the development fund, not up in smoke.
    assert_eq!(app.balance(&Address::module("development_fund")), 1000);
    assert_eq!(total_supply(&app), supply);
}

#[test]
fn edit_validator_changes_commission_within_its_limits_once_a_day() {
    let a = Val::new();
    let g = genesis(
        &[(&a.op, 10 * M)],
        &[(&a, 3 * M, 1000)],
        staking_params(10, 100),
    );
    let (mut app, _) = App::with_genesis(&g);
    let query = |app: &App| {
        let r: cosmos_sdk_proto::cosmos::staking::v1beta1::QueryValidatorResponse = app
            .grpc(
                "/cosmos.staking.v1beta1.Query/Validator",
                &cosmos_sdk_proto::cosmos::staking::v1beta1::QueryValidatorRequest {
                    validator_addr: smsg::valoper(&a.addr()),
                },
            )
            .unwrap();
        let v = r.validator.unwrap();
        (
            v.description.unwrap().moniker,
            v.commission.unwrap().commission_rates.unwrap().rate,
            v.min_self_delegation,
        )
    };
    let edit = |app: &App, moniker, rate, min| {
        tx(
            app,
            &a.op,
            vec![smsg::edit_validator(&a.addr(), moniker, rate, min)],
        )
    };
    let day = 24 * 3600;
    let at = |app: &App, secs: u64| time(app.height + 1 + secs);
    let run = |app: &mut App, t: Bytes, when| app.block_with(vec![t], vec![], vec![], when);

    // The moniker may change any time; the commission not within a day of creation.
    let t = edit(&app, Some("renamed"), None, None);
    let w = at(&app, 0);
    ok(&run(&mut app, t, w));
    assert_eq!(query(&app).0, "renamed");
    let t = edit(&app, None, Some(1050), None);
    let w = at(&app, 0);
    let fb = run(&mut app, t, w);
    refused(&fb, "once per 24 hours");

    // A day later: at most max_change (100 bps) at a time, within [min, max_rate].
    let t = edit(&app, None, Some(1200), None);
    let w = at(&app, day);
    let fb = run(&mut app, t, w);
    refused(&fb, "at most 100 bps");
    let t = edit(&app, None, Some(1100), None);
    let w = at(&app, day + 1);
    ok(&run(&mut app, t, w));
    assert_eq!(query(&app).1, smsg::bps_dec(1100));
    // ...and then not again for a day.
    let t = edit(&app, None, Some(1050), None);
    let w = at(&app, day + 2);
    let fb = run(&mut app, t, w);
    refused(&fb, "once per 24 hours");

    // The minimum self-delegation only rises, and never above the operator's own stake.
    for (min, why) in [(1, "only increase"), (3 * M + 1, "self-delegation")] {
        let t = edit(&app, None, None, Some(min));
        let w = at(&app, 3 * day);
        let fb = run(&mut app, t, w);
        refused(&fb, why);
    }
    let t = edit(&app, None, None, Some(2 * M));
    let w = at(&app, 3 * day);
    ok(&run(&mut app, t, w));
    assert_eq!(
        query(&app),
        ("renamed".into(), smsg::bps_dec(1100), (2 * M).to_string())
    );
}
