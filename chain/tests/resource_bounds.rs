//! Work and memory a transaction can cost a node before it has paid, measured with a counting
//! allocator (this binary's global allocator): a CheckTx of a 1 MiB transaction made of gzip
//! bombs (a thousand uploads, each inflating to the 800 KB limit) must not inflate any of them.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::wasm::*;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak heap above the current level while `f` runs.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

#[test]
fn checktx_of_a_gzip_bomb_transaction_inflates_nothing() {
    let (app, mut a, _b) = setup();
    let bomb = gzip(&vec![0u8; 800 * 1024]);
    let n = (960 * 1024) / (bomb.len() + 96);
    let msgs: Vec<_> = (0..n).map(|_| store_msg(&a.addr(), bomb.clone())).collect();
    let tx = a.tx(msgs, 40_000_000);
    assert!(tx.len() <= 1024 * 1024, "{} bytes", tx.len());
    // Valid signature: admitted (it pays when it runs); each bomb would be 800 KB inflated.
    let (r, peak) = peak_during(|| app.check(&tx));
    assert_eq!(r.code.value(), 0, "{}", r.log);
    assert!(
        peak < 32 << 20,
        "CheckTx of {n} gzipped uploads allocated {} MB at its peak",
        peak >> 20
    );
    // A bad signature is refused just as cheaply.
    let mut bad = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(tx.as_slice()).unwrap();
    bad.signatures[0][5] ^= 1;
    let bad = prost::Message::encode_to_vec(&bad);
    let (r, peak) = peak_during(|| app.check(&bad));
    assert_ne!(r.code.value(), 0, "{}", r.log);
    assert!(peak < 32 << 20, "{} MB", peak >> 20);
}

use prost::Message as _;
