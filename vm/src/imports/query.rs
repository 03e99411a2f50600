//! `query_chain`: the contract queries the chain through the backend's querier.

use wasmtime::Linker;

use super::{alloc_write, charge, host_call, limits, read, trap, Ctx, HostCtx};
use crate::error::VmResult;
use crate::gas;

fn query_chain(c: &mut Ctx<'_>, req: u32) -> VmResult<u32> {
    host_call(c)?;
    let request = read(c, req, limits::QUERY_REQUEST)?;
    let gas_left = gas::remaining(c);
    let (answer, used) = c.data().backend.querier.query_raw(&request, gas_left)?;
    charge(c, used)?;
    alloc_write(c, &answer)
}

pub(super) fn register(l: &mut Linker<HostCtx>) {
    l.func_wrap("env", "query_chain", |mut c: Ctx<'_>, r: u32| {
        trap(query_chain(&mut c, r))
    })
    .unwrap();
}
