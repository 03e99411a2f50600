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
step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo build"
cargo build --workspace --all-targets --quiet
step "contracts (wasm artifacts the proof-vm tests load, and the template's unit tests)"
bash contracts/build.sh
(cd contracts && CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$PWD/target}" cargo test --locked -p template --quiet)
step "cargo test"
# Nodes of the end-to-end tests are separate processes; one test binary at a time keeps the
# 2-core machine from starving them. The partition test needs network namespaces: here (CI
# runs as root) their absence is a failure, not a skip.
PROOF_REQUIRE_NETNS=1 cargo test --workspace -- --test-threads=2
step "cosmjs"
# The workspace build above made proofd and proof: the localnet uses them as they are (a
# `cargo build -p ...` of two packages would resolve features differently and rebuild much).
bash tests/cosmjs/run.sh --no-build
step "all tests passed"
