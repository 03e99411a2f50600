//! A contract built against cosmwasm-std 2.x runs unchanged (2-argument migrate, iterators).

mod common;

use common::*;
use serde_json::json;

#[test]
fn cosmwasm_std_2_contract_runs() {
    let h = Harness::new("legacy");
    assert_eq!(
        h.instantiate(&addr(1), json!({"start": 40})).attr("start"),
        "40"
    );
    let r = h.execute(&addr(2), json!({"increment": {"by": 2}}));
    assert_eq!(r.attr("count"), "42");
    assert_eq!(h.query(json!({"count": {}})).query_json(), 42);
    for text in ["a", "b", "c"] {
        h.execute(&addr(2), json!({"note": {"text": text}})).ok();
    }
    assert_eq!(
        h.query(json!({"notes": {}})).query_json(),
        json!(["c", "b", "a"])
    );
    let r = h.execute(&addr(2), json!({"increment": {"by": u64::MAX}}));
    assert!(r.contract_err().contains("overflow"));
    assert_eq!(h.migrate(&addr(1), json!({}), None).attr("migrated"), "v2");
    let report = proof_vm::validate::analyze(&artifact("legacy"), &Default::default()).unwrap();
    assert!(report.required_capabilities.contains("cosmwasm_2_2"));
    assert!(!report.required_capabilities.contains("cosmwasm_3_0"));
}
