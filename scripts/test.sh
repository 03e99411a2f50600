#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs formatting and lint checks, every
# Rust test (unit, in-process ABCI, CLI, and the 4-validator end-to-end test with real CometBFT
# processes), and the cosmjs compatibility test against a fresh 1-validator localnet.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
for d in "$HOME/.cargo/bin" /usr/local/go/bin "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"; do
  [[ -d "$d" ]] && PATH="$d:$PATH"
done
export PATH

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo build"
cargo build --workspace --all-targets --quiet
echo "== contracts (wasm artifacts the proof-vm tests load, and the template's unit tests)"
bash contracts/build.sh
(cd contracts && CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$PWD/target}" cargo test --locked -p template --quiet)
echo "== cargo test"
# Nodes of the end-to-end tests are separate processes; one test binary at a time keeps the
# 2-core machine from starving them.
cargo test --workspace -- --test-threads=2
echo "== cosmjs"
bash tests/cosmjs/run.sh
echo "all tests passed"
