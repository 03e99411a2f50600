//! Helpers of the transaction-command tests: a client home with funded keys against the mock
//! node, and the one transaction the command broadcast, decoded and signature-checked.

use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use cosmos_sdk_proto::Any;
use proof_sdk::tx::sign_doc_bytes;
use proof_sdk::PublicKey;
use prost::{Message, Name};

use super::mock::{MockNode, State};
use super::Env;

pub fn key(env: &Env, name: &str, kind: &str) -> String {
    env.json(&["keys", "add", name, "--key-type", kind])["address"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A client home with a funded key `alice` (account 7, sequence 3) and a key `bob`, and a mock
/// node prepared by `setup`.
pub fn funded(setup: impl FnOnce(&mut State)) -> (Env, MockNode, String, String) {
    let env = Env::new();
    let alice = key(&env, "alice", "hybrid");
    let bob = key(&env, "bob", "ed25519");
    let mut st = State::default();
    st.accounts.insert(alice.clone(), (7, 3));
    setup(&mut st);
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };
    (env, node, alice, bob)
}

/// The one broadcast tx: checks its signature (chain mock-1, account 7, sequence 3, signed by
/// `from`) and returns its single message, body and fee.
pub fn broadcast_msg(node: &MockNode, from: &str) -> (Any, TxBody, AuthInfo) {
    let txs = node.state.lock().unwrap().broadcast.clone();
    assert_eq!(txs.len(), 1, "exactly one tx broadcast");
    let raw = TxRaw::decode(txs[0].as_slice()).unwrap();
    let body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    assert_eq!(auth.signer_infos.len(), 1);
    assert_eq!(auth.signer_infos[0].sequence, 3);
    let pk = PublicKey::from_any(auth.signer_infos[0].public_key.as_ref().unwrap()).unwrap();
    assert_eq!(pk.address().to_string(), from);
    pk.verify(
        &sign_doc_bytes(&raw.body_bytes, &raw.auth_info_bytes, "mock-1", 7),
        &raw.signatures[0],
    )
    .expect("signed for mock-1, account 7");
    assert_eq!(body.messages.len(), 1);
    (body.messages[0].clone(), body, auth)
}

pub fn decode_msg<M: Message + Name + Default>(any: &Any) -> M {
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}
