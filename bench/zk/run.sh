#!/usr/bin/env bash
# ZK rollup benchmark (issue 5): builds zk-bench in release and runs it under the shared cargo lock.
# Usage: bench/zk/run.sh [--k OPS_PER_STEP] [--transfers N] [--params DIR]
# Parameters are cached in DIR (default $PROOF_ZK_PARAMS or $CARGO_TARGET_DIR/proof-zk-params).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
LOCK=/tmp/proof-cargo.lock
params=("--params" "${PROOF_ZK_PARAMS:-$CARGO_TARGET_DIR/proof-zk-params}")
for a in "$@"; do [ "$a" = "--params" ] && params=(); done
flock "$LOCK" cargo build --release -p proof-zk --bin zk-bench
flock "$LOCK" "$CARGO_TARGET_DIR/release/zk-bench" "${params[@]}" "$@"
