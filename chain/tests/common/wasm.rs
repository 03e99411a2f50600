//! Helpers of the wasm tests: users that sign, contract artifacts, message builders, queries.

use std::io::Write;
use std::path::PathBuf;

use bytes::Bytes;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgInstantiateContract, MsgStoreCode, QueryContractInfoRequest, QueryContractInfoResponse,
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmos_sdk_proto::Any;
use proof_chain::state::params::Params;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint::abci::types::ExecTxResult;

use super::{App, CHAIN};

pub fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/artifacts")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "contract artifact {} missing ({e}): run `bash contracts/build.sh` first",
            path.display()
        )
    })
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub struct User {
    pub key: PrivateKey,
    pub num: u64,
    pub seq: u64,
}

impl User {
    pub fn addr(&self) -> Address {
        self.key.address()
    }
    /// Signs `msgs` with `gas` and the minimum fee, bumping the local sequence.
    pub fn tx(&mut self, msgs: Vec<Any>, gas: u64) -> Vec<u8> {
        let fee = fee(gas);
        let tx = sign_tx(
            msgs,
            &[Signer {
                key: &self.key,
                account_number: self.num,
                sequence: self.seq,
            }],
            &TxParams {
                gas_limit: gas,
                fee: vec![Coin::new(fee, "uxyz")],
                include_pubkey: true,
                ..Default::default()
            },
            CHAIN,
        );
        self.seq += 1;
        tx
    }
}

pub fn fee(gas: u64) -> u128 {
    proof_sdk::tx::min_gas_fee(gas)
}

pub fn setup() -> (App, User, User) {
    let a = PrivateKey::generate(KeyType::Ed25519);
    let b = PrivateKey::generate(KeyType::Secp256k1);
    let params = Params {
        max_tx_bytes: 2 * 1024 * 1024,
        ..Default::default()
    };
    let app = App::with_params(&[(&a, 1_000_000_000_000), (&b, 1_000_000_000)], params);
    let na = app.account(&a.address()).unwrap().account_number;
    let nb = app.account(&b.address()).unwrap().account_number;
    (
        app,
        User {
            key: a,
            num: na,
            seq: 0,
        },
        User {
            key: b,
            num: nb,
            seq: 0,
        },
    )
}

/// Runs one tx in its own block and returns its result (it must pass CheckTx).
pub fn run(app: &mut App, tx: Vec<u8>) -> ExecTxResult {
    let c = app.check(&tx);
    assert!(c.code.is_ok(), "CheckTx rejected: {}", c.log);
    let mut fb = app.block(vec![Bytes::from(tx)]);
    fb.tx_results.remove(0)
}

pub fn attr(r: &ExecTxResult, kind: &str, key: &str) -> Option<String> {
    r.events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_str().ok() == Some(key))
        .map(|a| a.value_str().unwrap().to_string())
}

/// The compile weight the chain charges an upload of `wasm` (and takes from a block's room).
pub fn compile_weight(wasm: &[u8]) -> u64 {
    proof_vm::Vm::new(Default::default())
        .unwrap()
        .analyze(wasm)
        .unwrap()
        .compile_weight
}

pub fn store_msg(sender: &Address, wasm: Vec<u8>) -> Any {
    msgs::to_any(&MsgStoreCode {
        sender: sender.to_string(),
        wasm_byte_code: wasm,
        instantiate_permission: None,
    })
}

pub fn instantiate_msg(sender: &Address, code_id: u64, msg: Value, funds: &[Coin]) -> Any {
    msgs::to_any(&MsgInstantiateContract {
        sender: sender.to_string(),
        admin: String::new(),
        code_id,
        label: "test".into(),
        msg: msg.to_string().into_bytes(),
        funds: funds.iter().map(Coin::to_proto).collect(),
    })
}

pub fn execute_msg(sender: &Address, contract: &Address, msg: Value, funds: &[Coin]) -> Any {
    msgs::wasm_execute(sender, contract, msg.to_string().into_bytes(), funds)
}

pub fn smart(app: &App, contract: &Address, q: Value) -> Result<Value, (u32, String)> {
    let r: QuerySmartContractStateResponse = app.grpc(
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        &QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: q.to_string().into_bytes(),
        },
    )?;
    Ok(serde_json::from_slice(&r.data).unwrap())
}

pub fn token_balance(app: &App, contract: &Address, who: &Address) -> u128 {
    let v = smart(
        app,
        contract,
        json!({"balance": {"address": who.to_string()}}),
    )
    .unwrap();
    v["balance"].as_str().unwrap().parse().unwrap()
}

/// `MsgInstantiateContract` of `code_id` with `msg`, an optional admin and no funds.
pub fn instantiate_with_admin(
    sender: &Address,
    admin: Option<&Address>,
    code_id: u64,
    msg: Value,
) -> Any {
    msgs::to_any(&MsgInstantiateContract {
        sender: sender.to_string(),
        admin: admin.map(ToString::to_string).unwrap_or_default(),
        code_id,
        label: "lifecycle".into(),
        msg: msg.to_string().into_bytes(),
        funds: vec![],
    })
}

/// The address of the contract an instantiate tx created.
pub fn contract_of(r: &ExecTxResult) -> Address {
    attr(r, "instantiate", "_contract_address")
        .expect("instantiate event")
        .parse()
        .unwrap()
}

/// The tester contract's value under `key` (its `get` query).
pub fn get(app: &App, contract: &Address, key: &str) -> Option<String> {
    let v = smart(app, contract, json!({"get": {"key": key}})).unwrap();
    v.as_str().map(str::to_string)
}

/// Uploads `name` (gzipped) and returns its code id.
pub fn upload(app: &mut App, who: &mut User, name: &str) -> u64 {
    let wasm = artifact(name);
    let tx = who.tx(vec![store_msg(&who.addr(), gzip(&wasm))], 40_000_000);
    let r = run(app, tx);
    assert!(r.code.is_ok(), "store code failed: {}", r.log);
    assert_eq!(
        attr(&r, "store_code", "code_checksum").unwrap(),
        hex::encode(Sha256::digest(&wasm))
    );
    attr(&r, "store_code", "code_id").unwrap().parse().unwrap()
}

pub fn instantiate_token(app: &mut App, a: &mut User) -> Address {
    let code_id = upload(app, a, "token");
    let init = json!({"name": "Token", "symbol": "TOK", "decimals": 6,
        "initial_balances": [{"address": a.addr().to_string(), "amount": "1000"}], "minter": null});
    let tx = a.tx(
        vec![instantiate_msg(&a.addr(), code_id, init, &[])],
        2_000_000,
    );
    let r = run(app, tx);
    assert!(r.code.is_ok(), "instantiate failed: {}", r.log);
    let addr = contract_of(&r);
    assert_eq!(
        attr(&r, "instantiate", "code_id").unwrap(),
        code_id.to_string()
    );
    assert_eq!(attr(&r, "wasm", "action").unwrap(), "instantiate");
    addr
}

pub fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn unb64(s: &Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().unwrap())
        .unwrap()
}

/// A contract's code id and admin (empty if none), from the ContractInfo query.
pub fn code_and_admin(app: &App, contract: &Address) -> (u64, String) {
    let r: QueryContractInfoResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            &QueryContractInfoRequest {
                address: contract.to_string(),
            },
        )
        .unwrap();
    let info = r.contract_info.unwrap();
    (info.code_id, info.admin)
}
