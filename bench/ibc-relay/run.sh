#!/usr/bin/env bash
# Relayer benchmark (issue 16): our relayer (`proof-relayer`) and stock Hermes 1.10.5 side by side,
# in one run, on this machine, between two single-validator chains of ours (A and B, 1 s blocks).
# Each relayer gets its own channel (its own clients, connection and channel, made by itself),
# then, with it running:
#   burst  : PACKETS ICS-20 transfers (default 10,000) from 2,000 senders on A, submitted as fast
#            as A takes them (proof-loadgen at --burst-rate); waits until all are acknowledged;
#   steady : --steady-rate transfers/s (default 100) for --steady-seconds (default 30).
# Each run is read back from both chains' blocks (`proof-loadgen ibc-report`, the same for both
# relayers): packets/s from the first send to the last acknowledgement, and each packet's latency
# per direction in blocks and seconds.
#
#   bench/ibc-relay/run.sh [--packets N] [--burst-rate R] [--steady-rate R] [--steady-seconds S]
#                          [--relayers ours,hermes] [--output text|json] [--keep]
#
# Binaries: $PROOFD $PROOF $RELAYER $LOADGEN (default: ${CARGO_TARGET_DIR:-<repo>/target}/debug/...,
# as scripts/test.sh builds them: workspace crates at opt-level 1, dependencies at 3) and $HERMES
# (default: hermes on PATH or ~/.cargo/bin/hermes; bash scripts/hermes.sh builds it, release).
# Both relayers send at most 100 messages a transaction (ours: max_msgs_per_tx; Hermes:
# max_msg_num, with max_tx_size raised to 1 MiB so that limit, not the size, binds).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROG="bench/ibc-relay/run.sh"
PACKETS=10000
BURST_RATE=1000
STEADY_RATE=100
STEADY_SECONDS=30
RELAYERS="ours,hermes"
OUTPUT=text
KEEP=0
SENDERS=2000
SEED="ibc-bench"
PASSWORD="ibc-bench"
A_ID="bencha-1"
B_ID="benchb-1"
A_INDEX=8
B_INDEX=9

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '[ibc-bench] %s\n' "$*" >&2; }
need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --packets) need_arg "$@"; PACKETS="$2"; shift ;;
    --burst-rate) need_arg "$@"; BURST_RATE="$2"; shift ;;
    --steady-rate) need_arg "$@"; STEADY_RATE="$2"; shift ;;
    --steady-seconds) need_arg "$@"; STEADY_SECONDS="$2"; shift ;;
    --relayers) need_arg "$@"; RELAYERS="$2"; shift ;;
    --output) need_arg "$@"; OUTPUT="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
for v in PACKETS BURST_RATE STEADY_RATE STEADY_SECONDS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a positive integer"
done
[[ "$OUTPUT" == text || "$OUTPUT" == json ]] || die "--output text|json"
[[ "$RELAYERS" =~ ^(ours|hermes)(,(ours|hermes))*$ ]] || die "--relayers: ours, hermes or both"

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
PROOFD="${PROOFD:-$TARGET_DIR/debug/proofd}"
PROOF="${PROOF:-$TARGET_DIR/debug/proof}"
RELAYER="${RELAYER:-$TARGET_DIR/debug/proof-relayer}"
LOADGEN="${LOADGEN:-$TARGET_DIR/debug/proof-loadgen}"
PATH="$PATH:$HOME/.cargo/bin:$HOME/go/bin:/usr/local/go/bin"
HERMES="${HERMES:-$(command -v hermes || true)}"
for b in PROOFD PROOF RELAYER LOADGEN; do
  [[ -x "${!b}" ]] || die "${!b} missing: cargo build --workspace (or set \$$b)"
done
if [[ "$RELAYERS" == *hermes* ]]; then
  [[ -x "$HERMES" ]] || die "hermes not found: bash scripts/hermes.sh (or set \$HERMES)"
  "$HERMES" version | grep -q '1\.10\.5' || die "$HERMES is not Hermes 1.10.5"
fi
command -v jq >/dev/null || die "jq not found (bash scripts/setup.sh)"
export PROOF_COMETBFT="${PROOF_COMETBFT:-$(command -v cometbft || true)}"
[[ -n "$PROOF_COMETBFT" ]] || die "cometbft not found (bash scripts/setup.sh)"
export PROOF_KEYRING_PASSWORD="$PASSWORD"

rpc() { echo "http://127.0.0.1:$((26657 + 100 * $1))"; }
grpc() { echo "http://127.0.0.1:$((9090 + 100 * $1))"; }
A_RPC="$(rpc $A_INDEX)"
B_RPC="$(rpc $B_INDEX)"
for i in $A_INDEX $B_INDEX; do
  for base in 26656 26657 26658 26660 9090; do
    p=$((base + 100 * i))
    if (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use"; fi
  done
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/proof-ibc-bench.XXXXXX")"
PIDS=()
RELAYER_PID=""
# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  [[ -n "$RELAYER_PID" ]] && kill -TERM "$RELAYER_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if ((KEEP)); then log "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "work dir $WORK"

# --- keys and the two chains ---------------------------------------------------------------------
"$PROOF" --keyring-dir "$WORK/keys" --output json keys add relayer --key-type secp256k1 >"$WORK/relayer-key.json"
RELAYER_ADDR="$(jq -r .address "$WORK/relayer-key.json")"
jq -r .mnemonic "$WORK/relayer-key.json" >"$WORK/mnemonic"
"$LOADGEN" accounts --count "$SENDERS" --seed "$SEED" --coins 1000000000000uxyz >"$WORK/senders.json"
jq --arg a "$RELAYER_ADDR" '. + [{"address": $a, "coins": "1000000000000uxyz"}]' "$WORK/senders.json" >"$WORK/a.json"
jq -n --arg a "$RELAYER_ADDR" '[{"address": $a, "coins": "1000000000000uxyz"}]' >"$WORK/b.json"
start_chain() { # id index accounts
  "$PROOFD" testnet --output-dir "$WORK/$1" --validators 1 --chain-id "$1" \
    --genesis-accounts-file "$3" --port-index-offset "$2" >"$WORK/$1.testnet.log" 2>&1 ||
    { cat "$WORK/$1.testnet.log" >&2; die "proofd testnet $1 failed"; }
  setsid "$PROOFD" start --home "$WORK/$1/node0" </dev/null >"$WORK/$1.log" 2>&1 &
  PIDS+=("$!")
}
height() { curl -fsS --max-time 2 "$1/status" 2>/dev/null | jq -r '.result.sync_info.latest_block_height // empty'; }
start_chain "$A_ID" "$A_INDEX" "$WORK/a.json"
start_chain "$B_ID" "$B_INDEX" "$WORK/b.json"
for url in "$A_RPC" "$B_RPC"; do
  deadline=$((SECONDS + 90))
  until h="$(height "$url")" && [[ -n "$h" ]] && ((h >= 2)); do
    ((SECONDS < deadline)) || die "$url did not reach height 2 (logs in $WORK; --keep keeps them)"
    sleep 0.5
  done
done
log "chains $A_ID ($A_RPC) and $B_ID ($B_RPC) up"

# --- our relayer's path ------------------------------------------------------------------------
cat >"$WORK/relayer.toml" <<EOF
[global]
max_msgs_per_tx = 100

[[chains]]
id = "$A_ID"
rpc = "$A_RPC"
key = "relayer"
keyring = "$WORK/keys"

[[chains]]
id = "$B_ID"
rpc = "$B_RPC"
key = "relayer"
keyring = "$WORK/keys"

[[paths]]
name = "bench"
a = { chain = "$A_ID" }
b = { chain = "$B_ID" }
EOF
declare -A CHANNEL
if [[ "$RELAYERS" == *ours* ]]; then
  log "proof-relayer create path bench"
  CHANNEL[ours]="$("$RELAYER" --config "$WORK/relayer.toml" --output json create path bench 2>"$WORK/create-ours.log" | tail -n1 | jq -r .a.channel)"
  log "ours: $A_ID ${CHANNEL[ours]}"
fi

# --- Hermes's channel, with HERMES.md's chain config ------------------------------------------------
if [[ "$RELAYERS" == *hermes* ]]; then
  specs="$(grep "^proof_specs = " "$REPO_ROOT/ibc-relayer/HERMES.md")"
  {
    printf '[global]\nlog_level = "info"\n\n[mode.clients]\nenabled = true\nrefresh = true\nmisbehaviour = true\n\n'
    printf '[mode.connections]\nenabled = false\n\n[mode.channels]\nenabled = false\n\n'
    printf '[mode.packets]\nenabled = true\nclear_interval = 100\nclear_on_start = true\ntx_confirmation = false\n\n'
    printf "[rest]\nenabled = false\nhost = '127.0.0.1'\nport = 3000\n\n"
    printf "[telemetry]\nenabled = false\nhost = '127.0.0.1'\nport = 3001\n\n"
    for c in "$A_ID:$A_INDEX" "$B_ID:$B_INDEX"; do
      id="${c%%:*}"; i="${c##*:}"
      cat <<EOF
[[chains]]
id = '$id'
type = 'CosmosSdk'
rpc_addr = '$(rpc "$i")'
grpc_addr = '$(grpc "$i")'
event_source = { mode = 'push', url = 'ws://127.0.0.1:$((26657 + 100 * i))/websocket', batch_delay = '200ms' }
account_prefix = 'proof'
key_name = 'relayer'
key_store_folder = '$WORK/hermes-keys'
store_prefix = 'ibc'
gas_price = { price = 0.025, denom = 'uxyz' }
default_gas = 400000
max_gas = 40000000
gas_multiplier = 1.3
max_msg_num = 100
max_tx_size = 1048576
clock_drift = '5s'
max_block_time = '30s'
trusting_period = '14days'
trust_threshold = '1/3'
address_type = { derivation = 'cosmos' }
$specs

EOF
    done
  } >"$WORK/hermes.toml"
  for id in "$A_ID" "$B_ID"; do
    "$HERMES" --config "$WORK/hermes.toml" keys add --chain "$id" --mnemonic-file "$WORK/mnemonic" >/dev/null
  done
  log "hermes create channel (new clients and connection)"
  CHANNEL[hermes]="$("$HERMES" --config "$WORK/hermes.toml" --json create channel --a-chain "$A_ID" --b-chain "$B_ID" \
    --a-port transfer --b-port transfer --new-client-connection --yes 2>"$WORK/create-hermes.log" |
    jq -r 'select(.status == "success") | .result.a_side.channel_id' | tail -n1)"
  [[ "${CHANNEL[hermes]}" == channel-* ]] || die "hermes create channel failed (see $WORK/create-hermes.log, --keep)"
  log "hermes: $A_ID ${CHANNEL[hermes]}"
fi

# --- the runs ------------------------------------------------------------------------------------
start_relayer() { # name log
  case "$1" in
    ours)
      RUST_LOG=proof_relayer=info setsid "$RELAYER" --config "$WORK/relayer.toml" start >/dev/null 2>"$2" &
      RELAYER_PID=$!
      ready="relaying" ;;
    hermes)
      setsid "$HERMES" --config "$WORK/hermes.toml" start >"$2" 2>&1 &
      RELAYER_PID=$!
      ready="Hermes has started" ;;
  esac
  local deadline=$((SECONDS + 120))
  until grep -q "$ready" "$2" 2>/dev/null; do
    kill -0 "$RELAYER_PID" 2>/dev/null || die "$1 exited at start (see $2, --keep)"
    ((SECONDS < deadline)) || die "$1 did not start within 120 s (see $2, --keep)"
    sleep 0.5
  done
}
stop_relayer() {
  kill -TERM "$RELAYER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$RELAYER_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$RELAYER_PID" 2>/dev/null || true
  RELAYER_PID=""
}
run() { # relayer kind rate seconds
  local name="$1" kind="$2" rate="$3" secs="$4" ch="${CHANNEL[$1]}" from_a from_b
  start_relayer "$name" "$WORK/$name-$kind.log"
  from_a="$(height "$A_RPC")"
  from_b="$(height "$B_RPC")"
  log "$name $kind: $((rate * secs)) transfers at $rate/s on $ch"
  "$LOADGEN" run --node "$A_RPC" --rate "$rate" --duration "$secs" --warmup 0 --count "$SENDERS" \
    --seed "$SEED" --chain-id "$A_ID" --ibc-channel "$ch" --amount 1uxyz --gas 400000 --fee 10000uxyz \
    --output json --quiet >"$WORK/$name-$kind.load.json"
  "$LOADGEN" ibc-report --a "$A_RPC" --b "$B_RPC" --channel "$ch" --from-a "$from_a" --from-b "$from_b" \
    --wait-secs 1800 --output json >"$WORK/$name-$kind.json"
  stop_relayer
  jq -c --arg r "$name" --arg k "$kind" --slurpfile l "$WORK/$name-$kind.load.json" \
    '{relayer: $r, run: $k, committed_tps: $l[0].overall_committed_tps} + .' "$WORK/$name-$kind.json" >>"$WORK/results.jsonl"
}
IFS=',' read -r -a LIST <<<"$RELAYERS"
for name in "${LIST[@]}"; do
  run "$name" burst "$BURST_RATE" $(((PACKETS + BURST_RATE - 1) / BURST_RATE))
  run "$name" steady "$STEADY_RATE" "$STEADY_SECONDS"
done

if [[ "$OUTPUT" == json ]]; then
  jq -s . "$WORK/results.jsonl"
else
  printf '%-7s %-7s %7s %7s %9s %9s %17s %17s %15s\n' relayer run sent acked "A tx/s" "packets/s" \
    "A->B blk p50/95/max" "B->A blk p50/95/max" "send->ack s p50/95"
  jq -r '[.relayer, .run, .sent, .acknowledged, (.committed_tps|floor), (.packets_per_second*10|floor/10),
      "\(.send_to_recv.blocks.p50)/\(.send_to_recv.blocks.p95)/\(.send_to_recv.blocks.max)",
      "\(.recv_to_ack.blocks.p50)/\(.recv_to_ack.blocks.p95)/\(.recv_to_ack.blocks.max)",
      "\(.send_to_ack.seconds.p50)/\(.send_to_ack.seconds.p95)"] | @tsv' "$WORK/results.jsonl" |
    while IFS=$'\t' read -r r k s a t p f b l; do
      printf '%-7s %-7s %7s %7s %9s %9s %17s %17s %15s\n' "$r" "$k" "$s" "$a" "$t" "$p" "$f" "$b" "$l"
    done
fi
