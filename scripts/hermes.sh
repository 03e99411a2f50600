#!/usr/bin/env bash
# Stock Hermes, the relayer most IBC operators run (issue 16's peer): `ibc-relayer-cli` 1.10.5
# from crates.io, built once per machine into ~/.cargo/bin (newer versions fetch proving keys
# while they build, which this machine cannot). Does nothing when that version is there.
set -euo pipefail

HERMES_VERSION="1.10.5"
ROOT="${HERMES_ROOT:-$HOME/.cargo}"
PATH="$ROOT/bin:$HOME/.cargo/bin:$PATH"

log() { printf 'hermes: %s\n' "$*"; }

have=""
if [[ -x "$ROOT/bin/hermes" ]]; then
  have="$("$ROOT/bin/hermes" version 2>/dev/null | head -n1 || true)"
fi
if [[ "$have" == *"$HERMES_VERSION"* ]]; then
  log "hermes $HERMES_VERSION present ($ROOT/bin/hermes)"
  exit 0
fi
log "building hermes $HERMES_VERSION from crates.io (found '${have:-none}'; ~16 min on 2 cores)"
t0=$SECONDS
# Its own temporary target dir (cargo install's default), not the workspace's: Hermes shares no
# artifacts with it, and the workspace's clippy wrapper must not lint a registry crate.
env -u CARGO_TARGET_DIR -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS -u RUSTFLAGS \
  cargo install ibc-relayer-cli --version "$HERMES_VERSION" --locked --root "$ROOT" --quiet
got="$("$ROOT/bin/hermes" version | head -n1)"
[[ "$got" == *"$HERMES_VERSION"* ]] || { log "error: built hermes reports '$got'"; exit 1; }
log "hermes $HERMES_VERSION installed at $ROOT/bin/hermes in $((SECONDS - t0)) s"
