//! `addr_*` imports, answered by the backend's [`crate::backend::Api`].

use wasmtime::Linker;

use super::{alloc_write, charge, host_call, limits, read, trap, write, Ctx, HostCtx};
use crate::error::VmResult;

/// 0 on success, else a region with the error message (the contract owns it).
fn answer(c: &mut Ctx<'_>, r: Result<(), String>) -> VmResult<u32> {
    match r {
        Ok(()) => Ok(0),
        Err(msg) => alloc_write(c, msg.as_bytes()),
    }
}

fn human(c: &mut Ctx<'_>, ptr: u32) -> VmResult<Result<String, String>> {
    host_call(c)?;
    let g = c.data().schedule.addr;
    charge(c, g)?;
    let bytes = read(c, ptr, limits::HUMAN_ADDRESS)?;
    Ok(String::from_utf8(bytes).map_err(|_| "Input is not valid UTF-8".to_string()))
}

fn addr_validate(c: &mut Ctx<'_>, src: u32) -> VmResult<u32> {
    let r = human(c, src)?.and_then(|h| c.data().backend.api.addr_validate(&h));
    answer(c, r)
}

fn addr_canonicalize(c: &mut Ctx<'_>, src: u32, dest: u32) -> VmResult<u32> {
    let r = human(c, src)?.and_then(|h| c.data().backend.api.addr_canonicalize(&h));
    match r {
        Ok(canonical) => write(c, dest, &canonical).map(|_| 0),
        Err(e) => answer(c, Err(e)),
    }
}

fn addr_humanize(c: &mut Ctx<'_>, src: u32, dest: u32) -> VmResult<u32> {
    host_call(c)?;
    let g = c.data().schedule.addr;
    charge(c, g)?;
    let canonical = read(c, src, limits::CANONICAL_ADDRESS)?;
    match c.data().backend.api.addr_humanize(&canonical) {
        Ok(h) => write(c, dest, h.as_bytes()).map(|_| 0),
        Err(e) => answer(c, Err(e)),
    }
}

pub(super) fn register(l: &mut Linker<HostCtx>) {
    l.func_wrap("env", "addr_validate", |mut c: Ctx<'_>, s: u32| {
        trap(addr_validate(&mut c, s))
    })
    .unwrap();
    l.func_wrap(
        "env",
        "addr_canonicalize",
        |mut c: Ctx<'_>, s: u32, d: u32| trap(addr_canonicalize(&mut c, s, d)),
    )
    .unwrap();
    l.func_wrap("env", "addr_humanize", |mut c: Ctx<'_>, s: u32, d: u32| {
        trap(addr_humanize(&mut c, s, d))
    })
    .unwrap();
}
