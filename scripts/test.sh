#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs formatting and lint checks, every
# Rust test (unit, in-process ABCI, the determinism soak, the fuzz targets over their corpora,
# CLI, and the end-to-end tests with real CometBFT processes: four validators, crash points,
# a network partition in namespaces), the import-circle check, and the cosmjs compatibility
# test against a fresh 1-validator localnet.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

T0=$SECONDS
step() { printf '== %s (at %ds)\n' "$1" "$((SECONDS - T0))"; }

bash scripts/setup.sh
for d in "$HOME/.cargo/bin" /usr/local/go/bin "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"; do
  [[ -d "$d" ]] && PATH="$d:$PATH"
done
export PATH

step "cargo fmt --check"
cargo fmt --all -- --check
# Clippy lints the workspace's own crates while they are built (clippy-driver as the workspace
# wrapper, what `cargo clippy` does under a `cargo check`): one compile of everything instead of
# a check pass over every dependency and then a build. `cargo test` below runs with the same
# wrapper, so it reuses these artifacts.
command -v clippy-driver >/dev/null || rustup component add clippy
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$(command -v clippy-driver)}"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
step "cargo build, linted by clippy (-D warnings)"
cargo build --workspace --all-targets --quiet
step "import circles"
python3 scripts/import_circles.py chain/src cli/src sdk/src rollup/src ibc-relayer/src
step "contracts (wasm artifacts the proof-vm tests load, and the template's unit tests)"
env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS bash contracts/build.sh
(cd contracts && unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS && CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$PWD/target}" cargo test --locked -p template -p rollup-msgs -p rollup-verifier -p xx -p amm-msgs -p amm -p yy-msgs -p yy --quiet)
# Stock Hermes (issue 16's peer relayer) builds from crates.io once per machine, 10-16 min of
# both cores. The test stage leaves ~85 % of the CPU idle (its nodes wait for blocks), so Hermes
# builds during it at idle priority (SCHED_IDLE: only CPU nothing else wants, so the nodes keep
# their timings), started once the two builds above have their crates (its downloads would hold
# the package cache against them); its own test runs last. With Hermes present this is a no-op.
hermes_log="$(mktemp)"
setsid chrt --idle 0 bash scripts/hermes.sh >"$hermes_log" 2>&1 &
hermes_pid=$!
trap 'kill -- -"$hermes_pid" 2>/dev/null || true' EXIT
step "cargo test"
# Nodes of the end-to-end tests are separate processes; one test binary at a time keeps the
# 2-core machine from starving them. The partition test needs network namespaces: here (CI
# runs as root) their absence is a failure, not a skip.
PROOF_REQUIRE_NETNS=1 cargo test --workspace -- --test-threads=2
step "cosmjs"
# The workspace build above made proofd and proof: the localnet uses them as they are (a
# `cargo build -p ...` of two packages would resolve features differently and rebuild much).
bash tests/cosmjs/run.sh --no-build
step "stock Hermes end to end (waiting for its build)"
if ! wait "$hermes_pid"; then cat "$hermes_log"; exit 1; fi
cat "$hermes_log"
PROOF_HERMES="$HOME/.cargo/bin/hermes" cargo test --workspace --test hermes_localnet -- --ignored
step "all tests passed"
