//! Running one VM call against the transaction's state: the backends (direct on this thread for
//! a top-level call, a channel to this thread for nested calls run on a helper thread), the host
//! serving them, and the conversions around a call (gas, errors, coins, events).

use std::sync::mpsc;

use cosmos_sdk_proto::cosmwasm::wasm::v1::CodeInfo;
use proof_sdk::{Address, Coin};
use proof_vm::backend::{BackendResult, Record};
use proof_vm::types as vmt;
use proof_vm::{Backend, BackendError, CallOptions, Checksum, Order, Outcome, Querier};
use proof_vm::{Storage, Vm, VmError};
use tendermint::abci::{Event, EventAttributeIndexExt};

use super::keys;
use crate::modules::wasm::context::{
    werr, WasmCtx, ITER_NEXT_FLAT, RESOURCE_RETRIES, VM_GAS_PER_SDK_GAS,
};
use crate::modules::wasm::contracts as wasm;
use crate::state::gas::{GasMeter, READ_FLAT, READ_PER_BYTE};
use crate::state::{merge, pending_range, Metered, Order as StateOrder, WrittenIter};
use crate::tx::TxError;

enum Req {
    Get(Vec<u8>, mpsc::Sender<BackendResult<Option<Vec<u8>>>>),
    Set(Vec<u8>, Vec<u8>, mpsc::Sender<BackendResult<()>>),
    Remove(Vec<u8>, mpsc::Sender<BackendResult<()>>),
    Scan(
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Order,
        mpsc::Sender<BackendResult<u32>>,
    ),
    Next(u32, mpsc::Sender<BackendResult<Option<Record>>>),
    Query(Vec<u8>, u64, mpsc::Sender<BackendResult<(Vec<u8>, u64)>>),
}

fn gone() -> BackendError {
    BackendError::Other("host is gone".into())
}

struct ChanStorage(mpsc::Sender<Req>);
struct ChanQuerier(mpsc::Sender<Req>);

impl Storage for ChanStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        ask_r(&self.0, |s| Req::Get(key.to_vec(), s))
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        ask_r(&self.0, |s| Req::Set(key.to_vec(), value.to_vec(), s))
    }
    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        ask_r(&self.0, |s| Req::Remove(key.to_vec(), s))
    }
    fn scan(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<Box<dyn Iterator<Item = BackendResult<Record>> + Send>> {
        let id = ask_r(&self.0, |s| {
            Req::Scan(start.map(<[u8]>::to_vec), end.map(<[u8]>::to_vec), order, s)
        })?;
        let tx = self.0.clone();
        Ok(Box::new(std::iter::from_fn(move || {
            ask_r(&tx, |s| Req::Next(id, s)).transpose()
        })))
    }
}

impl Querier for ChanQuerier {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)> {
        ask_r(&self.0, |s| Req::Query(request.to_vec(), gas_limit, s))
    }
}

fn ask_r<T>(
    tx: &mpsc::Sender<Req>,
    make: impl FnOnce(mpsc::Sender<BackendResult<T>>) -> Req,
) -> BackendResult<T> {
    let (s, r) = mpsc::channel();
    tx.send(make(s)).map_err(|_| gone())?;
    r.recv().map_err(|_| gone())?
}

/// Serves one call's requests against `kv`.
pub(super) struct Host<'c, 'v> {
    pub(super) ctx: &'c WasmCtx<'v>,
    prefix: Vec<u8>,
    pub(super) depth: u32,
    /// Set when a nested call hit `VmError::Resource`: the whole call then reports `Resource`
    /// (a node condition) instead of whatever the contract made of the failed query.
    pub(super) resource: std::cell::RefCell<Option<String>>,
}

impl Host<'_, '_> {
    /// A state access that failed, as the VM's backend error. Anything but running out of gas
    /// is this node's storage failing (or corrupt): the call then reports `Resource`, a node
    /// condition, whatever the contract made of the error.
    pub(super) fn state_err(&self, e: crate::state::StateError) -> BackendError {
        match e {
            crate::state::StateError::OutOfGas(_) => BackendError::OutOfGas,
            other => {
                let msg = format!("state: {other}");
                self.resource.borrow_mut().get_or_insert(msg.clone());
                BackendError::Other(msg)
            }
        }
    }
}

impl Host<'_, '_> {
    fn key(&self, k: &[u8]) -> Vec<u8> {
        [self.prefix.as_slice(), k].concat()
    }
}

/// An iterator a contract opened with `db_scan`, kept on the host side and advanced one record
/// per `db_next`: nothing is read (or paid for) before the contract asks for it.
struct OpenScan<'a> {
    records: WrittenIter<'a>,
    /// Length of the contract's store prefix, cut off the keys handed back.
    prefix_len: usize,
}

impl<'a> OpenScan<'a> {
    /// Opens `[start, end)` of the contract's store over `kv`. The iterator is a snapshot, as the
    /// VM promises: the layers below `kv` do not change during a call, and the call's own
    /// pending writes in the range are copied (and paid for) now.
    fn open(
        host: &Host<'_, '_>,
        kv: &mut Metered<'a, '_>,
        prefix: &[u8],
        start: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
        order: Order,
    ) -> BackendResult<Self> {
        let lo = [prefix, start.as_deref().unwrap_or_default()].concat();
        let hi = match &end {
            Some(e) => Some([prefix, e].concat()),
            None => crate::state::prefix_end(prefix),
        };
        kv.gas
            .charge(READ_FLAT + READ_PER_BYTE * lo.len() as u64)
            .map_err(|_| BackendError::OutOfGas)?;
        let order = match order {
            Order::Ascending => StateOrder::Ascending,
            Order::Descending => StateOrder::Descending,
        };
        let mut own = Vec::new();
        for (k, v) in pending_range(kv.delta.writes(), &lo, hi.as_deref(), order) {
            let bytes = k.len() + v.as_ref().map_or(0, Vec::len);
            kv.gas
                .charge(ITER_NEXT_FLAT + READ_PER_BYTE * bytes as u64)
                .map_err(|_| BackendError::OutOfGas)?;
            own.push((k.clone(), v.clone()));
        }
        let below = kv
            .delta
            .parent()
            .range_written(&lo, hi.as_deref(), order)
            .map_err(|e| host.state_err(e))?;
        Ok(OpenScan {
            records: merge(below, Box::new(own.into_iter()), order),
            prefix_len: prefix.len(),
        })
    }

    /// The next record, charged per record as it is produced (the SDK's iterator price), and
    /// per pending deletion stepped over on the way: crossing those is work too.
    fn next(&mut self, host: &Host<'_, '_>, gas: &mut GasMeter) -> BackendResult<Option<Record>> {
        loop {
            let step = self
                .records
                .next()
                .transpose()
                .map_err(|e| host.state_err(e))?;
            let (cost, record) = match step {
                None => (ITER_NEXT_FLAT, None),
                Some((k, None)) => (ITER_NEXT_FLAT + READ_PER_BYTE * k.len() as u64, Some(None)),
                Some((k, Some(v))) => (
                    ITER_NEXT_FLAT + READ_PER_BYTE * (k.len() + v.len()) as u64,
                    Some(Some((k, v))),
                ),
            };
            gas.charge(cost).map_err(|_| BackendError::OutOfGas)?;
            match record {
                None => return Ok(None),
                Some(None) => continue,
                Some(Some((k, v))) => return Ok(Some((k[self.prefix_len..].to_vec(), v))),
            }
        }
    }
}

/// What a call's backend asks of its host, answered against the transaction's state.
struct Serving<'h, 'c, 'v, 'k, 'a, 'm> {
    host: &'h Host<'c, 'v>,
    kv: &'k mut Metered<'a, 'm>,
    /// Requests answered so far: a call that made none can be retried as if it never ran.
    served: u64,
    /// The call's open iterators, by the id the VM holds.
    scans: Vec<OpenScan<'a>>,
}

trait Ops {
    fn get(&mut self, key: &[u8]) -> BackendResult<Option<Vec<u8>>>;
    fn set(&mut self, key: &[u8], value: Vec<u8>) -> BackendResult<()>;
    fn remove(&mut self, key: &[u8]) -> BackendResult<()>;
    fn scan(
        &mut self,
        start: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
        order: Order,
    ) -> BackendResult<u32>;
    fn next(&mut self, id: u32) -> BackendResult<Option<Record>>;
    fn query(&mut self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)>;
}

impl Ops for Serving<'_, '_, '_, '_, '_, '_> {
    fn get(&mut self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        self.served += 1;
        self.kv
            .get(&self.host.key(key))
            .map_err(|e| self.host.state_err(e))
    }
    fn set(&mut self, key: &[u8], value: Vec<u8>) -> BackendResult<()> {
        self.served += 1;
        self.kv
            .put(self.host.key(key), value)
            .map_err(|e| self.host.state_err(e))
    }
    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.served += 1;
        self.kv
            .delete(self.host.key(key))
            .map_err(|e| self.host.state_err(e))
    }
    fn scan(
        &mut self,
        start: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
        order: Order,
    ) -> BackendResult<u32> {
        self.served += 1;
        let scan = OpenScan::open(self.host, self.kv, &self.host.prefix, start, end, order)?;
        self.scans.push(scan);
        Ok((self.scans.len() - 1) as u32)
    }
    fn next(&mut self, id: u32) -> BackendResult<Option<Record>> {
        self.served += 1;
        let scan = self
            .scans
            .get_mut(id as usize)
            .ok_or_else(|| BackendError::Other(format!("unknown iterator {id}")))?;
        scan.next(self.host, self.kv.gas)
    }
    fn query(&mut self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)> {
        self.served += 1;
        self.host.query(self.kv, request, gas_limit)
    }
}

/// Answers one channel request (a send fails only if the call thread is gone: nothing to do).
fn serve(ops: &mut dyn Ops, req: Req) {
    match req {
        Req::Get(k, reply) => {
            let _ = reply.send(ops.get(&k));
        }
        Req::Set(k, v, reply) => {
            let _ = reply.send(ops.set(&k, v));
        }
        Req::Remove(k, reply) => {
            let _ = reply.send(ops.remove(&k));
        }
        Req::Scan(start, end, order, reply) => {
            let _ = reply.send(ops.scan(start, end, order));
        }
        Req::Next(id, reply) => {
            let _ = reply.send(ops.next(id));
        }
        Req::Query(request, gas_limit, reply) => {
            let _ = reply.send(ops.query(&request, gas_limit));
        }
    }
}

/// The backend of a call that runs on this very thread: storage and querier reach the
/// [`Serving`] in `call_contract`'s frame through a raw pointer, with no thread or channel in
/// between (a transfer's handful of storage accesses cost ~2 context switches each otherwise).
#[derive(Clone, Copy)]
struct Direct(*mut (dyn Ops + 'static));

// SAFETY: a `Direct` is only used by the VM call it was made for, which runs synchronously on
// the thread that made it and drops its backend before returning; the pointee lives in that
// thread's `call_contract` frame, which outlives the call. It is never touched concurrently:
// the VM makes one backend request at a time.
unsafe impl Send for Direct {}

impl Direct {
    #[allow(clippy::mut_from_ref)]
    fn ops(&self) -> &mut dyn Ops {
        // SAFETY: see the `Send` impl: the pointee is alive and not otherwise borrowed while the
        // VM, blocked in this backend request, waits for the answer.
        unsafe { &mut *self.0 }
    }
}

impl Storage for Direct {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        self.ops().get(key)
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.ops().set(key, value.to_vec())
    }
    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.ops().remove(key)
    }
    fn scan(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<Box<dyn Iterator<Item = BackendResult<Record>> + Send>> {
        let id = self
            .ops()
            .scan(start.map(<[u8]>::to_vec), end.map(<[u8]>::to_vec), order)?;
        let direct = *self;
        Ok(Box::new(std::iter::from_fn(move || {
            direct.ops().next(id).transpose()
        })))
    }
}

impl Querier for Direct {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)> {
        self.ops().query(request, gas_limit)
    }
}

/// Runs one VM call against `kv`: a top-level call on this thread, a nested one on a helper
/// thread served from this one. Retries a call refused for lack of instance slots (it did
/// nothing yet); `Resource` after the retries is returned as is and must not become a
/// transaction result.
pub(super) fn call_contract<F>(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    checksum: &Checksum,
    depth: u32,
    vm_gas_limit: u64,
    f: F,
) -> (Result<Vec<u8>, VmError>, u64)
where
    F: Fn(&Vm, Backend, &CallOptions) -> Outcome + Sync,
{
    if ctx
        .compile
        .is_some_and(|b| b.uncompiled.borrow().contains(checksum))
    {
        let e = format!("code {checksum} was uploaded in this simulation and is not compiled: simulate its calls after the upload is in a block");
        return (Err(VmError::Instantiation(e)), 0);
    }
    if let Err(e) = ensure_code(kv, ctx.vm, checksum) {
        return (Err(e), 0);
    }
    let host = Host {
        ctx,
        prefix: keys::wasm_store_prefix(contract),
        depth,
        resource: std::cell::RefCell::new(None),
    };
    let opts = CallOptions {
        gas_limit: vm_gas_limit,
        capture_debug: false,
    };
    let mut attempt = 0;
    loop {
        let mut serving = Serving {
            host: &host,
            kv: &mut *kv,
            served: 0,
            scans: Vec::new(),
        };
        let out = if depth == 0 {
            call_here(ctx, &mut serving, &f, &opts)
        } else {
            call_on_helper_thread(ctx, &mut serving, &f, &opts)
        };
        let served = serving.served;
        let out = match host.resource.borrow_mut().take() {
            Some(r) => (Err(VmError::Resource(r)), out.1),
            None => out,
        };
        match out {
            // Only a call that touched nothing yet can be retried as if it never happened.
            (Err(VmError::Resource(_)), _) if served == 0 && attempt < RESOURCE_RETRIES => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
            }
            other => return other,
        }
    }
}

/// A top-level call, on this thread. Nested calls (depth > 0) run deeper in this thread's
/// stack, so they go to a helper thread with its own stack instead.
fn call_here<F>(
    ctx: &WasmCtx<'_>,
    serving: &mut Serving<'_, '_, '_, '_, '_, '_>,
    f: &F,
    opts: &CallOptions,
) -> (Result<Vec<u8>, VmError>, u64)
where
    F: Fn(&Vm, Backend, &CallOptions) -> Outcome + Sync,
{
    let ops: *mut (dyn Ops + '_) = serving;
    // SAFETY: only the lifetime is erased; `Direct` documents why the pointer stays valid.
    let ops: *mut (dyn Ops + 'static) = unsafe { std::mem::transmute(ops) };
    let backend = Backend {
        storage: Box::new(Direct(ops)),
        api: ctx.api.clone(),
        querier: Box::new(Direct(ops)),
    };
    let o = f(ctx.vm, backend, opts);
    (o.result, o.gas_used)
}

/// A nested call on a helper thread whose backend is a channel served from this thread.
fn call_on_helper_thread<F>(
    ctx: &WasmCtx<'_>,
    serving: &mut Serving<'_, '_, '_, '_, '_, '_>,
    f: &F,
    opts: &CallOptions,
) -> (Result<Vec<u8>, VmError>, u64)
where
    F: Fn(&Vm, Backend, &CallOptions) -> Outcome + Sync,
{
    let (tx, rx) = mpsc::channel::<Req>();
    let backend = Backend {
        storage: Box::new(ChanStorage(tx.clone())),
        api: ctx.api.clone(),
        querier: Box::new(ChanQuerier(tx)),
    };
    let vm = ctx.vm;
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("wasm-call".into())
            .stack_size(8 << 20)
            .spawn_scoped(s, move || {
                let o = f(vm, backend, opts);
                (o.result, o.gas_used)
            });
        let handle = match handle {
            Ok(h) => h,
            Err(e) => return (Err(VmError::Resource(format!("spawn: {e}"))), 0),
        };
        // Ends when the call drops its backend (both senders).
        for req in rx.iter() {
            serve(serving, req);
        }
        handle
            .join()
            .unwrap_or_else(|_| (Err(VmError::Trap("call thread panicked".into())), 0))
    })
}

/// Makes sure the VM has `checksum` compiled, re-compiling from the wasm kept in state if its
/// cache lost it (new cache dir, state sync). Any failure here is this node's condition (a lost
/// cache it cannot rebuild, a full disk), never the contract's: it is reported as
/// `VmError::Resource`, which no node records as a transaction result.
pub(super) fn ensure_code(
    kv: &Metered<'_, '_>,
    vm: &Vm,
    checksum: &Checksum,
) -> Result<(), VmError> {
    let node = |e: String| VmError::Resource(format!("code {checksum}: {e}"));
    match vm.cache().get(checksum) {
        Ok(_) => Ok(()),
        Err(VmError::CodeNotFound(_)) => {
            let wasm = wasm::code_bytes(&kv.delta, &checksum.0)
                .map_err(|e| node(e.to_string()))?
                .ok_or_else(|| node("wasm missing from state".into()))?;
            vm.store_code(&wasm)
                .map(|_| ())
                .map_err(|e| node(format!("cannot recompile: {e}")))
        }
        Err(e) => Err(node(e.to_string())),
    }
}

/// The checksum a code's info records.
pub(super) fn checksum_of(info: &CodeInfo, code_id: u64) -> Result<Checksum, TxError> {
    let bytes: [u8; 32] = info
        .code_hash
        .as_slice()
        .try_into()
        .map_err(|_| TxError::Internal(format!("code {code_id} has a malformed checksum")))?;
    Ok(Checksum(bytes))
}

pub(super) fn code_checksum(kv: &mut Metered<'_, '_>, code_id: u64) -> Result<Checksum, TxError> {
    let info =
        wasm::code_info(kv, code_id)?.ok_or_else(|| werr(8, format!("no such code: {code_id}")))?;
    checksum_of(&info, code_id)
}

/// Maps a failed call to a tx error. `code` is the module error for a contract failure.
pub(super) fn vm_failure(e: VmError, code: u32, what: &str) -> TxError {
    match e {
        VmError::OutOfGas | VmError::Backend(BackendError::OutOfGas) => {
            TxError::OutOfGas(format!("{what}: out of gas in the contract"))
        }
        // The node's cache, not the contract: never a recorded result.
        VmError::Resource(r) | VmError::Cache(r) => TxError::NodeResource(r),
        VmError::CodeNotFound(c) => TxError::NodeResource(format!("compiled code {c} missing")),
        other => werr(code, format!("{what} failed: {other}")),
    }
}

/// Remaining chain gas as a VM gas limit.
pub(super) fn vm_limit(gas: &GasMeter) -> u64 {
    gas.limit()
        .saturating_sub(gas.used())
        .saturating_mul(VM_GAS_PER_SDK_GAS)
}

/// Charges a call's VM gas (rounded up) to the chain meter.
pub(super) fn charge_vm_gas(gas: &mut GasMeter, vm_gas: u64) -> Result<(), TxError> {
    gas.charge(vm_gas.div_ceil(VM_GAS_PER_SDK_GAS))
        .map_err(|g| {
            TxError::OutOfGas(format!(
                "charging the contract's VM gas: gas limit {}, needed at least {}",
                g.limit, g.wanted
            ))
        })
}

pub(super) fn vm_coins(coins: &[Coin]) -> Vec<vmt::Coin> {
    coins
        .iter()
        .map(|c| vmt::Coin {
            denom: c.denom.clone(),
            amount: c.amount.to_string(),
        })
        .collect()
}

pub(super) fn contract_event(kind: &str, contract: &Address, attrs: &[(String, String)]) -> Event {
    let addr = contract.to_string();
    let mut all = vec![("_contract_address", addr.as_str()).index()];
    all.extend(
        attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()).no_index()),
    );
    Event::new(kind, all)
}
