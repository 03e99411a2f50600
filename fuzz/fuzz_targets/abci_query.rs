//! `cargo fuzz run abci_query`; without libFuzzer (a plain build) it replays the files it is given.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| proof_fuzz::abci_query(data));

#[cfg(not(fuzzing))]
fn main() {
    proof_fuzz::replay("abci_query", proof_fuzz::abci_query);
}
