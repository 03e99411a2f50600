//! Shared test harness: loads contract artifacts and drives one contract over a mock backend.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use proof_vm::testing::{mock_backend, MockQuerier, MockStorage};
use proof_vm::types::{
    parse_contract_result, to_json, BlockInfo, Coin, ContractInfo, Env, MessageInfo, MigrateInfo,
    TransactionInfo,
};
use proof_vm::{CallOptions, Checksum, IbcEntry, Outcome, Vm, VmConfig, VmError};
use serde_json::Value;

pub fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/artifacts")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "contract artifact {} missing ({e}): run `bash contracts/build.sh` first \
             (scripts/test.sh does)",
            path.display()
        )
    })
}

/// One VM shared by the tests of a binary (compiling once per code, like a node).
pub fn shared_vm() -> Arc<Vm> {
    static VM: OnceLock<Arc<Vm>> = OnceLock::new();
    VM.get_or_init(|| Arc::new(Vm::new(VmConfig::default()).expect("vm")))
        .clone()
}

pub fn addr(n: u8) -> String {
    bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("proof").unwrap(), &[n; 20]).unwrap()
}

pub fn contract_addr() -> String {
    bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("proof").unwrap(), &[0xc0; 32]).unwrap()
}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

pub fn env() -> Vec<u8> {
    to_json(&Env {
        block: BlockInfo {
            height: 12_345,
            time: "1700000000000000000".into(),
            chain_id: "proof-test-1".into(),
        },
        transaction: Some(TransactionInfo {
            index: 3,
            hash: None,
        }),
        contract: ContractInfo {
            address: contract_addr(),
        },
    })
}

pub fn info(sender: &str, funds: &[(&str, u128)]) -> Vec<u8> {
    to_json(&MessageInfo {
        sender: sender.to_string(),
        funds: funds
            .iter()
            .map(|(d, a)| Coin {
                denom: d.to_string(),
                amount: a.to_string(),
            })
            .collect(),
    })
}

/// What a call returned, decoded.
#[derive(Debug)]
pub struct Res {
    /// `Ok(Ok(value))`: success; `Ok(Err(msg))`: the contract returned an error;
    /// `Err(vm_error)`: the VM stopped the call.
    pub result: Result<Result<Value, String>, VmError>,
    pub gas_used: u64,
    pub debug: Vec<String>,
}

impl Res {
    pub fn ok(&self) -> &Value {
        match &self.result {
            Ok(Ok(v)) => v,
            other => panic!("expected success, got {other:?}"),
        }
    }
    pub fn contract_err(&self) -> &str {
        match &self.result {
            Ok(Err(e)) => e,
            other => panic!("expected a contract error, got {other:?}"),
        }
    }
    pub fn vm_err(&self) -> &VmError {
        match &self.result {
            Err(e) => e,
            other => panic!("expected a VM error, got {other:?}"),
        }
    }
    /// The value of attribute `key` of a Response.
    pub fn attr(&self, key: &str) -> String {
        let attrs = self.ok()["attributes"].as_array().expect("attributes");
        attrs
            .iter()
            .find(|a| a["key"] == key)
            .unwrap_or_else(|| panic!("no attribute {key} in {attrs:?}"))["value"]
            .as_str()
            .unwrap()
            .to_string()
    }
    /// A query's answer (base64 JSON) decoded.
    pub fn query_json(&self) -> Value {
        let s = self.ok().as_str().expect("binary");
        serde_json::from_slice(&unb64(s)).expect("json")
    }
}

pub struct Harness {
    pub vm: Arc<Vm>,
    pub code: Checksum,
    pub storage: MockStorage,
    pub querier: MockQuerier,
    pub opts: CallOptions,
}

impl Harness {
    pub fn new(name: &str) -> Self {
        Self::with_vm(shared_vm(), name)
    }

    pub fn with_vm(vm: Arc<Vm>, name: &str) -> Self {
        let code = vm.store_code(&artifact(name)).expect("store code");
        Harness {
            vm,
            code,
            storage: MockStorage::default(),
            querier: MockQuerier::default(),
            opts: CallOptions {
                gas_limit: 500_000_000_000,
                capture_debug: true,
            },
        }
    }

    /// Runs a call like the chain does: on any failure its writes are discarded.
    fn run(&self, f: impl FnOnce(&Vm, proof_vm::Backend) -> Outcome) -> Res {
        let snapshot = self.storage.snapshot();
        let out = f(
            &self.vm,
            mock_backend(self.storage.clone(), self.querier.clone()),
        );
        let result = match out.result {
            Ok(bytes) => Ok(parse_contract_result(&bytes).expect("ContractResult JSON")),
            Err(e) => Err(e),
        };
        if !matches!(result, Ok(Ok(_))) {
            self.storage.restore(snapshot);
        }
        Res {
            result,
            gas_used: out.gas_used,
            debug: out.debug,
        }
    }

    pub fn instantiate(&self, sender: &str, msg: Value) -> Res {
        let m = msg.to_string().into_bytes();
        self.run(|vm, b| vm.instantiate(&self.code, b, &env(), &info(sender, &[]), &m, &self.opts))
    }

    pub fn execute(&self, sender: &str, msg: Value) -> Res {
        self.execute_with_funds(sender, &[], msg)
    }

    pub fn execute_with_funds(&self, sender: &str, funds: &[(&str, u128)], msg: Value) -> Res {
        let m = msg.to_string().into_bytes();
        let i = info(sender, funds);
        self.run(|vm, b| vm.execute(&self.code, b, &env(), &i, &m, &self.opts))
    }

    pub fn query(&self, msg: Value) -> Res {
        let m = msg.to_string().into_bytes();
        self.run(|vm, b| vm.query(&self.code, b, &env(), &m, &self.opts))
    }

    pub fn migrate(&self, sender: &str, msg: Value, old_version: Option<u64>) -> Res {
        let m = msg.to_string().into_bytes();
        let mi = to_json(&MigrateInfo {
            sender: sender.to_string(),
            old_migrate_version: old_version,
        });
        self.run(|vm, b| vm.migrate(&self.code, b, &env(), &m, &mi, &self.opts))
    }

    pub fn sudo(&self, msg: Value) -> Res {
        let m = msg.to_string().into_bytes();
        self.run(|vm, b| vm.sudo(&self.code, b, &env(), &m, &self.opts))
    }

    pub fn reply(&self, msg: Value) -> Res {
        let m = msg.to_string().into_bytes();
        self.run(|vm, b| vm.reply(&self.code, b, &env(), &m, &self.opts))
    }

    pub fn ibc(&self, entry: IbcEntry, msg: Value) -> Res {
        let m = msg.to_string().into_bytes();
        self.run(|vm, b| vm.ibc(&self.code, b, entry, &env(), &m, &self.opts))
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.storage.snapshot().get(key).cloned()
    }
}
