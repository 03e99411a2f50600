//! `proof tx gov ...` proposals with messages and `proof query gov plan|applied|module-address`
//! against the fake node: the exact gov v1 proposal each command signs, and how the upgrade
//! queries are encoded and printed.

mod common;

use common::tx::{broadcast_msg, decode_msg, funded};
use cosmos_sdk_proto::cosmos::gov::v1::MsgSubmitProposal;
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    MsgCancelUpgrade, MsgSoftwareUpgrade, Plan, QueryAppliedPlanRequest, QueryAppliedPlanResponse,
    QueryCurrentPlanResponse,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgMigrateContract;
use prost::Message;

const PLAN: &str = "/cosmos.upgrade.v1beta1.Query/CurrentPlan";
const APPLIED: &str = "/cosmos.upgrade.v1beta1.Query/AppliedPlan";

fn gov_address() -> String {
    proof_sdk::gov::module_address().to_string()
}

#[test]
fn proposal_commands_sign_gov_v1_proposals_acting_as_the_gov_account() {
    let (env, node, alice, _bob) = funded(|_| {});
    let contract = proof_sdk::Address::from_bytes(&[7u8; 32])
        .unwrap()
        .to_string();
    let propose = |args: &[&str]| {
        node.state.lock().unwrap().broadcast.clear();
        let mut v = args.to_vec();
        v.extend_from_slice(&["--title", "t", "--summary", "s", "--deposit", "1000uxyz"]);
        let r = env.json(&v);
        assert_eq!(r["code"], 0, "{r}");
        let p: MsgSubmitProposal = decode_msg(&broadcast_msg(&node, &alice).0);
        assert_eq!(p.proposer, alice);
        assert_eq!((p.title.as_str(), p.summary.as_str()), ("t", "s"));
        assert_eq!(p.initial_deposit[0].amount, "1000");
        assert_eq!(p.messages.len(), 1);
        p.messages[0].clone()
    };

    let m: MsgMigrateContract = decode_msg(&propose(&[
        "tx",
        "gov",
        "migrate-contract",
        "alice",
        &contract,
        "9",
        r#"{"v":2}"#,
    ]));
    assert_eq!(m.sender, gov_address());
    assert_eq!((m.contract.as_str(), m.code_id), (contract.as_str(), 9));
    assert_eq!(m.msg, br#"{"v":2}"#);

    let m: MsgSoftwareUpgrade = decode_msg(&propose(&[
        "tx",
        "gov",
        "software-upgrade",
        "alice",
        "v2",
        "--height",
        "1234",
        "--info",
        "get it",
    ]));
    assert_eq!(m.authority, gov_address());
    let plan = m.plan.unwrap();
    assert_eq!(
        (plan.name.as_str(), plan.height, plan.info.as_str()),
        ("v2", 1234, "get it")
    );

    let m: MsgCancelUpgrade = decode_msg(&propose(&["tx", "gov", "cancel-upgrade", "alice"]));
    assert_eq!(m.authority, gov_address());

    // A migrate message that is not JSON never reaches the network.
    node.state.lock().unwrap().broadcast.clear();
    let err = env.fails(&[
        "tx",
        "gov",
        "migrate-contract",
        "alice",
        &contract,
        "9",
        "{oops",
        "--title",
        "t",
        "--deposit",
        "1uxyz",
    ]);
    assert!(err.contains("must be JSON"), "{err}");
    assert!(node.state.lock().unwrap().broadcast.is_empty());
}

#[test]
fn upgrade_queries_print_the_plan_and_applied_heights() {
    #[allow(deprecated)]
    let plan = Plan {
        name: "v2".into(),
        time: None,
        height: 120,
        info: "binaries".into(),
        upgraded_client_state: None,
    };
    let (env, node, _alice, _bob) = funded(|st| {
        let resp = QueryCurrentPlanResponse { plan: Some(plan) };
        st.canned
            .insert(PLAN.into(), (0, String::new(), resp.encode_to_vec()));
        let applied = QueryAppliedPlanResponse { height: 77 };
        st.canned
            .insert(APPLIED.into(), (0, String::new(), applied.encode_to_vec()));
    });
    let v = env.json(&["query", "gov", "plan"]);
    assert_eq!(
        v,
        serde_json::json!({"name": "v2", "height": 120, "info": "binaries"})
    );
    let text = env.ok(&["query", "gov", "plan"]);
    assert!(text.contains(r#"upgrade "v2" at height 120"#), "{text}");

    let v = env.json(&["query", "gov", "applied", "v1"]);
    assert_eq!(v, serde_json::json!({"name": "v1", "height": 77}));
    let reqs: Vec<QueryAppliedPlanRequest> = node.state.lock().unwrap().requests_to(APPLIED);
    assert_eq!(reqs.last().unwrap().name, "v1");

    // Nothing scheduled.
    node.state
        .lock()
        .unwrap()
        .canned
        .insert(PLAN.into(), (0, String::new(), vec![]));
    assert_eq!(env.json(&["query", "gov", "plan"]), serde_json::Value::Null);
    assert!(env
        .ok(&["query", "gov", "plan"])
        .contains("no upgrade scheduled"));

    let addr = env.ok(&["query", "gov", "module-address"]);
    assert_eq!(addr.trim(), gov_address());
}
