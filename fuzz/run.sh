#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with cargo-fuzz (libFuzzer):
#
#   fuzz/run.sh TARGET [SECONDS] [libFuzzer args...]      # e.g. fuzz/run.sh check_tx 600
#
# Targets: check_tx, abci_query, wasm_upload, zk_verify (fuzz/src/lib.rs says what each checks).
# Builds the targets once with nightly Rust and `--cfg fuzzing` (its own target dir: the
# instrumented build shares nothing with the normal one), starts the corpus fuzz/corpus/TARGET
# from the target's seeds, and runs until SECONDS (default 300) pass. A failing input lands in
# fuzz/artifacts/TARGET/; copy it into fuzz/regressions/TARGET/ so the test suite replays it
# forever (fuzz/tests/corpus.rs), fix the bug, and record it in RELIABILITY.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer args...]}"
secs="${2:-300}"
shift $(( $# < 2 ? $# : 2 ))
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
export PROOF_ZK_PARAMS="${PROOF_ZK_PARAMS:-${CARGO_TARGET_DIR:-$PWD/target}/tmp/proof-zk-params}"
corpus="fuzz/corpus/$target"
if [[ ! -d "$corpus" ]]; then
  cargo run --quiet -p proof-fuzz --bin "$target" -- --write-seeds "$corpus"
fi
fuzz_target_dir="${FUZZ_TARGET_DIR:-$(dirname "${CARGO_TARGET_DIR:-$PWD/target}")/target-fuzz}"
CARGO_TARGET_DIR="$fuzz_target_dir" cargo +nightly fuzz run --sanitizer none --fuzz-dir fuzz \
  "$target" "$corpus" -- -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=8192 "$@"
