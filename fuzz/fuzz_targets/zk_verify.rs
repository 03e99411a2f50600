//! `cargo fuzz run zk_verify`; without libFuzzer (a plain build) it replays the files it is given.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| proof_fuzz::zk_verify(data));

#[cfg(not(fuzzing))]
fn main() {
    proof_fuzz::replay("zk_verify", proof_fuzz::zk_verify);
}
