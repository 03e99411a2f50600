//! A block's room for proof verification, shared by its transactions (like the compile budget,
//! but reached from inside contract calls, so it is shared through the contract API: atomics).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Simulations share one node-wide allowance of verification work, refilled with wall-clock time
/// (half a core): simulating is free, so without it RPC callers could make a node verify proofs
/// without end. Simulations are no consensus, so the clock is fine here.
pub const SIMULATION_MICROS_PER_SEC: u64 = 500_000;
/// The allowance never holds more than one proof of the largest circuit.
const SIMULATION_BURST: u64 = 1_200_000;

static SIMULATION_ALLOWANCE: Mutex<Option<(Instant, u64)>> = Mutex::new(None);

/// Takes `weight` from the node's simulation allowance, if it holds that much.
fn take_simulation_allowance(weight: u64) -> bool {
    let mut a = SIMULATION_ALLOWANCE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = Instant::now();
    let (last, level) = a.unwrap_or((now, SIMULATION_BURST));
    let elapsed = u64::try_from(now.duration_since(last).as_micros()).unwrap_or(u64::MAX);
    let refill = elapsed.saturating_mul(SIMULATION_MICROS_PER_SEC) / 1_000_000;
    let level = level.saturating_add(refill).min(SIMULATION_BURST);
    let (level, ok) = match level.checked_sub(weight) {
        Some(l) => (l, true),
        None => (level, false),
    };
    *a = Some((now, level));
    ok
}

/// What a block (or one simulation) may still verify, in measured microseconds.
#[derive(Debug)]
pub struct VerifyRoom {
    left: AtomicU64,
    room: u64,
    /// The step sizes the chain supports in this block (`zk.step_sizes`).
    step_sizes: Vec<u32>,
    /// A simulation's room: it also draws on the node's simulation allowance.
    simulated: bool,
    /// The node's simulation allowance was used up (a simulation only; not a result).
    busy: AtomicBool,
    /// A verification was refused for lack of room since the last [`VerifyRoom::begin_tx`].
    refused: AtomicBool,
    /// This node could not load or derive a key since the last `begin_tx`: not the
    /// transaction's fault, never its result.
    node_failure: Mutex<Option<String>>,
}

/// Why a verification may not take room.
#[derive(Debug, PartialEq, Eq)]
pub enum NoRoom {
    /// Fits an empty block, not what is left of this one.
    BlockFull,
    /// Heavier than any block's room.
    TooCostly,
    /// A simulation found the node's allowance for simulated verification used up.
    NodeBusy,
}

impl VerifyRoom {
    /// The room of a block under `params`.
    pub fn of(params: &super::params::ZkParams) -> Self {
        let mut r = Self::new(params.max_block_verify_micros);
        r.step_sizes = params.step_sizes.clone();
        r
    }

    /// A simulation's room: a block's, and the node's simulation allowance besides.
    pub fn simulation(params: &super::params::ZkParams) -> Self {
        let mut r = Self::of(params);
        r.simulated = true;
        r
    }

    /// Whether a simulation was refused for the node's allowance.
    pub fn node_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// `micros` of room for the default step sizes.
    pub fn new(micros: u64) -> Self {
        VerifyRoom {
            left: AtomicU64::new(micros),
            room: micros,
            step_sizes: super::params::ZkParams::default().step_sizes,
            simulated: false,
            busy: AtomicBool::new(false),
            refused: AtomicBool::new(false),
            node_failure: Mutex::new(None),
        }
    }

    /// Whether step size `k` is one the chain supports.
    pub fn supports(&self, k: u32) -> bool {
        self.step_sizes.contains(&k)
    }

    pub fn left(&self) -> u64 {
        self.left.load(Ordering::SeqCst)
    }

    /// Starts a transaction: forgets what the previous one met.
    pub fn begin_tx(&self) {
        self.refused.store(false, Ordering::SeqCst);
        self.busy.store(false, Ordering::SeqCst);
        *self.lock() = None;
    }

    /// Whether the current transaction was refused room.
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::SeqCst)
    }

    /// Takes `weight` of room. Calls in a block are sequential (one transaction, one call
    /// stack at a time), so load-then-store is not racing anything.
    pub fn take(&self, weight: u64) -> Result<(), NoRoom> {
        // Heavier than any block's room: no later block fits it either, so this is the
        // transaction's failure (paid for), not a reason to leave it for later.
        if weight > self.room {
            return Err(NoRoom::TooCostly);
        }
        let left = self.left();
        if weight > left {
            self.refused.store(true, Ordering::SeqCst);
            return Err(NoRoom::BlockFull);
        }
        if self.simulated && !take_simulation_allowance(weight) {
            self.busy.store(true, Ordering::SeqCst);
            return Err(NoRoom::NodeBusy);
        }
        self.left.store(left - weight, Ordering::SeqCst);
        Ok(())
    }

    pub(super) fn record_node_failure(&self, why: String) {
        self.lock().get_or_insert(why);
    }

    /// A node condition the current transaction met, if any.
    pub fn node_failure(&self) -> Option<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.node_failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_taken_until_it_runs_out_and_refusals_are_remembered_per_tx() {
        let r = VerifyRoom::new(1000);
        assert_eq!(r.take(400), Ok(()));
        assert_eq!(r.take(400), Ok(()));
        assert!(!r.refused());
        assert_eq!(r.take(400), Err(NoRoom::BlockFull));
        assert!(r.refused());
        assert_eq!(r.left(), 200);
        r.begin_tx();
        assert!(!r.refused());
        assert_eq!(r.take(1001), Err(NoRoom::TooCostly));
        assert!(
            !r.refused(),
            "too costly for any block is not a refusal of this one"
        );
        assert_eq!(r.take(200), Ok(()));
        assert_eq!(r.left(), 0);
    }

    #[test]
    fn simulations_draw_on_a_node_wide_allowance() {
        let p = super::super::params::ZkParams::default();
        // the allowance holds one largest proof: a burst of simulations exhausts it
        let mut refused = false;
        for _ in 0..4 {
            let r = VerifyRoom::simulation(&p);
            if r.take(1_200_000) == Err(NoRoom::NodeBusy) {
                assert!(r.node_busy() && !r.refused());
                refused = true;
                break;
            }
        }
        assert!(refused, "back-to-back simulations are limited");
        // a block's room never draws on it
        assert_eq!(VerifyRoom::of(&p).take(1_200_000), Ok(()));
    }
}
