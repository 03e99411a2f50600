//! `proof tx staking edit-validator` against the fake node: the message it signs, and that an
//! empty edit never reaches the network.

mod common;

use common::tx::{broadcast_msg, decode_msg, funded};
use cosmos_sdk_proto::cosmos::staking::v1beta1::MsgEditValidator;

#[test]
fn edit_validator_signs_only_the_fields_given() {
    let (env, node, alice, _bob) = funded(|_| {});
    let r = env.json(&[
        "tx",
        "staking",
        "edit-validator",
        "alice",
        "--commission-bps",
        "600",
    ]);
    assert_eq!(r["code"], 0, "{r}");
    let m: MsgEditValidator = decode_msg(&broadcast_msg(&node, &alice).0);
    let op: proof_sdk::Address = alice.parse().unwrap();
    assert_eq!(m.validator_address, proof_sdk::staking::valoper(&op));
    assert_eq!(m.commission_rate, "60000000000000000"); // 0.06 as an 18-decimal Dec
    assert_eq!(m.min_self_delegation, "");
    assert_eq!(m.description.unwrap().moniker, "[do-not-modify]");

    node.state.lock().unwrap().broadcast.clear();
    let err = env.fails(&["tx", "staking", "edit-validator", "alice"]);
    assert!(err.contains("nothing to edit"), "{err}");
    assert!(node.state.lock().unwrap().broadcast.is_empty());
}
