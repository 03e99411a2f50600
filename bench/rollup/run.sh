#!/usr/bin/env bash
# Rollup operator benchmarks (issue 15): builds proof-rollup-bench in release and runs it under the
# shared cargo lock (no other build or benchmark at the same time).
# Usage: bench/rollup/run.sh ingest [--accounts N] [--transfers N] [--clients N]
#        bench/rollup/run.sh prove [--k K] [--batch B] [--workers 1,2,4] [--batches-per-worker N] [--params DIR]
# Parameters are cached in DIR (default $PROOF_ZK_PARAMS or $CARGO_TARGET_DIR/tmp/proof-zk-params,
# where the tests keep theirs).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
LOCK=/tmp/proof-cargo.lock
flock "$LOCK" cargo build --release -p proof-rollup-bench
args=("$@")
if [[ "${1:-}" == prove ]] && [[ " $* " != *" --params "* ]]; then
  args+=("--params" "${PROOF_ZK_PARAMS:-$CARGO_TARGET_DIR/tmp/proof-zk-params}")
fi
flock "$LOCK" "$CARGO_TARGET_DIR/release/proof-rollup-bench" "${args[@]}"
