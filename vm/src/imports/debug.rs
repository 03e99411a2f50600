//! `debug` (log a message; costs the same whether or not anyone listens) and `abort` (the
//! contract panicked: the call fails with the message).

use wasmtime::Linker;

use super::{host_call, limits, read, trap, Ctx, HostCtx};
use crate::error::{VmError, VmResult};

fn debug(c: &mut Ctx<'_>, ptr: u32) -> VmResult<()> {
    host_call(c)?;
    let msg = read(c, ptr, limits::DEBUG)?;
    let msg = String::from_utf8_lossy(&msg).into_owned();
    tracing::debug!(target: "proof_vm::contract", "{msg}");
    if let Some(log) = c.data_mut().debug_log.as_mut() {
        log.push(msg);
    }
    Ok(())
}

fn abort(c: &mut Ctx<'_>, ptr: u32) -> VmResult<()> {
    host_call(c)?;
    let msg = read(c, ptr, limits::ABORT)?;
    Err(VmError::Aborted(String::from_utf8_lossy(&msg).into_owned()))
}

pub(super) fn register(l: &mut Linker<HostCtx>) {
    l.func_wrap("env", "debug", |mut c: Ctx<'_>, p: u32| {
        trap(debug(&mut c, p))
    })
    .unwrap();
    l.func_wrap("env", "abort", |mut c: Ctx<'_>, p: u32| {
        trap(abort(&mut c, p))
    })
    .unwrap();
}
