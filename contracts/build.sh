#!/usr/bin/env bash
# Builds every contract of this workspace to wasm32-unknown-unknown and copies the artifacts to
# contracts/artifacts/, which the proof-vm tests and the bench load.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if command -v rustup >/dev/null && ! rustup target list --installed | grep -q "^wasm32-unknown-unknown$"; then
  rustup target add wasm32-unknown-unknown
fi
export CARGO_TARGET_DIR="${CONTRACTS_TARGET_DIR:-$PWD/target}"
RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-s" \
  cargo build --release --locked --target wasm32-unknown-unknown --quiet
mkdir -p artifacts
max=$((800 * 1024)) # the VM's default upload limit
for f in "$CARGO_TARGET_DIR"/wasm32-unknown-unknown/release/*.wasm; do
  name=$(basename "$f")
  size=$(stat -c %s "$f")
  if (( size > max )); then
    echo "error: $name is $size bytes, over the $max byte limit" >&2
    exit 1
  fi
  cp "$f" "artifacts/$name"
  echo "artifacts/$name: $size bytes"
done
