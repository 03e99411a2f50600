#!/usr/bin/env bash
# cosmjs compatibility test: fresh 1-validator localnet (with its rollup operator) in a temp dir
# with the test mnemonic's address funded in genesis, then `node --test tests/cosmjs/` (bank, then wasm with the template
# contract, built by contracts/build.sh if missing). The localnet is always stopped.
# Extra arguments go to localnet.sh start (e.g. --release, --no-build).
# Env: PROOF_COSMJS_KEEP=1 keeps the temp dir (logs) after the run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
LOCALNET="$REPO_ROOT/localnet/localnet.sh"

command -v node >/dev/null 2>&1 || { echo "run.sh: node (Node.js 20+) not found" >&2; exit 1; }
# (Re)install when node_modules predates a dependency (e.g. @cosmjs/cosmwasm-stargate).
if [[ ! -d "$HERE/node_modules/@cosmjs/stargate" || ! -d "$HERE/node_modules/@cosmjs/cosmwasm-stargate" ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

# wasm.test.mjs uploads the template contract.
if [[ ! -f "$REPO_ROOT/contracts/artifacts/template.wasm" ]]; then
  bash "$REPO_ROOT/contracts/build.sh"
fi

ADDR="$(node "$HERE/address.mjs")"
[[ "$ADDR" == proof1* ]] || { echo "run.sh: address.mjs printed '$ADDR'" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/proof-cosmjs.XXXXXX")"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  # The stop must work (a child holding the localnet's lock once made it refuse) and leave no
  # operator behind.
  if ! "$LOCALNET" stop --dir "$TMP" || pgrep -f "proof-rollup.*--home $TMP/" >/dev/null; then
    echo "run.sh: localnet.sh stop failed or left the rollup operator running" >&2
    ((rc != 0)) || rc=1
  fi
  if [[ "${PROOF_COSMJS_KEEP:-0}" == 1 || $rc -ne 0 ]]; then
    echo "run.sh: localnet dir kept for inspection: $TMP"
  else
    rm -rf -- "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run.sh: test account $ADDR, localnet dir $TMP"
# --rollup: the localnet's rollup operator runs beside the node the cosmjs tests use (the
# parameters come from the Rust tests' cache when it is there).
if [[ -z "${PROOF_ZK_PARAMS:-}" && -d "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/tmp/proof-zk-params" ]]; then
  export PROOF_ZK_PARAMS="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/tmp/proof-zk-params"
fi
"$LOCALNET" start --dir "$TMP" --validators 1 --chain-id proof-localnet \
  --genesis-account "$ADDR=1000000000uxyz" --rollup "$@"
curl -fsS http://127.0.0.1:7780/v1/status >/dev/null || { echo "run.sh: the rollup operator does not answer" >&2; exit 1; }

export PROOF_RPC="http://127.0.0.1:26657"
export PROOF_CHAIN_ID="proof-localnet"
export PROOF_LOCALNET_CONTRACTS="$TMP/contracts.json"
status=0
# One test file at a time: they all sign with the same account, so parallel files would race
# on its sequence.
node --test-concurrency=1 --test "$HERE/" || status=$?
echo "run.sh: node --test exited with $status"
((status == 0)) || exit "$status"

# The CLI against the same localnet, signing with the test account (its cosmjs tests are done;
# the faucet is the rollup operator's key, whose sequence the CLI must not race), imported from
# its mnemonic; a fresh key that never signs receives.
PROOF_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/$([[ " $* " == *" --release "* ]] && echo release || echo debug)/proof"
export PROOF_KEYRING_PASSWORD="${PROOF_KEYRING_PASSWORD:-localnet}"
KEYS=(--keyring-dir "$TMP/cli-keys")
node --input-type=module -e "import { TEST_MNEMONIC } from '$HERE/common.mjs'; console.log(TEST_MNEMONIC);" |
  "$PROOF_BIN" keys add cosmjs --recover --key-type secp256k1 "${KEYS[@]}" -o json >/dev/null
BOB="$("$PROOF_BIN" keys add bob "${KEYS[@]}" -o json | jq -r '.address')"
[[ "$BOB" == proof1* ]] || { echo "run.sh: proof keys add bob printed '$BOB'" >&2; exit 1; }
contract() { jq -r --arg n "$1" '.contracts[] | select(.name == $n) | .address' "$TMP/contracts.json"; }
tx() { "$PROOF_BIN" tx "$@" --from cosmjs "${KEYS[@]}" --node "$PROOF_RPC" -o json; }
uxyz_of() {
  "$PROOF_BIN" query bank balances "$1" --node "$PROOF_RPC" -o json | jq -r '[.balances[] | select(.denom == "uxyz") | .amount][0] // "0"'
}

# The AMM swap: it quotes, queues the swap with a min-out and a deadline, and reads the fill
# from the block's end-block events.
swap="$(tx amm swap uusd 1000000uxyz --amm "$(contract amm)")" || { echo "run.sh: proof tx amm swap failed" >&2; exit 1; }
quoted="$(jq -r '.quoted' <<<"$swap")"
if [[ "$(jq -r '.outcome' <<<"$swap")" != filled || "$(jq -r '.received' <<<"$swap")" != "${quoted}uusd" ]]; then
  echo "run.sh: proof tx amm swap did not fill at its quote $quoted: $swap" >&2
  exit 1
fi
echo "run.sh: proof tx amm swap: filled at the quote, ${quoted}uusd"

# The HTLC flow on yy: lock under a fresh secret for bob, claim with it (anyone may), and read
# the secret back from the settled swap (what the other side of a cross-chain swap does).
YY="$(contract yy)"
tx yy lock 1000000uxyz --yy "$YY" --recipient "$BOB" --id run-sh-1 --secret-out "$TMP/secret" \
  --expires-in-blocks 50 >/dev/null || { echo "run.sh: proof tx yy lock failed" >&2; exit 1; }
tx yy claim run-sh-1 --yy "$YY" --secret "$TMP/secret" >/dev/null || { echo "run.sh: proof tx yy claim failed" >&2; exit 1; }
revealed="$("$PROOF_BIN" query yy settled run-sh-1 --yy "$YY" --node "$PROOF_RPC" -o json | jq -r '.preimage')"
if [[ "$(uxyz_of "$BOB")" != 1000000 || "$revealed" != "$(tr -d '\n' <"$TMP/secret")" ]]; then
  echo "run.sh: the HTLC paid bob $(uxyz_of "$BOB") (expected 1000000) or revealed '$revealed'" >&2
  exit 1
fi
echo "run.sh: proof tx yy lock/claim: bob paid 1000000uxyz, the secret public on chain"

# The fee price: the localnet names no pool, so the chain parameter prices the fixed fee.
from="$("$PROOF_BIN" query fee-price --node "$PROOF_RPC" -o json | jq -r '.from')"
[[ "$from" == chain.xyz_price_micro_usd ]] || { echo "run.sh: proof query fee-price says the price is from '$from'" >&2; exit 1; }
echo "run.sh: proof query fee-price: from the chain parameter"
