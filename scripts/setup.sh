#!/usr/bin/env bash
# Idempotent installer for the tools the Proof chain needs on a fresh Debian machine.
# Runs as root (uses sudo for apt-get otherwise). Fast when everything is present:
# every step checks first and only acts when something is missing.
#
#   apt packages : libclang-dev clang protobuf-compiler jq curl (rocksdb bindgen, prost, scripts)
#   rust target  : wasm32-unknown-unknown (contracts)
#   CometBFT     : v0.38.25 via `go install` (go from PATH or /usr/local/go/bin)
#   npm          : tests/cosmjs/node_modules
#   --hermes     : also stock Hermes 1.10.5 (scripts/hermes.sh; scripts/test.sh builds it itself)
set -euo pipefail

WITH_HERMES=""
for arg in "$@"; do
  case "$arg" in
    --hermes) WITH_HERMES=1 ;;
    *) printf 'setup: unknown argument %s (known: --hermes)\n' "$arg" >&2; exit 2 ;;
  esac
done

COMETBFT_VERSION="0.38.25"
APT_PACKAGES=(libclang-dev clang protobuf-compiler jq curl)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi

# --- apt packages --------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
  log "installing apt packages: ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "apt packages present (${APT_PACKAGES[*]})"
fi

# --- rust wasm target ------------------------------------------------------------------------
if [[ -d "$HOME/.cargo/bin" ]]; then PATH="$HOME/.cargo/bin:$PATH"; fi
if command -v rustup >/dev/null 2>&1; then
  if rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
    log "rust target wasm32-unknown-unknown present"
  else
    log "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
else
  log "warning: rustup not found; skipping wasm32-unknown-unknown (install Rust via rustup)"
fi

# --- CometBFT -----------------------------------------------------------------------------------
if [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:$PATH"; fi
GOBIN_DIR=""
if command -v go >/dev/null 2>&1; then
  GOBIN_DIR="$(go env GOBIN)"
  [[ -n "$GOBIN_DIR" ]] || GOBIN_DIR="$(go env GOPATH)/bin"
else
  GOBIN_DIR="$HOME/go/bin"
fi
PATH="$GOBIN_DIR:$PATH"
export PATH

have_cometbft=""
if command -v cometbft >/dev/null 2>&1; then
  have_cometbft="$(cometbft version 2>/dev/null | head -n1 | tr -d '[:space:]' || true)"
fi
if [[ "$have_cometbft" == "$COMETBFT_VERSION" ]]; then
  log "cometbft $COMETBFT_VERSION present ($(command -v cometbft))"
else
  command -v go >/dev/null 2>&1 || die "cometbft $COMETBFT_VERSION needed (found '${have_cometbft:-none}') but go is not installed (expected /usr/local/go/bin/go, Go 1.22+)"
  log "installing cometbft v$COMETBFT_VERSION with go install (found '${have_cometbft:-none}') into $GOBIN_DIR"
  go install "github.com/cometbft/cometbft/cmd/cometbft@v$COMETBFT_VERSION"
  got="$("$GOBIN_DIR/cometbft" version | head -n1 | tr -d '[:space:]')"
  [[ "$got" == "$COMETBFT_VERSION" ]] || die "installed cometbft reports '$got', expected $COMETBFT_VERSION"
  log "cometbft $got installed at $GOBIN_DIR/cometbft (put $GOBIN_DIR on your PATH)"
fi

# --- npm deps for the cosmjs tests ---------------------------------------------------------------
COSMJS_DIR="$REPO_ROOT/tests/cosmjs"
if [[ -f "$COSMJS_DIR/package.json" ]]; then
  # An install from an older package.json lacks packages added since: reinstall then.
  if [[ -d "$COSMJS_DIR/node_modules/@cosmjs/cosmwasm-stargate" ]]; then
    log "tests/cosmjs/node_modules present"
  elif command -v npm >/dev/null 2>&1; then
    log "npm install in tests/cosmjs"
    if [[ -f "$COSMJS_DIR/package-lock.json" ]]; then
      (cd "$COSMJS_DIR" && npm ci --no-audit --no-fund)
    else
      (cd "$COSMJS_DIR" && npm install --no-audit --no-fund)
    fi
  else
    log "warning: npm not found; skipping tests/cosmjs (install Node.js 20+)"
  fi
fi

if [[ -n "$WITH_HERMES" ]]; then
  bash "$REPO_ROOT/scripts/hermes.sh"
fi

log "done"
