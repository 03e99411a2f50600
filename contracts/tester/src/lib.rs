//! `tester`: a contract that exercises every import and entry point of the CosmWasm ABI, for the
//! proof-vm tests. Queries return JSON so the tests can assert on exactly what the host answered.

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, CanonicalAddr, Deps, DepsMut, Env, HashFunction,
    Ibc2PacketAckMsg, Ibc2PacketReceiveMsg, Ibc2PacketSendMsg, Ibc2PacketTimeoutMsg,
    IbcBasicResponse, IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcChannelOpenResponse, IbcDestinationCallbackMsg, IbcPacketAckMsg, IbcPacketReceiveMsg,
    IbcPacketTimeoutMsg, IbcReceiveResponse, IbcSourceCallbackMsg, MessageInfo, MigrateInfo, Order,
    Reply, Response, StdError, StdResult, SubMsg,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct InstantiateMsg {
    pub greeting: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Set {
        key: String,
        value: String,
    },
    Remove {
        key: String,
    },
    /// Writes `count` keys `prefix-00000`.. with value = key.
    Fill {
        prefix: String,
        count: u32,
    },
    /// Removes the keys `Fill` wrote.
    Drain {
        prefix: String,
        count: u32,
    },
    /// Counts the keys in `[start, end)` and stores the count under `into`: a scan inside a
    /// transaction, which sees the block's pending writes.
    Count {
        start: Option<String>,
        end: Option<String>,
        into: String,
    },
    Debug {
        msg: String,
    },
    Panic {
        msg: String,
    },
    Fail {
        msg: String,
    },
    /// Writes a key, then fails: the caller must discard the write.
    SetThenFail {
        key: String,
    },
    /// Reads the key the host put behind a query and stores it (query_chain in an execute).
    Echo {
        data: String,
    },
    /// Sets `mark` (if given) to "1", then sends these submessages: for the chain's dispatch,
    /// reply and rollback tests.
    Dispatch {
        mark: Option<String>,
        msgs: Vec<SubMsg>,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    Get {
        key: String,
    },
    Range {
        start: Option<String>,
        end: Option<String>,
        desc: bool,
        mode: String,
        skip: u32,
    },
    AddrValidate {
        addr: String,
    },
    AddrCanonicalize {
        addr: String,
    },
    AddrHumanize {
        canonical: Binary,
    },
    Secp256k1Verify {
        hash: Binary,
        sig: Binary,
        pubkey: Binary,
    },
    Secp256k1Recover {
        hash: Binary,
        sig: Binary,
        param: u8,
    },
    Secp256r1Verify {
        hash: Binary,
        sig: Binary,
        pubkey: Binary,
    },
    Secp256r1Recover {
        hash: Binary,
        sig: Binary,
        param: u8,
    },
    Ed25519Verify {
        msg: Binary,
        sig: Binary,
        pubkey: Binary,
    },
    Ed25519BatchVerify {
        msgs: Vec<Binary>,
        sigs: Vec<Binary>,
        pubkeys: Vec<Binary>,
    },
    BlsAggregateG1 {
        points: Binary,
    },
    BlsAggregateG2 {
        points: Binary,
    },
    BlsPairingEquality {
        ps: Binary,
        qs: Binary,
        r: Binary,
        s: Binary,
    },
    BlsHashToG1 {
        msg: Binary,
        dst: Binary,
    },
    BlsHashToG2 {
        msg: Binary,
        dst: Binary,
    },
    MldsaVerify {
        msg: Binary,
        sig: Binary,
        pubkey: Binary,
    },
    HybridVerify {
        msg: Binary,
        sig: Binary,
        pubkey: Binary,
    },
    Raw {
        request: Binary,
    },
    Env {},
}

/// What every crypto query returns: `ok` holds the result, `err` the error text.
#[derive(Serialize, Deserialize)]
pub struct Outcome {
    pub ok: Option<Binary>,
    pub err: Option<String>,
}

fn outcome<T: Into<Binary>, E: ToString>(r: Result<T, E>) -> StdResult<Binary> {
    let o = match r {
        Ok(v) => Outcome {
            ok: Some(v.into()),
            err: None,
        },
        Err(e) => Outcome {
            ok: None,
            err: Some(e.to_string()),
        },
    };
    to_json_binary(&o)
}

fn flag(b: bool) -> Binary {
    Binary::from(vec![b as u8])
}

// Proof chain extension imports (documented in vm/CONTRACTS.md).
extern "C" {
    fn proof_mldsa65_verify(msg_ptr: u32, sig_ptr: u32, pubkey_ptr: u32) -> u32;
    fn proof_hybrid_verify(msg_ptr: u32, sig_ptr: u32, pubkey_ptr: u32) -> u32;
}

/// The Region layout of the ABI.
#[repr(C)]
struct Region {
    offset: u32,
    capacity: u32,
    length: u32,
}

fn region(data: &[u8]) -> Region {
    Region {
        offset: data.as_ptr() as u32,
        capacity: data.len() as u32,
        length: data.len() as u32,
    }
}

fn pq_verify(
    f: unsafe extern "C" fn(u32, u32, u32) -> u32,
    msg: &[u8],
    sig: &[u8],
    pk: &[u8],
) -> Result<Binary, String> {
    let (m, s, p) = (region(msg), region(sig), region(pk));
    let code = unsafe {
        f(
            &m as *const Region as u32,
            &s as *const Region as u32,
            &p as *const Region as u32,
        )
    };
    match code {
        0 => Ok(flag(true)),
        1 => Ok(flag(false)),
        c => Err(format!("error code {c}")),
    }
}

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    deps.storage.set(b"greeting", msg.greeting.as_bytes());
    deps.storage.set(b"creator", info.sender.as_bytes());
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("contract", env.contract.address)
        .add_attribute("height", env.block.height.to_string()))
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Set { key, value } => {
            deps.storage.set(key.as_bytes(), value.as_bytes());
            Ok(Response::new().add_attribute("set", key))
        }
        ExecuteMsg::Remove { key } => {
            deps.storage.remove(key.as_bytes());
            Ok(Response::new().add_attribute("removed", key))
        }
        ExecuteMsg::Fill { prefix, count } => {
            for i in 0..count {
                let k = format!("{prefix}-{i:05}");
                deps.storage.set(k.as_bytes(), k.as_bytes());
            }
            Ok(Response::new())
        }
        ExecuteMsg::Drain { prefix, count } => {
            for i in 0..count {
                deps.storage.remove(format!("{prefix}-{i:05}").as_bytes());
            }
            Ok(Response::new())
        }
        ExecuteMsg::Count { start, end, into } => {
            let n = deps
                .storage
                .range_keys(
                    start.as_deref().map(str::as_bytes),
                    end.as_deref().map(str::as_bytes),
                    Order::Ascending,
                )
                .count();
            deps.storage.set(into.as_bytes(), n.to_string().as_bytes());
            Ok(Response::new().add_attribute("count", n.to_string()))
        }
        ExecuteMsg::Debug { msg } => {
            deps.api.debug(&msg);
            Ok(Response::new())
        }
        ExecuteMsg::Panic { msg } => panic!("{}", msg),
        ExecuteMsg::Fail { msg } => Err(StdError::msg(msg)),
        ExecuteMsg::SetThenFail { key } => {
            deps.storage.set(key.as_bytes(), b"x");
            Err(StdError::msg("failed after write"))
        }
        ExecuteMsg::Echo { data } => {
            let funds = info
                .funds
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(",");
            Ok(Response::new()
                .set_data(data.into_bytes())
                .add_attribute("funds", funds))
        }
        ExecuteMsg::Dispatch { mark, msgs } => {
            if let Some(key) = mark {
                deps.storage.set(key.as_bytes(), b"1");
            }
            Ok(Response::new().add_submessages(msgs))
        }
    }
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    let api = deps.api;
    match msg {
        QueryMsg::Get { key } => to_json_binary(
            &deps
                .storage
                .get(key.as_bytes())
                .map(|v| String::from_utf8(v).unwrap()),
        ),
        QueryMsg::Range {
            start,
            end,
            desc,
            mode,
            skip,
        } => {
            let order = if desc {
                Order::Descending
            } else {
                Order::Ascending
            };
            let (s, e) = (
                start.as_deref().map(str::as_bytes),
                end.as_deref().map(str::as_bytes),
            );
            let s2 = |v: Vec<u8>| String::from_utf8(v).unwrap();
            let out: Vec<String> = match mode.as_str() {
                "keys" => deps
                    .storage
                    .range_keys(s, e, order)
                    .skip(skip as usize)
                    .map(s2)
                    .collect(),
                "values" => deps
                    .storage
                    .range_values(s, e, order)
                    .skip(skip as usize)
                    .map(s2)
                    .collect(),
                _ => deps
                    .storage
                    .range(s, e, order)
                    .skip(skip as usize)
                    .map(|(k, v)| format!("{}={}", s2(k), s2(v)))
                    .collect(),
            };
            to_json_binary(&out)
        }
        QueryMsg::AddrValidate { addr } => {
            outcome(api.addr_validate(&addr).map(|a| Binary::from(a.as_bytes())))
        }
        QueryMsg::AddrCanonicalize { addr } => outcome(
            api.addr_canonicalize(&addr)
                .map(|c| Binary::from(c.as_slice())),
        ),
        QueryMsg::AddrHumanize { canonical } => outcome(
            api.addr_humanize(&CanonicalAddr::from(canonical))
                .map(|a| Binary::from(a.as_bytes())),
        ),
        QueryMsg::Secp256k1Verify { hash, sig, pubkey } => {
            outcome(api.secp256k1_verify(&hash, &sig, &pubkey).map(flag))
        }
        QueryMsg::Secp256k1Recover { hash, sig, param } => {
            outcome(api.secp256k1_recover_pubkey(&hash, &sig, param))
        }
        QueryMsg::Secp256r1Verify { hash, sig, pubkey } => {
            outcome(api.secp256r1_verify(&hash, &sig, &pubkey).map(flag))
        }
        QueryMsg::Secp256r1Recover { hash, sig, param } => {
            outcome(api.secp256r1_recover_pubkey(&hash, &sig, param))
        }
        QueryMsg::Ed25519Verify { msg, sig, pubkey } => {
            outcome(api.ed25519_verify(&msg, &sig, &pubkey).map(flag))
        }
        QueryMsg::Ed25519BatchVerify {
            msgs,
            sigs,
            pubkeys,
        } => {
            let m: Vec<&[u8]> = msgs.iter().map(|b| b.as_slice()).collect();
            let s: Vec<&[u8]> = sigs.iter().map(|b| b.as_slice()).collect();
            let p: Vec<&[u8]> = pubkeys.iter().map(|b| b.as_slice()).collect();
            outcome(api.ed25519_batch_verify(&m, &s, &p).map(flag))
        }
        QueryMsg::BlsAggregateG1 { points } => outcome(
            api.bls12_381_aggregate_g1(&points)
                .map(|p| Binary::from(p.to_vec())),
        ),
        QueryMsg::BlsAggregateG2 { points } => outcome(
            api.bls12_381_aggregate_g2(&points)
                .map(|p| Binary::from(p.to_vec())),
        ),
        QueryMsg::BlsPairingEquality { ps, qs, r, s } => {
            outcome(api.bls12_381_pairing_equality(&ps, &qs, &r, &s).map(flag))
        }
        QueryMsg::BlsHashToG1 { msg, dst } => outcome(
            api.bls12_381_hash_to_g1(HashFunction::Sha256, &msg, &dst)
                .map(|p| Binary::from(p.to_vec())),
        ),
        QueryMsg::BlsHashToG2 { msg, dst } => outcome(
            api.bls12_381_hash_to_g2(HashFunction::Sha256, &msg, &dst)
                .map(|p| Binary::from(p.to_vec())),
        ),
        QueryMsg::MldsaVerify { msg, sig, pubkey } => {
            outcome(pq_verify(proof_mldsa65_verify, &msg, &sig, &pubkey))
        }
        QueryMsg::HybridVerify { msg, sig, pubkey } => {
            outcome(pq_verify(proof_hybrid_verify, &msg, &sig, &pubkey))
        }
        QueryMsg::Raw { request } => {
            let r = deps.querier.raw_query(&request);
            to_json_binary(&r)
        }
        QueryMsg::Env {} => to_json_binary(&env),
    }
}

#[derive(Serialize, Deserialize)]
pub struct MigrateMsg {
    pub new_greeting: String,
}

#[entry_point]
pub fn migrate(
    deps: DepsMut,
    _env: Env,
    msg: MigrateMsg,
    info: MigrateInfo,
) -> StdResult<Response> {
    deps.storage.set(b"greeting", msg.new_greeting.as_bytes());
    let old = info
        .old_migrate_version
        .map(|v| v.to_string())
        .unwrap_or_default();
    Ok(Response::new()
        .add_attribute("migrated_by", info.sender)
        .add_attribute("old_version", old))
}

#[entry_point]
pub fn sudo(deps: DepsMut, _env: Env, msg: Binary) -> StdResult<Response> {
    deps.storage.set(b"sudo", &msg);
    Ok(Response::new().add_attribute("sudo", "called"))
}

#[entry_point]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> StdResult<Response> {
    deps.storage.set(b"reply", msg.id.to_string().as_bytes());
    // What the chain reported, for the dispatch tests to inspect.
    let result = cosmwasm_std::to_json_vec(&msg.result)?;
    deps.storage
        .set(format!("reply/{}", msg.id).as_bytes(), &result);
    deps.storage.set(
        format!("reply/{}/gas", msg.id).as_bytes(),
        msg.gas_used.to_string().as_bytes(),
    );
    let resp = Response::new().add_attribute("reply_id", msg.id.to_string());
    match msg.payload.as_slice() {
        b"fail" => Err(StdError::msg("reply refused on purpose")),
        b"data" => Ok(resp.set_data(b"from-reply".to_vec())),
        // A reply chain: each reply sends another submessage that fails at once (a send to a
        // malformed address) and asks for this reply again, so only the chain's call-depth
        // limit ends it.
        b"chain" => Ok(resp.add_submessage(
            SubMsg::reply_on_error(
                cosmwasm_std::BankMsg::Send {
                    to_address: "not-an-address".into(),
                    amount: cosmwasm_std::coins(1, "uxyz"),
                },
                msg.id + 1,
            )
            .with_payload(b"chain".to_vec()),
        )),
        _ => Ok(resp),
    }
}

fn mark(deps: DepsMut, name: &str) -> StdResult<IbcBasicResponse> {
    deps.storage.set(format!("ibc/{name}").as_bytes(), b"1");
    Ok(IbcBasicResponse::new().add_attribute("entry", name))
}

#[entry_point]
pub fn ibc_channel_open(
    _deps: DepsMut,
    _env: Env,
    msg: IbcChannelOpenMsg,
) -> StdResult<IbcChannelOpenResponse> {
    if msg.channel().version != "tester-1" {
        return Err(StdError::msg("bad version"));
    }
    Ok(None)
}

#[entry_point]
pub fn ibc_channel_connect(
    deps: DepsMut,
    _env: Env,
    _msg: IbcChannelConnectMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "channel_connect")
}

#[entry_point]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    _msg: IbcChannelCloseMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "channel_close")
}

#[entry_point]
pub fn ibc_packet_receive(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketReceiveMsg,
) -> StdResult<IbcReceiveResponse> {
    deps.storage.set(b"ibc/packet_receive", &msg.packet.data);
    Ok(IbcReceiveResponse::new(b"ack".to_vec()).add_attribute("entry", "packet_receive"))
}

#[entry_point]
pub fn ibc_packet_ack(
    deps: DepsMut,
    _env: Env,
    _msg: IbcPacketAckMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "packet_ack")
}

#[entry_point]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    _env: Env,
    _msg: IbcPacketTimeoutMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "packet_timeout")
}

#[entry_point]
pub fn ibc_source_callback(
    deps: DepsMut,
    _env: Env,
    _msg: IbcSourceCallbackMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "source_callback")
}

#[entry_point]
pub fn ibc_destination_callback(
    deps: DepsMut,
    _env: Env,
    _msg: IbcDestinationCallbackMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "destination_callback")
}

#[entry_point]
pub fn ibc2_packet_receive(
    deps: DepsMut,
    _env: Env,
    msg: Ibc2PacketReceiveMsg,
) -> StdResult<IbcReceiveResponse> {
    deps.storage
        .set(b"ibc/ibc2_packet_receive", &msg.payload.value);
    Ok(IbcReceiveResponse::new(b"ack2".to_vec()).add_attribute("entry", "ibc2_packet_receive"))
}

#[entry_point]
pub fn ibc2_packet_ack(
    deps: DepsMut,
    _env: Env,
    _msg: Ibc2PacketAckMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "ibc2_packet_ack")
}

#[entry_point]
pub fn ibc2_packet_timeout(
    deps: DepsMut,
    _env: Env,
    _msg: Ibc2PacketTimeoutMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "ibc2_packet_timeout")
}

#[entry_point]
pub fn ibc2_packet_send(
    deps: DepsMut,
    _env: Env,
    _msg: Ibc2PacketSendMsg,
) -> StdResult<IbcBasicResponse> {
    mark(deps, "ibc2_packet_send")
}
