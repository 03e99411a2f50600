//! `proof query wasm ...`: wasmd's `/cosmwasm.wasm.v1.Query/*` gRPC-path ABCI queries.
//!
//! Paginated queries fetch one page (`--limit`, `--page-key`) and print the key of the next one,
//! as wasmd's CLI does.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AccessConfig, AccessType, CodeInfoResponse, ContractCodeHistoryEntry,
    ContractCodeHistoryOperationType, QueryAllContractStateRequest, QueryAllContractStateResponse,
    QueryCodeRequest, QueryCodeResponse, QueryCodesRequest, QueryCodesResponse,
    QueryContractHistoryRequest, QueryContractHistoryResponse, QueryContractInfoRequest,
    QueryContractInfoResponse, QueryContractsByCodeRequest, QueryContractsByCodeResponse,
    QueryRawContractStateRequest, QueryRawContractStateResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use proof_sdk::rpc::RpcClient;
use serde_json::{json, Value};

use crate::output::{fields, table};
use crate::rpc_util::grpc;
use crate::util::parse_address;
use crate::Ctx;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub const PATH_CODE: &str = "/cosmwasm.wasm.v1.Query/Code";
pub const PATH_CODES: &str = "/cosmwasm.wasm.v1.Query/Codes";
pub const PATH_CONTRACT_INFO: &str = "/cosmwasm.wasm.v1.Query/ContractInfo";
pub const PATH_CONTRACT_HISTORY: &str = "/cosmwasm.wasm.v1.Query/ContractHistory";
pub const PATH_CONTRACTS_BY_CODE: &str = "/cosmwasm.wasm.v1.Query/ContractsByCode";
pub const PATH_SMART: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";
pub const PATH_RAW: &str = "/cosmwasm.wasm.v1.Query/RawContractState";
pub const PATH_ALL_STATE: &str = "/cosmwasm.wasm.v1.Query/AllContractState";

#[derive(Subcommand)]
pub enum WasmQuery {
    /// An uploaded code's info (creator, checksum); --save writes the wasm to a file
    Code {
        code_id: u64,
        /// Write the code's wasm bytes to this file
        #[arg(long)]
        save: Option<PathBuf>,
        #[command(flatten)]
        at: AtHeight,
    },
    /// Uploaded codes, one page at a time
    Codes {
        #[command(flatten)]
        page: Page,
        #[command(flatten)]
        at: AtHeight,
    },
    /// A contract's code id, creator, admin and label
    Contract {
        /// Contract address
        address: String,
        #[command(flatten)]
        at: AtHeight,
    },
    /// A contract's code history (instantiate and migrations)
    ContractHistory {
        /// Contract address
        address: String,
        #[command(flatten)]
        page: Page,
        #[command(flatten)]
        at: AtHeight,
    },
    /// Contracts instantiated from a code id
    ListContracts {
        code_id: u64,
        #[command(flatten)]
        page: Page,
        #[command(flatten)]
        at: AtHeight,
    },
    /// The address instance INSTANCE_ID of code CODE_ID gets (wasmd's classic scheme; the
    /// chain counts instances from 1 across all codes). Computed here, no node asked
    ClassicAddress { code_id: u64, instance_id: u64 },
    /// A contract's state: smart queries, raw keys, or all of it
    State {
        #[command(subcommand)]
        cmd: StateQuery,
    },
}

#[derive(Subcommand)]
pub enum StateQuery {
    /// Ask the contract (its `query` entry point) with a JSON message
    Smart {
        /// Contract address
        address: String,
        /// Query message (JSON), e.g. '{"get_count":{}}'
        msg: String,
        #[command(flatten)]
        at: AtHeight,
    },
    /// Read one key of the contract's storage
    Raw {
        /// Contract address
        address: String,
        /// The key, in --encoding (hex by default)
        key: String,
        /// How KEY is written
        #[arg(long, value_enum, default_value_t = KeyEncoding::Hex)]
        encoding: KeyEncoding,
        #[command(flatten)]
        at: AtHeight,
    },
    /// Every key and value of the contract's storage
    All {
        /// Contract address
        address: String,
        #[command(flatten)]
        page: Page,
        #[command(flatten)]
        at: AtHeight,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyEncoding {
    Hex,
    Ascii,
    Base64,
}

#[derive(Args)]
pub struct AtHeight {
    /// Query state at this height instead of the latest
    #[arg(long)]
    height: Option<u64>,
}

#[derive(Args)]
pub struct Page {
    /// Items per page
    #[arg(long, default_value_t = 100)]
    limit: u64,
    /// Start at this key (base64, the `next_key` of the previous page)
    #[arg(long)]
    page_key: Option<String>,
}

impl Page {
    fn request(&self) -> Result<PageRequest> {
        if self.limit == 0 {
            bail!("--limit must be positive");
        }
        let key = match self.page_key.as_deref().map(str::trim) {
            None | Some("") => Vec::new(),
            Some(k) => B64
                .decode(k)
                .context("--page-key must be base64 (the next_key printed by the previous page)")?,
        };
        Ok(PageRequest {
            key,
            limit: self.limit,
            ..Default::default()
        })
    }
}

pub async fn run(ctx: &Ctx, rpc: &RpcClient, cmd: WasmQuery) -> Result<()> {
    match cmd {
        WasmQuery::Code { code_id, save, at } => code(ctx, rpc, code_id, save, at.height).await,
        WasmQuery::Codes { page, at } => codes(ctx, rpc, &page, at.height).await,
        WasmQuery::Contract { address, at } => contract(ctx, rpc, &address, at.height).await,
        WasmQuery::ContractHistory { address, page, at } => {
            history(ctx, rpc, &address, &page, at.height).await
        }
        WasmQuery::ListContracts { code_id, page, at } => {
            list_contracts(ctx, rpc, code_id, &page, at.height).await
        }
        WasmQuery::ClassicAddress {
            code_id,
            instance_id,
        } => {
            let a = proof_sdk::contract_address::classic(code_id, instance_id).to_string();
            ctx.output
                .emit(&serde_json::json!({ "address": a }), || format!("{a}\n"));
            Ok(())
        }
        WasmQuery::State { cmd } => match cmd {
            StateQuery::Smart { address, msg, at } => {
                smart(ctx, rpc, &address, &msg, at.height).await
            }
            StateQuery::Raw {
                address,
                key,
                encoding,
                at,
            } => raw(ctx, rpc, &address, &key, encoding, at.height).await,
            StateQuery::All { address, page, at } => {
                all_state(ctx, rpc, &address, &page, at.height).await
            }
        },
    }
}

fn contract_address(s: &str) -> Result<String> {
    Ok(parse_address(s.trim())
        .context("invalid contract address")?
        .to_string())
}

fn next_key(p: Option<&PageResponse>) -> String {
    p.map(|p| B64.encode(&p.next_key)).unwrap_or_default()
}

/// `next_key: ...` and how to continue, for text output.
fn next_page_text(next: &str) -> String {
    if next.is_empty() {
        String::new()
    } else {
        format!("more: pass --page-key {next}\n")
    }
}

fn access_json(p: Option<&AccessConfig>) -> Value {
    match p {
        None => Value::Null,
        Some(c) => json!({
            "permission": AccessType::try_from(c.permission)
                .map(|t| t.as_str_name().to_string())
                .unwrap_or_else(|_| c.permission.to_string()),
            "addresses": c.addresses,
        }),
    }
}

fn code_info_json(c: &CodeInfoResponse) -> Value {
    json!({
        "code_id": c.code_id.to_string(),
        "creator": c.creator,
        "checksum": hex::encode(&c.data_hash),
        "instantiate_permission": access_json(c.instantiate_permission.as_ref()),
    })
}

async fn code(
    ctx: &Ctx,
    rpc: &RpcClient,
    code_id: u64,
    save: Option<PathBuf>,
    height: Option<u64>,
) -> Result<()> {
    if code_id == 0 {
        bail!("code ids start at 1");
    }
    let (resp, at) =
        grpc::<_, QueryCodeResponse>(rpc, PATH_CODE, &QueryCodeRequest { code_id }, height).await?;
    let info = resp
        .code_info
        .with_context(|| format!("{PATH_CODE}: the reply has no code info"))?;
    if let Some(path) = &save {
        std::fs::write(path, &resp.data)
            .with_context(|| format!("cannot write the wasm to {}", path.display()))?;
    }
    let mut doc = code_info_json(&info);
    doc["height"] = json!(at.to_string());
    doc["wasm_size"] = json!(resp.data.len());
    if let Some(p) = &save {
        doc["saved_to"] = json!(p.display().to_string());
    }
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("code id", info.code_id.to_string()),
            ("creator", info.creator.clone()),
            ("checksum", hex::encode(&info.data_hash)),
            ("wasm size", format!("{} bytes", resp.data.len())),
        ];
        if let Some(p) = &save {
            rows.push(("saved to", p.display().to_string()));
        }
        fields(&rows)
    });
    Ok(())
}

async fn codes(ctx: &Ctx, rpc: &RpcClient, page: &Page, height: Option<u64>) -> Result<()> {
    let req = QueryCodesRequest {
        pagination: Some(page.request()?),
    };
    let (resp, at) = grpc::<_, QueryCodesResponse>(rpc, PATH_CODES, &req, height).await?;
    let next = next_key(resp.pagination.as_ref());
    let doc = json!({
        "height": at.to_string(),
        "code_infos": resp.code_infos.iter().map(code_info_json).collect::<Vec<_>>(),
        "next_key": next,
    });
    ctx.output.emit(&doc, || {
        if resp.code_infos.is_empty() {
            return "no codes\n".into();
        }
        let rows: Vec<Vec<String>> = resp
            .code_infos
            .iter()
            .map(|c| {
                vec![
                    c.code_id.to_string(),
                    hex::encode(&c.data_hash),
                    c.creator.clone(),
                ]
            })
            .collect();
        let mut t = table(&["CODE ID", "CHECKSUM", "CREATOR"], &rows);
        t.push_str(&next_page_text(&next));
        t
    });
    Ok(())
}

async fn contract(ctx: &Ctx, rpc: &RpcClient, address: &str, height: Option<u64>) -> Result<()> {
    let address = contract_address(address)?;
    let req = QueryContractInfoRequest {
        address: address.clone(),
    };
    let (resp, at) =
        grpc::<_, QueryContractInfoResponse>(rpc, PATH_CONTRACT_INFO, &req, height).await?;
    let info = resp
        .contract_info
        .with_context(|| format!("{PATH_CONTRACT_INFO}: the reply has no contract info"))?;
    let created = info.created.as_ref().map(
        |p| json!({"block_height": p.block_height.to_string(), "tx_index": p.tx_index.to_string()}),
    );
    let doc = json!({
        "address": if resp.address.is_empty() { address.clone() } else { resp.address.clone() },
        "height": at.to_string(),
        "code_id": info.code_id.to_string(),
        "creator": info.creator,
        "admin": info.admin,
        "label": info.label,
        "created": created,
        "ibc_port_id": info.ibc_port_id,
    });
    ctx.output.emit(&doc, || {
        let mut rows = vec![
            ("address", address.clone()),
            ("code id", info.code_id.to_string()),
            ("creator", info.creator.clone()),
            (
                "admin",
                if info.admin.is_empty() {
                    "none (immutable)".into()
                } else {
                    info.admin.clone()
                },
            ),
            ("label", info.label.clone()),
        ];
        if let Some(p) = &info.created {
            rows.push((
                "created",
                format!("block {}, tx {}", p.block_height, p.tx_index),
            ));
        }
        fields(&rows)
    });
    Ok(())
}

fn operation_name(op: i32) -> String {
    match ContractCodeHistoryOperationType::try_from(op) {
        Ok(ContractCodeHistoryOperationType::Init) => "init".into(),
        Ok(ContractCodeHistoryOperationType::Migrate) => "migrate".into(),
        Ok(ContractCodeHistoryOperationType::Genesis) => "genesis".into(),
        Ok(ContractCodeHistoryOperationType::Unspecified) => "unspecified".into(),
        Err(_) => op.to_string(),
    }
}

/// A contract message as JSON if it is JSON (it should be), else base64.
fn msg_json(msg: &[u8]) -> Value {
    serde_json::from_slice(msg).unwrap_or_else(|_| Value::String(B64.encode(msg)))
}

fn history_entry_json(e: &ContractCodeHistoryEntry) -> Value {
    json!({
        "operation": operation_name(e.operation),
        "code_id": e.code_id.to_string(),
        "updated": e.updated.as_ref().map(|p| json!({"block_height": p.block_height.to_string(), "tx_index": p.tx_index.to_string()})),
        "msg": msg_json(&e.msg),
    })
}

async fn history(
    ctx: &Ctx,
    rpc: &RpcClient,
    address: &str,
    page: &Page,
    height: Option<u64>,
) -> Result<()> {
    let address = contract_address(address)?;
    let req = QueryContractHistoryRequest {
        address: address.clone(),
        pagination: Some(page.request()?),
    };
    let (resp, at) =
        grpc::<_, QueryContractHistoryResponse>(rpc, PATH_CONTRACT_HISTORY, &req, height).await?;
    let next = next_key(resp.pagination.as_ref());
    let doc = json!({
        "address": address,
        "height": at.to_string(),
        "entries": resp.entries.iter().map(history_entry_json).collect::<Vec<_>>(),
        "next_key": next,
    });
    ctx.output.emit(&doc, || {
        let rows: Vec<Vec<String>> = resp
            .entries
            .iter()
            .map(|e| {
                vec![
                    operation_name(e.operation),
                    e.code_id.to_string(),
                    e.updated
                        .as_ref()
                        .map(|p| p.block_height.to_string())
                        .unwrap_or_default(),
                    msg_json(&e.msg).to_string(),
                ]
            })
            .collect();
        let mut t = table(&["OPERATION", "CODE ID", "HEIGHT", "MSG"], &rows);
        t.push_str(&next_page_text(&next));
        t
    });
    Ok(())
}

async fn list_contracts(
    ctx: &Ctx,
    rpc: &RpcClient,
    code_id: u64,
    page: &Page,
    height: Option<u64>,
) -> Result<()> {
    if code_id == 0 {
        bail!("code ids start at 1");
    }
    let req = QueryContractsByCodeRequest {
        code_id,
        pagination: Some(page.request()?),
    };
    let (resp, at) =
        grpc::<_, QueryContractsByCodeResponse>(rpc, PATH_CONTRACTS_BY_CODE, &req, height).await?;
    let next = next_key(resp.pagination.as_ref());
    let doc = json!({
        "code_id": code_id.to_string(),
        "height": at.to_string(),
        "contracts": resp.contracts,
        "next_key": next,
    });
    ctx.output.emit(&doc, || {
        if resp.contracts.is_empty() {
            return format!("no contracts of code {code_id}\n");
        }
        let mut t: String = resp.contracts.iter().map(|c| format!("{c}\n")).collect();
        t.push_str(&next_page_text(&next));
        t
    });
    Ok(())
}

async fn smart(
    ctx: &Ctx,
    rpc: &RpcClient,
    address: &str,
    msg: &str,
    height: Option<u64>,
) -> Result<()> {
    let address = contract_address(address)?;
    serde_json::from_str::<Value>(msg).with_context(|| {
        format!("the query message is not valid JSON: {msg:?} (quote it for the shell, e.g. '{{\"get_count\":{{}}}}')")
    })?;
    let req = QuerySmartContractStateRequest {
        address,
        query_data: msg.trim().as_bytes().to_vec(),
    };
    let (resp, _) =
        grpc::<_, QuerySmartContractStateResponse>(rpc, PATH_SMART, &req, height).await?;
    let data: Value = serde_json::from_slice(&resp.data)
        .with_context(|| format!("{PATH_SMART}: the contract's answer is not JSON"))?;
    let doc = json!({"data": data});
    ctx.output.emit(&doc, || {
        serde_json::to_string_pretty(&data).unwrap_or_default()
    });
    Ok(())
}

fn decode_key(key: &str, encoding: KeyEncoding) -> Result<Vec<u8>> {
    let bytes = match encoding {
        KeyEncoding::Ascii => key.as_bytes().to_vec(),
        KeyEncoding::Hex => {
            hex::decode(key.trim().trim_start_matches("0x")).with_context(|| {
                format!("key {key:?} is not hex (use --encoding ascii for text keys)")
            })?
        }
        KeyEncoding::Base64 => B64
            .decode(key.trim())
            .with_context(|| format!("key {key:?} is not base64"))?,
    };
    if bytes.is_empty() {
        bail!("the key is empty");
    }
    Ok(bytes)
}

/// A stored value for humans: pretty JSON if it is JSON, UTF-8 text if printable, else base64.
fn value_text(v: &[u8]) -> String {
    if let Ok(j) = serde_json::from_slice::<Value>(v) {
        return j.to_string();
    }
    match std::str::from_utf8(v) {
        Ok(s) if !s.chars().any(char::is_control) => s.to_string(),
        _ => format!("base64:{}", B64.encode(v)),
    }
}

/// A storage key for humans: printable ASCII as is, else hex.
fn key_text(k: &[u8]) -> String {
    if !k.is_empty() && k.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        String::from_utf8_lossy(k).into_owned()
    } else {
        format!("0x{}", hex::encode(k))
    }
}

async fn raw(
    ctx: &Ctx,
    rpc: &RpcClient,
    address: &str,
    key: &str,
    encoding: KeyEncoding,
    height: Option<u64>,
) -> Result<()> {
    let address = contract_address(address)?;
    let key = decode_key(key, encoding)?;
    let req = QueryRawContractStateRequest {
        address,
        query_data: key.clone(),
    };
    let (resp, at) = grpc::<_, QueryRawContractStateResponse>(rpc, PATH_RAW, &req, height).await?;
    let found = !resp.data.is_empty();
    let doc = json!({
        "key_hex": hex::encode(&key),
        "height": at.to_string(),
        "found": found,
        "data": B64.encode(&resp.data),
        "data_json": serde_json::from_slice::<Value>(&resp.data).ok(),
    });
    ctx.output.emit(&doc, || {
        if found {
            value_text(&resp.data)
        } else {
            format!("no value at key {}\n", key_text(&key))
        }
    });
    Ok(())
}

async fn all_state(
    ctx: &Ctx,
    rpc: &RpcClient,
    address: &str,
    page: &Page,
    height: Option<u64>,
) -> Result<()> {
    let address = contract_address(address)?;
    let req = QueryAllContractStateRequest {
        address: address.clone(),
        pagination: Some(page.request()?),
    };
    let (resp, at) =
        grpc::<_, QueryAllContractStateResponse>(rpc, PATH_ALL_STATE, &req, height).await?;
    let next = next_key(resp.pagination.as_ref());
    let models: Vec<Value> = resp
        .models
        .iter()
        .map(|m| {
            json!({
                "key_hex": hex::encode(&m.key),
                "value": B64.encode(&m.value),
                "value_json": serde_json::from_slice::<Value>(&m.value).ok(),
            })
        })
        .collect();
    let doc =
        json!({"address": address, "height": at.to_string(), "models": models, "next_key": next});
    ctx.output.emit(&doc, || {
        if resp.models.is_empty() {
            return "the contract stores nothing\n".into();
        }
        let rows: Vec<Vec<String>> = resp
            .models
            .iter()
            .map(|m| vec![key_text(&m.key), value_text(&m.value)])
            .collect();
        let mut t = table(&["KEY", "VALUE"], &rows);
        t.push_str(&next_page_text(&next));
        t
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_in_each_encoding() {
        assert_eq!(
            decode_key("636f756e74", KeyEncoding::Hex).unwrap(),
            b"count"
        );
        assert_eq!(decode_key("count", KeyEncoding::Ascii).unwrap(), b"count");
        assert_eq!(
            decode_key("Y291bnQ=", KeyEncoding::Base64).unwrap(),
            b"count"
        );
        assert!(decode_key("count", KeyEncoding::Hex).is_err());
        assert!(decode_key("", KeyEncoding::Ascii).is_err());
    }

    #[test]
    fn keys_and_values_print_readably() {
        assert_eq!(key_text(b"state"), "state");
        assert_eq!(key_text(&[0, 5, b'a']), "0x000561");
        assert_eq!(value_text(br#"{"count": 1}"#), r#"{"count":1}"#);
        assert_eq!(value_text(b"plain"), "plain");
        assert_eq!(value_text(&[0xff, 0]), "base64:/wA=");
    }

    #[test]
    fn page_requests() {
        let p = Page {
            limit: 5,
            page_key: Some(B64.encode(b"k")),
        };
        let r = p.request().unwrap();
        assert_eq!((r.limit, r.key), (5, b"k".to_vec()));
        let bad = Page {
            limit: 0,
            page_key: None,
        };
        assert!(bad.request().is_err());
        let bad = Page {
            limit: 1,
            page_key: Some("%%".into()),
        };
        assert!(bad.request().is_err());
    }
}
