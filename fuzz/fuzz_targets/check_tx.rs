//! `cargo fuzz run check_tx`; without libFuzzer (a plain build) it replays the files it is given.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| proof_fuzz::check_tx(data));

#[cfg(not(fuzzing))]
fn main() {
    proof_fuzz::replay("check_tx", proof_fuzz::check_tx);
}
