#!/usr/bin/env bash
# Transfer benchmark on a fresh throwaway localnet.
#
#   bench/loadgen/run-bench.sh [--validators N] [--rate R | --rate R1,R2,...] [--duration S]
#                              [--warmup S] [--count N] [--key-type ed25519|secp256k1|mldsa65|hybrid]
#                              [--block-time-ms MS] [--port-offset K] [--output text|json]
#                              [--workload bank|token] [--no-build] [--keep]
#                              [-- extra proof-loadgen args...]
#
# Builds proofd and proof-loadgen (release), writes the senders' genesis accounts file, creates an
# N-validator testnet in a temp dir (`proofd testnet --genesis-accounts-file`), starts the nodes,
# runs `proof-loadgen run` (one rate) or `proof-loadgen sweep` (several), stops the nodes (also on
# Ctrl-C or error) and deletes the temp dir (unless --keep). Node logs are printed if a node dies.
# --workload token deploys contracts/artifacts/token.wasm (a cw20-style contract) with a balance
# for every sender and makes each tx a contract execution (a token transfer) instead of a bank send.
#
# --port-offset K moves every port of the testnet by K (node i RPC = 26657 + 100*i + K), so the
# bench can run next to a localnet on the default ports. Binaries: $PROOFD, $LOADGEN override
# ${CARGO_TARGET_DIR:-<repo>/target}/release/{proofd,proof-loadgen}.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROG="run-bench.sh"

VALIDATORS=1
RATE=1000
DURATION=30
WARMUP=5
COUNT=2000
KEY_TYPE=ed25519
BLOCK_TIME_MS=""
PORT_OFFSET=0
OUTPUT=text
NO_BUILD=0
KEEP=0
SEED="proof-bench"
CHAIN_ID="proof-bench"
EXTRA=()
WORKLOAD=bank

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '[bench] %s\n' "$*" >&2; }
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --validators) need_arg "$@"; VALIDATORS="$2"; shift ;;
    --rate | --rates) need_arg "$@"; RATE="$2"; shift ;;
    --duration) need_arg "$@"; DURATION="$2"; shift ;;
    --warmup) need_arg "$@"; WARMUP="$2"; shift ;;
    --count) need_arg "$@"; COUNT="$2"; shift ;;
    --key-type) need_arg "$@"; KEY_TYPE="$2"; shift ;;
    --block-time-ms) need_arg "$@"; BLOCK_TIME_MS="$2"; shift ;;
    --port-offset) need_arg "$@"; PORT_OFFSET="$2"; shift ;;
    --output) need_arg "$@"; OUTPUT="$2"; shift ;;
    --seed) need_arg "$@"; SEED="$2"; shift ;;
    --workload) need_arg "$@"; WORKLOAD="$2"; shift ;;
    --no-build) NO_BUILD=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

if ! [[ "$VALIDATORS" =~ ^[1-9][0-9]*$ ]] || ((VALIDATORS > 20)); then die "--validators must be 1..20"; fi
if ! [[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || ((PORT_OFFSET > 30000)); then die "--port-offset must be an integer 0..30000"; fi
[[ "$RATE" =~ ^[0-9.]+(,[0-9.]+)*$ ]] || die "--rate must be a number or a comma-separated list"
[[ "$OUTPUT" == text || "$OUTPUT" == json ]] || die "--output text|json"
[[ "$WORKLOAD" == bank || "$WORKLOAD" == token ]] || die "--workload bank|token"
TOKEN_WASM="$REPO_ROOT/contracts/artifacts/token.wasm"
[[ "$WORKLOAD" == bank || -f "$TOKEN_WASM" ]] || die "$TOKEN_WASM missing: run bash contracts/build.sh"
[[ -z "$BLOCK_TIME_MS" || "$BLOCK_TIME_MS" =~ ^[1-9][0-9]*$ ]] || die "--block-time-ms must be a positive integer"

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
PROOFD="${PROOFD:-$TARGET_DIR/release/proofd}"
LOADGEN="${LOADGEN:-$TARGET_DIR/release/proof-loadgen}"
PATH="$PATH:$HOME/go/bin:/usr/local/go/bin"
export PATH

command -v curl >/dev/null || die "curl not found"
COMETBFT="${PROOF_COMETBFT:-$(command -v cometbft || true)}"
[[ -n "$COMETBFT" ]] || die "cometbft not found on PATH or in ~/go/bin (run scripts/setup.sh)"
export PROOF_COMETBFT="$COMETBFT"

if ((NO_BUILD)); then
  log "skipping build (--no-build)"
else
  log "cargo build --release -p proof-chain -p proof-loadgen (target dir $TARGET_DIR)"
  (cd "$REPO_ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p proof-chain -p proof-loadgen) \
    || die "cargo build failed"
fi
[[ -x "$PROOFD" ]] || die "proofd not found at $PROOFD (build it or set PROOFD)"
[[ -x "$LOADGEN" ]] || die "proof-loadgen not found at $LOADGEN (build it or set LOADGEN)"

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
rpc_port() { echo $((26657 + 100 * $1 + PORT_OFFSET)); }
for ((i = 0; i < VALIDATORS; i++)); do
  for base in 26656 26657 26658 26660 26661; do
    p=$((base + 100 * i + PORT_OFFSET))
    if port_in_use "$p"; then
      die "port $p (node$i) is in use; is a localnet running? stop it or pass --port-offset (e.g. 3000)"
    fi
  done
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/proof-bench.XXXXXX")"
PIDS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? pid deadline
  trap - EXIT INT TERM
  if ((${#PIDS[@]})); then
    log "stopping ${#PIDS[@]} node(s)"
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    deadline=$((SECONDS + 15))
    for pid in "${PIDS[@]}"; do
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        log "node pid $pid still alive after 15 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
  fi
  if ((KEEP)); then
    log "kept $WORK (node homes and logs)"
  else
    rm -rf -- "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "work dir $WORK"
"$LOADGEN" accounts --count "$COUNT" --seed "$SEED" --key-type "$KEY_TYPE" --coins 1000000000000uxyz >"$WORK/accounts.json"

TESTNET_ARGS=(testnet --output-dir "$WORK/nodes" --validators "$VALIDATORS" --chain-id "$CHAIN_ID"
  --genesis-accounts-file "$WORK/accounts.json")
[[ -n "$BLOCK_TIME_MS" ]] && TESTNET_ARGS+=(--block-time-ms "$BLOCK_TIME_MS")
log "proofd ${TESTNET_ARGS[*]}"
"$PROOFD" "${TESTNET_ARGS[@]}" >"$WORK/testnet.log" 2>&1 || { cat "$WORK/testnet.log" >&2; die "proofd testnet failed"; }

if ((PORT_OFFSET)); then
  # Every 127.0.0.1:2xxxx address in the CometBFT and app configs (laddrs, proxy_app, peers, metrics).
  log "moving ports by +$PORT_OFFSET"
  # shellcheck disable=SC2016  # $1/$2 are perl's
  find "$WORK/nodes" \( -name config.toml -o -name app.toml \) -print0 |
    xargs -0 perl -pi -e 's/(127\.0\.0\.1:)(2\d{4})\b/$1.($2+'"$PORT_OFFSET"')/ge'
fi

for ((i = 0; i < VALIDATORS; i++)); do
  home="$WORK/nodes/node$i"
  setsid "$PROOFD" start --home "$home" --cometbft "$COMETBFT" </dev/null >"$home/proofd.log" 2>&1 &
  PIDS+=("$!")
  log "node$i started (pid $!, rpc http://127.0.0.1:$(rpc_port "$i"), log $home/proofd.log)"
done

node_logs() {
  local i
  for ((i = 0; i < VALIDATORS; i++)); do
    printf -- '--- node%d proofd.log (last 20 lines) ---\n' "$i" >&2
    tail -n 20 "$WORK/nodes/node$i/proofd.log" >&2 2>/dev/null || true
    printf -- '--- node%d cometbft.log (last 10 lines) ---\n' "$i" >&2
    tail -n 10 "$WORK/nodes/node$i/logs/cometbft.log" >&2 2>/dev/null || true
  done
}

height() { curl -fsS --max-time 2 "http://127.0.0.1:$(rpc_port "$1")/status" 2>/dev/null |
  tr -d '\n' | sed -n 's/.*"latest_block_height": *"\([0-9]*\)".*/\1/p'; }
deadline=$((SECONDS + 90))
while :; do
  ok=1
  for ((i = 0; i < VALIDATORS; i++)); do
    kill -0 "${PIDS[$i]}" 2>/dev/null || { node_logs; die "node$i exited during start-up"; }
    h="$(height "$i" || true)"
    [[ "$h" =~ ^[0-9]+$ ]] && ((h >= 2)) || ok=0
  done
  ((ok)) && break
  ((SECONDS < deadline)) || { node_logs; die "nodes did not reach height 2 within 90 s"; }
  sleep 0.5
done
log "all $VALIDATORS node(s) at height >= 2"

NODES=""
METRICS=""
for ((i = 0; i < VALIDATORS; i++)); do
  NODES+="${NODES:+,}http://127.0.0.1:$(rpc_port "$i")"
  METRICS+="${METRICS:+,}http://127.0.0.1:$((26660 + 100 * i + PORT_OFFSET))/metrics"
done
COMMON=(--node "$NODES" --metrics "$METRICS" --duration "$DURATION" --warmup "$WARMUP" --count "$COUNT" --seed "$SEED"
  --key-type "$KEY_TYPE" --chain-id "$CHAIN_ID" --output "$OUTPUT")
if [[ "$WORKLOAD" == token ]]; then
  log "deploying the token contract with a balance for each of $COUNT senders"
  TOKEN="$("$LOADGEN" deploy-token --node "http://127.0.0.1:$(rpc_port 0)" --wasm "$TOKEN_WASM" \
    --count "$COUNT" --seed "$SEED" --key-type "$KEY_TYPE")" || { node_logs; die "deploy-token failed"; }
  log "token contract $TOKEN"
  # A token transfer uses ~57k gas (measured from block_results); it gets the bank transfers'
  # default limit and fee (200k, 5000uxyz) so both workloads face the same block gas cap.
  COMMON+=(--token "$TOKEN")
fi
if [[ "$RATE" == *,* ]]; then
  CMD=("$LOADGEN" sweep --rates "$RATE" "${COMMON[@]}" "${EXTRA[@]+"${EXTRA[@]}"}")
else
  CMD=("$LOADGEN" run --rate "$RATE" "${COMMON[@]}" "${EXTRA[@]+"${EXTRA[@]}"}")
fi
# proof-loadgen reports the CPU time of each node's proofd and its cometbft child over the run.
WATCH=""
for ((i = 0; i < VALIDATORS; i++)); do
  WATCH+="${WATCH:+,}node$i-proofd=${PIDS[$i]}"
  for c in $(pgrep -P "${PIDS[$i]}" -x cometbft 2>/dev/null || true); do WATCH+=",node$i-cometbft=$c"; done
done
CMD+=(--watch-pid "$WATCH")

log "${CMD[*]}"
set +e
"${CMD[@]}"
rc=$?
set -e

for ((i = 0; i < VALIDATORS; i++)); do
  if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
    log "node$i died during the run"
    node_logs
    rc=1
  fi
done
((rc == 0)) || log "proof-loadgen exited with $rc"
exit "$rc"
