//! `cargo fuzz run wasm_upload`; without libFuzzer (a plain build) it replays the files it is given.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| proof_fuzz::wasm_upload(data));

#[cfg(not(fuzzing))]
fn main() {
    proof_fuzz::replay("wasm_upload", proof_fuzz::wasm_upload);
}
