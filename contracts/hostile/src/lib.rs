//! `hostile`: a contract that tries to hurt the host. Every message must end cleanly (out of gas,
//! a trap, or an error) within bounded time.

use std::hint::black_box;

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Never returns.
    InfiniteLoop {},
    /// Allocates and touches 1 MiB blocks until memory runs out.
    MemoryBomb {},
    /// Recursion `depth` deep (each frame keeps a buffer alive).
    Recurse { depth: u64 },
    /// One allocation of `bytes`.
    HugeAlloc { bytes: u64 },
    /// `memory.fill` of `len` bytes, `times` times (u64::MAX: forever).
    FillLoop { len: u32, times: u64 },
    /// `memory.copy` of `len` bytes, forever.
    CopyLoop { len: u32 },
    /// Writes storage in a loop forever.
    StorageLoop {},
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    /// `a op b` on f64 bit patterns; returns the result's bits (NaNs must be canonical).
    Float { a: u64, b: u64, op: String },
    /// f32 sqrt of a bit pattern.
    Sqrt32 { a: u32 },
}

#[entry_point]
pub fn instantiate(
    _deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    _msg: Binary,
) -> StdResult<Response> {
    Ok(Response::new())
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let buf = black_box([depth as u8; 64]);
    if depth == 0 {
        return buf[0] as u64;
    }
    recurse(black_box(depth - 1)).wrapping_add(buf[3] as u64)
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    match msg {
        ExecuteMsg::InfiniteLoop {} => {
            let mut i: u64 = 0;
            loop {
                i = black_box(i.wrapping_add(1));
            }
        }
        ExecuteMsg::MemoryBomb {} => {
            let mut blocks: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut b = vec![0u8; 1 << 20];
                b[black_box(12345)] = 1;
                blocks.push(black_box(b));
            }
        }
        ExecuteMsg::Recurse { depth } => {
            let r = recurse(depth);
            Ok(Response::new().add_attribute("r", r.to_string()))
        }
        ExecuteMsg::HugeAlloc { bytes } => {
            let v = black_box(vec![1u8; bytes as usize]);
            Ok(Response::new().add_attribute("len", v.len().to_string()))
        }
        ExecuteMsg::FillLoop { len, times } => {
            let mut buf = vec![0u8; len as usize];
            let mut i = 0u64;
            while i < times {
                unsafe {
                    core::ptr::write_bytes(
                        black_box(buf.as_mut_ptr()),
                        i as u8,
                        black_box(len as usize),
                    )
                };
                black_box(&buf);
                i += 1;
            }
            Ok(Response::new().add_attribute("filled", times.to_string()))
        }
        ExecuteMsg::CopyLoop { len } => {
            let src = vec![7u8; len as usize];
            let mut dst = vec![0u8; len as usize];
            loop {
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        black_box(src.as_ptr()),
                        black_box(dst.as_mut_ptr()),
                        black_box(len as usize),
                    )
                };
                black_box(&dst);
            }
        }
        ExecuteMsg::StorageLoop {} => {
            let mut i = 0u64;
            loop {
                deps.storage.set(&i.to_be_bytes(), b"spam");
                i += 1;
            }
        }
    }
}

#[entry_point]
pub fn query(_deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Float { a, b, op } => {
            let (a, b) = (f64::from_bits(black_box(a)), f64::from_bits(black_box(b)));
            let r = match op.as_str() {
                "add" => a + b,
                "sub" => a - b,
                "mul" => a * b,
                "div" => a / b,
                _ => a.sqrt(),
            };
            to_json_binary(&black_box(r).to_bits())
        }
        QueryMsg::Sqrt32 { a } => {
            to_json_binary(&black_box(f32::from_bits(black_box(a))).sqrt().to_bits())
        }
    }
}
