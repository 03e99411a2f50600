#!/usr/bin/env bash
# Proof chain localnet: N validators as processes on 127.0.0.1 (node i uses ports base + 100*i).
#
#   localnet.sh start  [--validators N] [--dir DIR] [--chain-id ID] [--block-time-ms MS]
#                      [--genesis-account ADDR=COINS]... [--release] [--no-build] [--no-setup]
#                      [--rollup]                # + a rollup and its operator (two provers)
#   localnet.sh stop   [--dir DIR]
#   localnet.sh reset  [--dir DIR]           # stop + delete DIR
#   localnet.sh status [--dir DIR]
#   localnet.sh logs   [i] [--dir DIR] [--cometbft] [-f|--follow] [-n LINES]
#
# DIR defaults to $PROOF_LOCALNET_DIR or ~/.proof-localnet. Binaries come from
# ${CARGO_TARGET_DIR:-<repo>/target}/{debug,release}/{proofd,proof} (override with $PROOFD / $PROOF).
# See localnet/README.md.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROG="localnet.sh"

# Ports of node i = base + 100*i (docs/INTERFACES.md).
P2P_BASE=26656
RPC_BASE=26657
ABCI_BASE=26658
METRICS_BASE=26660
CMT_METRICS_BASE=26661

START_TIMEOUT_S=90
STOP_TIMEOUT_S=15
MIN_HEIGHT=2
FAUCET_NAME="faucet"
FAUCET_COINS="1000000000000000uxyz,1000000000000000uusd" # 1e9 XYZ, and 1e9 of a demo USD the AMM pool trades against

log() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------
# arguments
CMD=""
DIR="${PROOF_LOCALNET_DIR:-$HOME/.proof-localnet}"
VALIDATORS=1
VALIDATORS_SET=0
CHAIN_ID="${PROOF_CHAIN_ID:-proof-localnet}"
BLOCK_TIME_MS=""
GENESIS_ACCOUNTS=()
RELEASE=0
NO_BUILD="${PROOF_LOCALNET_NO_BUILD:-0}"
NO_SETUP="${PROOF_LOCALNET_NO_SETUP:-0}"
LOG_NODE=""
LOG_COMETBFT=0
LOG_FOLLOW=""
LOG_LINES=200
ROLLUP="${PROOF_LOCALNET_ROLLUP:-0}"
ROLLUP_API="127.0.0.1:7780"
ROLLUP_OPS_PER_STEP=3

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    start | stop | reset | status | logs)
      [[ -z "$CMD" ]] || die "only one command allowed (got '$CMD' and '$1')"
      CMD="$1" ;;
    --validators) need_arg "$@"; VALIDATORS="$2"; VALIDATORS_SET=1; shift ;;
    --validators=*) VALIDATORS="${1#*=}"; VALIDATORS_SET=1 ;;
    --dir) need_arg "$@"; DIR="$2"; shift ;;
    --dir=*) DIR="${1#*=}" ;;
    --chain-id) need_arg "$@"; CHAIN_ID="$2"; shift ;;
    --chain-id=*) CHAIN_ID="${1#*=}" ;;
    --block-time-ms) need_arg "$@"; BLOCK_TIME_MS="$2"; shift ;;
    --block-time-ms=*) BLOCK_TIME_MS="${1#*=}" ;;
    --genesis-account) need_arg "$@"; GENESIS_ACCOUNTS+=("$2"); shift ;;
    --genesis-account=*) GENESIS_ACCOUNTS+=("${1#*=}") ;;
    --release) RELEASE=1 ;;
    --rollup) ROLLUP=1 ;;
    --no-build) NO_BUILD=1 ;;
    --no-setup) NO_SETUP=1 ;;
    --cometbft) LOG_COMETBFT=1 ;;
    -f | --follow) LOG_FOLLOW=1 ;;
    -n | --lines) need_arg "$@"; LOG_LINES="$2"; shift ;;
    -h | --help | help) usage; exit 0 ;;
    [0-9]*)
      [[ "$CMD" == "logs" && -z "$LOG_NODE" ]] || die "unexpected argument '$1' (see --help)"
      LOG_NODE="$1" ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

[[ -n "$CMD" ]] || { usage >&2; exit 2; }
[[ "$VALIDATORS" =~ ^[1-9][0-9]*$ ]] || die "--validators must be a positive integer (got '$VALIDATORS')"
((VALIDATORS <= 50)) || die "--validators $VALIDATORS: ports of node i are base+100*i; keep N <= 50"
[[ -z "$BLOCK_TIME_MS" || "$BLOCK_TIME_MS" =~ ^[1-9][0-9]*$ ]] || die "--block-time-ms must be a positive integer"
[[ "$LOG_LINES" =~ ^[0-9]+$ ]] || die "-n must be a number"
for ga in "${GENESIS_ACCOUNTS[@]+"${GENESIS_ACCOUNTS[@]}"}"; do
  [[ "$ga" =~ ^[a-z0-9]+1[0-9a-z]+=[0-9]+[a-zA-Z][a-zA-Z0-9/:._-]*(,[0-9]+[a-zA-Z][a-zA-Z0-9/:._-]*)*$ ]] \
    || die "--genesis-account '$ga': expected ADDR=COINS, e.g. proof1...=1000000uxyz or proof1...=5uxyz,7foo"
done

DIR="$(realpath -m -- "$DIR")"
NODES_DIR="$DIR/nodes"
KEYS_DIR="$DIR/keys"
ENV_FILE="$DIR/localnet.env"
export PROOF_KEYRING_PASSWORD="${PROOF_KEYRING_PASSWORD:-localnet}"

PROFILE=debug
((RELEASE)) && PROFILE=release
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
PROOFD="${PROOFD:-$TARGET_DIR/$PROFILE/proofd}"
PROOF="${PROOF:-$TARGET_DIR/$PROFILE/proof}"
PROOF_ROLLUP="${PROOF_ROLLUP:-$TARGET_DIR/$PROFILE/proof-rollup}"
ROLLUP_DIR="$DIR/rollup"

# cometbft from `go install` lives in GOBIN / GOPATH/bin, which may not be on PATH.
PATH="$HOME/go/bin:$PATH:/usr/local/go/bin"
if [[ -n "${GOBIN:-}" ]]; then PATH="$GOBIN:$PATH"; fi
if [[ -n "${GOPATH:-}" ]]; then PATH="$PATH:$GOPATH/bin"; fi
export PATH

# ---------------------------------------------------------------------------------------------
# helpers

node_home() { printf '%s/node%d' "$NODES_DIR" "$1"; }
pid_file() { printf '%s/proofd.pid' "$(node_home "$1")"; }
log_file() { printf '%s/proofd.log' "$(node_home "$1")"; }

# Node indices present in DIR/nodes, ascending.
existing_nodes() {
  local d
  [[ -d "$NODES_DIR" ]] || return 0
  for d in "$NODES_DIR"/node*; do
    [[ -d "$d" && "${d##*/node}" =~ ^[0-9]+$ ]] && printf '%s\n' "${d##*/node}"
  done | sort -n
}

# Port of a [section] laddr in the node's CometBFT config, or the default base + 100*i.
cmt_port() { # i section base
  local cfg port
  cfg="$(node_home "$1")/cometbft/config/config.toml"
  if [[ -f "$cfg" ]]; then
    port="$(awk -v sec="[$2]" '
      /^\[/ { insec = ($0 == sec); next }
      insec && $1 == "laddr" { gsub(/"/, "", $3); n = split($3, a, ":"); print a[n]; exit }' "$cfg")"
    if [[ "$port" =~ ^[0-9]+$ ]]; then printf '%s' "$port"; return; fi
  fi
  printf '%s' "$(($3 + 100 * $1))"
}
rpc_port() { cmt_port "$1" rpc "$RPC_BASE"; }
p2p_port() { cmt_port "$1" p2p "$P2P_BASE"; }
rpc_url() { printf 'http://127.0.0.1:%s' "$(rpc_port "$1")"; }

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Does a process's command line mention home H (as an argument H, H/..., --home=H, --home=H/...)?
cmdline_mentions() { # pid home
  local arg
  [[ -r "/proc/$1/cmdline" ]] || return 1
  while IFS= read -r -d '' arg; do
    arg="${arg#--home=}"
    [[ "$arg" == "$2" || "$arg" == "$2/"* ]] && return 0
  done <"/proc/$1/cmdline"
  return 1
}

# pid of node i's proofd if it runs (pid file present, process alive, and it is our proofd).
node_pid() {
  local pf pid
  pf="$(pid_file "$1")"
  [[ -f "$pf" ]] || return 1
  pid="$(tr -dc '0-9' <"$pf")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline_mentions "$pid" "$(node_home "$1")" || return 1
  printf '%s' "$pid"
}

# pids of processes named $1 (proofd / cometbft) whose command line mentions home H.
procs_for_home() { # name home
  local p
  for p in $(pgrep -x "$1" 2>/dev/null || true); do
    cmdline_mentions "$p" "$2" && printf '%s\n' "$p"
  done
  return 0
}

# SIGTERM the pids, wait up to $1 seconds, then SIGKILL what is left.
terminate() { # timeout pid...
  local timeout="$1" p alive deadline
  shift
  kill -TERM "$@" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while :; do
    alive=()
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]})) || return 0
    ((SECONDS < deadline)) || break
    sleep 0.25
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

rpc_get() { # url path -> body (fails if unreachable)
  curl -fsS --max-time 2 "$1$2" 2>/dev/null
}

node_height() { # i -> height or empty
  rpc_get "$(rpc_url "$1")" /status | jq -r '.result.sync_info.latest_block_height // empty' 2>/dev/null || true
}

faucet_address() {
  local f="$KEYS_DIR/$FAUCET_NAME.key.json"
  if [[ -f "$f" ]]; then
    jq -r '.address // empty' "$f" 2>/dev/null && return 0
  fi
  if [[ -f "$ENV_FILE" ]]; then
    sed -n 's/^FAUCET_ADDRESS=//p' "$ENV_FILE"
  fi
}

env_value() { [[ -f "$ENV_FILE" ]] && sed -n "s/^$1=//p" "$ENV_FILE" | tail -n1; }

# Chain id of an existing testnet: from node0's genesis, else localnet.env, else the default.
current_chain_id() {
  local id="" g
  g="$(node_home 0)/cometbft/config/genesis.json"
  [[ -f "$g" ]] && id="$(jq -r '.chain_id // empty' "$g" 2>/dev/null || true)"
  [[ -n "$id" ]] || id="$(env_value CHAIN_ID || true)"
  printf '%s' "${id:-$CHAIN_ID}"
}

take_lock() {
  mkdir -p "$DIR"
  exec 9>"$DIR/.localnet.lock"
  flock -n 9 || die "another localnet.sh is operating on $DIR (lock $DIR/.localnet.lock)"
}

# ---------------------------------------------------------------------------------------------
# start

build_binaries() {
  if ((NO_BUILD)); then
    log "==> skipping build (--no-build)"
  else
    command -v cargo >/dev/null 2>&1 || PATH="$HOME/.cargo/bin:$PATH"
    command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust, or pass --no-build with prebuilt binaries)"
    local args=(build -p proof-chain -p proof-cli)
    ((ROLLUP)) && args+=(-p proof-rollup)
    ((RELEASE)) && args+=(--release)
    log "==> cargo ${args[*]} (target dir $TARGET_DIR)"
    (cd "$REPO_ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo "${args[@]}") || die "cargo build failed"
  fi
  [[ -x "$PROOFD" ]] || die "proofd not found at $PROOFD (build it, or set PROOFD / CARGO_TARGET_DIR)"
  [[ -x "$PROOF" ]] || die "proof CLI not found at $PROOF (build it, or set PROOF / CARGO_TARGET_DIR)"
}

ensure_faucet_key() {
  local f="$KEYS_DIR/$FAUCET_NAME.key.json" out addr
  if [[ -f "$f" ]]; then
    FAUCET_ADDRESS="$(faucet_address)"
    [[ -n "$FAUCET_ADDRESS" ]] || die "cannot read the address from $f"
    log "==> faucet key exists: $FAUCET_ADDRESS"
    return
  fi
  [[ -d "$NODES_DIR" ]] && warn "$NODES_DIR exists but the faucet key does not: the new key will NOT be funded (use '$PROG reset')"
  mkdir -p "$KEYS_DIR"
  chmod 700 "$KEYS_DIR"
  log "==> creating faucet key (hybrid) in $KEYS_DIR"
  if ! out="$("$PROOF" keys add "$FAUCET_NAME" --keyring-dir "$KEYS_DIR" </dev/null 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "'proof keys add $FAUCET_NAME --keyring-dir $KEYS_DIR' failed"
  fi
  # Keep what the CLI printed (it includes the mnemonic): this is a throwaway localnet key.
  (umask 077 && printf '%s\n' "$out" >"$KEYS_DIR/$FAUCET_NAME.created.txt")
  addr="$(faucet_address || true)"
  if [[ -z "$addr" ]]; then
    addr="$(grep -oE 'proof1[02-9ac-hj-np-z]{38,}' <<<"$out" | head -n1 || true)"
  fi
  [[ -n "$addr" ]] || die "could not find the faucet address (no $f, nothing like proof1... in the CLI output)"
  FAUCET_ADDRESS="$addr"
  log "    faucet address $FAUCET_ADDRESS"
}

write_env_file() {
  {
    printf 'CHAIN_ID=%s\n' "$CHAIN_ID"
    printf 'VALIDATORS=%s\n' "$VALIDATORS"
    printf 'FAUCET_ADDRESS=%s\n' "$FAUCET_ADDRESS"
    printf 'BLOCK_TIME_MS=%s\n' "$BLOCK_TIME_MS"
    printf 'CREATED=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$ENV_FILE"
}

ensure_genesis() {
  local existing n
  existing="$(existing_nodes | wc -l)"
  if ((existing > 0)); then
    n="$existing"
    if ((VALIDATORS_SET)) && ((VALIDATORS != n)); then
      die "$NODES_DIR has $n node(s) but --validators $VALIDATORS was asked: run '$PROG reset --dir $DIR' first"
    fi
    VALIDATORS="$n"
    CHAIN_ID="$(current_chain_id)"
    ((${#GENESIS_ACCOUNTS[@]} == 0)) || warn "genesis exists already: --genesis-account ignored (use '$PROG reset' to recreate)"
    [[ -z "$BLOCK_TIME_MS" ]] || warn "genesis exists already: --block-time-ms ignored (use '$PROG reset' to recreate)"
    log "==> using existing $n-node testnet in $NODES_DIR (chain id $CHAIN_ID)"
    return
  fi
  local args=(testnet --output-dir "$NODES_DIR" --validators "$VALIDATORS" --chain-id "$CHAIN_ID"
    --genesis-account "$FAUCET_ADDRESS=$FAUCET_COINS")
  local ga
  for ga in "${GENESIS_ACCOUNTS[@]+"${GENESIS_ACCOUNTS[@]}"}"; do args+=(--genesis-account "$ga"); done
  [[ -n "$BLOCK_TIME_MS" ]] && args+=(--block-time-ms "$BLOCK_TIME_MS")
  local hooks hook
  hooks="$(end_block_hooks)" || die "cannot predict the end-block contracts' addresses ($PROOF query wasm classic-address)"
  while IFS= read -r hook; do
    [[ -z "$hook" ]] && continue
    [[ "$hook" =~ ^proof1[a-z0-9]+=[0-9]+$ ]] || die "bad end-block contract '$hook' (from $CONTRACTS_MANIFEST)"
    args+=(--end-block-contract "$hook")
  done <<<"$hooks"
  log "==> proofd ${args[*]}"
  if ! "$PROOFD" "${args[@]}" </dev/null >"$DIR/testnet.log" 2>&1; then
    cat "$DIR/testnet.log" >&2
    rm -rf "$NODES_DIR"
    die "proofd testnet failed (output above, also in $DIR/testnet.log)"
  fi
  local got
  got="$(existing_nodes | wc -l)"
  ((got == VALIDATORS)) || die "proofd testnet made $got node dir(s) in $NODES_DIR, expected $VALIDATORS"
  write_env_file
}

check_ports_free() { # i
  local i="$1" p
  local ports=("$(p2p_port "$i")" "$(rpc_port "$i")" "$((ABCI_BASE + 100 * i))"
    "$((METRICS_BASE + 100 * i))" "$((CMT_METRICS_BASE + 100 * i))")
  for p in "${ports[@]}"; do
    if port_in_use "$p"; then
      die "port 127.0.0.1:$p (node$i) is already in use by another process; is another localnet running? (check '$PROG status --dir ...', 'ss -ltnp')"
    fi
  done
}

start_node() { # i
  local i="$1" home pid
  home="$(node_home "$i")"
  if pid="$(node_pid "$i")"; then
    log "    node$i already running (pid $pid)"
    return
  fi
  # Leftovers of a crashed run (a cometbft that outlived its proofd, a proofd without a pid file)
  # would fight over the ports and the DB: stop them first.
  local strays=() p
  for p in $(procs_for_home proofd "$home") $(procs_for_home cometbft "$home"); do strays+=("$p"); done
  if ((${#strays[@]})); then
    log "    node$i: stopping leftover processes of a previous run: ${strays[*]}"
    terminate 5 "${strays[@]}"
  fi
  check_ports_free "$i"
  {
    printf '\n===== %s localnet.sh start: %s start --home %s --cometbft %s\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROOFD" "$home" "$COMETBFT"
  } >>"$(log_file "$i")"
  # setsid: own session, so the node survives the terminal; in a non-interactive shell a
  # background child is no group leader, so setsid execs in place and $! is proofd's pid.
  # 9>&- : the node must not inherit the lock on DIR/.localnet.lock.
  NO_COLOR=1 setsid "$PROOFD" start --home "$home" --cometbft "$COMETBFT" </dev/null >>"$(log_file "$i")" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pid_file "$i")"
  log "    node$i started (pid $pid, rpc $(rpc_url "$i"), log $(log_file "$i"))"
}

fail_start() { # message
  local i
  printf '\n' >&2
  for i in $(existing_nodes); do
    printf '%s: --- last lines of %s ---\n' "$PROG" "$(log_file "$i")" >&2
    tail -n 25 "$(log_file "$i")" >&2 2>/dev/null || true
    local cl
    cl="$(node_home "$i")/logs/cometbft.log"
    if [[ -f "$cl" ]]; then
      printf '%s: --- last lines of %s ---\n' "$PROG" "$cl" >&2
      tail -n 10 "$cl" >&2 || true
    fi
  done
  warn "stopping the nodes that did start"
  do_stop >&2 || true
  die "$1"
}

wait_for_height() {
  local deadline=$((SECONDS + START_TIMEOUT_S)) i h all
  printf 'waiting for every node to reach height %d (timeout %ds) ' "$MIN_HEIGHT" "$START_TIMEOUT_S"
  while :; do
    all=1
    for i in $(existing_nodes); do
      if ! node_pid "$i" >/dev/null; then
        fail_start "node$i (proofd) exited during start-up; see $(log_file "$i")"
      fi
      h="$(node_height "$i")"
      if [[ ! "$h" =~ ^[0-9]+$ ]] || ((h < MIN_HEIGHT)); then all=0; fi
    done
    if ((all)); then printf ' ok\n'; return 0; fi
    if ((SECONDS >= deadline)); then
      printf '\n'
      local heights=""
      for i in $(existing_nodes); do heights+=" node$i=$(node_height "$i" || true)"; done
      fail_start "timed out after ${START_TIMEOUT_S}s waiting for height $MIN_HEIGHT (heights:${heights:- none})"
    fi
    printf '.'
    sleep 1
  done
}

# ---------------------------------------------------------------------------------------------
# system contracts

CONTRACTS_MANIFEST="$REPO_ROOT/localnet/system-contracts.json"

# The address the manifest's entry at 0-based position i gets on a fresh chain: the faucet
# stores and instantiates them in order before anything else, so it is instance i+1 of code i+1.
predicted_address() {
  "$PROOF" query wasm classic-address "$(($1 + 1))" "$(($1 + 1))" -o json | jq -r '.address'
}

# ADDR=GAS of every manifest entry the chain calls at end block (for the genesis).
end_block_hooks() {
  local i gas list addr
  list="$(jq -r '.contracts | to_entries[] | select(.value.end_block_gas) | "\(.key)\t\(.value.end_block_gas)"' "$CONTRACTS_MANIFEST")" || return 1
  while IFS=$'\t' read -r i gas; do
    [[ -n "$i" ]] || continue
    addr="$(predicted_address "$i")" || return 1
    printf '%s=%s\n' "$addr" "$gas"
  done <<<"$list"
}

# The demo pools of the manifest's contracts that have one and no pool yet.
open_demo_pools() {
  local name coins amm quote
  while IFS=$'\t' read -r name coins; do
    amm="$(contract_address "$name")"
    [[ "$amm" == proof1* ]] || continue
    quote="$(tr ',' '\n' <<<"$coins" | grep -v 'uxyz$' | sed 's/^[0-9]*//')"
    if "$PROOF" query amm pool "$quote" --amm "$amm" --node "$(rpc_url 0)" >/dev/null 2>&1; then
      continue
    fi
    log "==> opening the demo pool $coins on $name"
    "$PROOF" tx amm create-pool "$coins" --amm "$amm" --from "$FAUCET_NAME" --keyring-dir "$KEYS_DIR" \
      --node "$(rpc_url 0)" --chain-id "$CHAIN_ID" -o json </dev/null >/dev/null || die "opening the demo pool of $name failed"
  done < <(jq -r '.contracts[] | select(.pool) | "\(.name)\t\(.pool)"' "$CONTRACTS_MANIFEST")
}

# Stores and instantiates every contract of the manifest that DIR/contracts.json does not list
# yet, recording each as soon as it is instantiated: restarts keep the addresses, and a start that
# failed half-way resumes with the contracts still missing.
deploy_system_contracts() {
  local out="$DIR/contracts.json" entries entry name artifact label init res code_id addr
  entries="$(jq -c '.contracts[]' "$CONTRACTS_MANIFEST")" || die "cannot read $CONTRACTS_MANIFEST"
  [[ -f "$out" ]] || printf '{"contracts":[]}\n' >"$out"
  local todo=()
  while IFS= read -r entry; do
    [[ -n "$entry" ]] || continue
    name="$(jq -r '.name' <<<"$entry")"
    jq -e --arg n "$name" '.contracts | any(.name == $n)' "$out" >/dev/null || todo+=("$entry")
  done <<<"$entries"
  if ((${#todo[@]} == 0)); then
    log "==> system contracts deployed ($out)"
    return
  fi
  local artifacts="$REPO_ROOT/contracts/artifacts" missing=0
  for entry in "${todo[@]}"; do
    [[ -f "$artifacts/$(jq -r '.artifact' <<<"$entry")" ]] || missing=1
  done
  if ((missing)); then
    ((NO_BUILD)) && die "contract artifacts missing in $artifacts (run bash contracts/build.sh, or start without --no-build)"
    log "==> bash contracts/build.sh"
    bash "$REPO_ROOT/contracts/build.sh" || die "contracts/build.sh failed"
  fi
  local faucet gov tx_args
  faucet="$(faucet_address)"
  # System contracts are governed: only a passed proposal can migrate them.
  gov="$("$PROOF" query gov module-address)" || die "cannot compute the gov module address"
  tx_args=(--from "$FAUCET_NAME" --keyring-dir "$KEYS_DIR" --node "$(rpc_url 0)" --chain-id "$CHAIN_ID" -o json)
  log "==> deploying ${#todo[@]} system contract(s) from the faucet (admin: governance, $gov)"
  for entry in "${todo[@]}"; do
    name="$(jq -r '.name' <<<"$entry")"
    artifact="$(jq -r '.artifact' <<<"$entry")"
    label="$(jq -r '.label' <<<"$entry")"
    # Placeholders: the faucet, the gov module account, and contracts deployed before this one
    # (xx names its verifier, and offers itself to it when instantiated).
    init="$(jq -c --arg f "$faucet" --arg g "$gov" --argjson c "$(jq '[.contracts[] | {(.name): .address}] | add // {}' "$out")" \
      '.init | walk(if . == "$FAUCET" then $f elif . == "$GOV" then $g
        elif type == "string" and startswith("$CONTRACT:") then ($c[.[10:]] // error("no contract \(.[10:]) deployed before"))
        else . end)' <<<"$entry")" || die "cannot build the init message of $name"
    res="$("$PROOF" tx wasm store "$artifacts/$artifact" "${tx_args[@]}" </dev/null)" || die "storing $name ($artifact) failed"
    code_id="$(jq -r '.code_id' <<<"$res")"
    [[ "$code_id" =~ ^[0-9]+$ ]] || die "storing $name: no code id in $res"
    res="$("$PROOF" tx wasm instantiate "$code_id" "$init" --label "$label" --admin "$gov" \
      "${tx_args[@]}" </dev/null)" || die "instantiating $name (code $code_id) failed"
    addr="$(jq -r '.contract_address' <<<"$res")"
    [[ "$addr" == proof1* ]] || die "instantiating $name: no contract address in $res"
    log "    $name: code $code_id, contract $addr"
    if jq -e '.end_block_gas' >/dev/null <<<"$entry"; then
      local idx predicted
      idx="$(jq --arg n "$name" '.contracts | map(.name) | index($n)' "$CONTRACTS_MANIFEST")"
      predicted="$(predicted_address "$idx")"
      if [[ "$addr" != "$predicted" ]]; then
        warn "$name is at $addr, not at $predicted where the genesis end-block hook calls: its end-block work waits for governance to list it (clock.contracts)"
      elif ! "$PROOF" query clock params --node "$(rpc_url 0)" -o json | jq -e --arg a "$addr" 'any(.contracts[]; .address == $a)' >/dev/null; then
        warn "$name is not in this chain's end-block hook (a genesis from before it was listed?): its end-block work waits for governance to list it (clock.contracts)"
      fi
    fi
    jq --arg n "$name" --arg a "$addr" --argjson c "$code_id" --arg l "$label" \
      '.contracts += [{name: $n, code_id: $c, address: $a, label: $l}]' "$out" >"$out.tmp" &&
      mv "$out.tmp" "$out"
  done
}

# ---------------------------------------------------------------------------------------------
# rollup (--rollup): the faucet registers a rollup (once) and runs its operator

contract_address() { jq -r --arg n "$1" '.contracts[] | select(.name == $n) | .address' "$DIR/contracts.json"; }
operator_pid() {
  local pid
  pid="$(tr -dc '0-9' 2>/dev/null <"$ROLLUP_DIR/operator.pid" || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

start_rollup() {
  [[ -x "$PROOF_ROLLUP" ]] || die "proof-rollup not found at $PROOF_ROLLUP (build it, or set PROOF_ROLLUP / CARGO_TARGET_DIR)"
  local verifier xx id res
  verifier="$(contract_address rollup-verifier)"
  xx="$(contract_address xx)"
  [[ "$verifier" == proof1* && "$xx" == proof1* ]] || die "the rollup system contracts are not deployed ($DIR/contracts.json)"
  mkdir -p "$ROLLUP_DIR"
  if [[ ! -f "$ROLLUP_DIR/rollup.json" ]]; then
    log "==> registering a rollup (K = $ROLLUP_OPS_PER_STEP) operated by the faucet"
    "$PROOF" tx rollup register --ops-per-step "$ROLLUP_OPS_PER_STEP" --from "$FAUCET_NAME" --keyring-dir "$KEYS_DIR" \
      --node "$(rpc_url 0)" --chain-id "$CHAIN_ID" --verifier "$verifier" -o json </dev/null >/dev/null || die "registering the rollup failed"
    res="$("$PROOF" query rollup list --node "$(rpc_url 0)" --verifier "$verifier" -o json)" || die "listing rollups failed"
    id="$(jq -r --arg f "$(faucet_address)" '[.rollups[] | select(.operator == $f)] | last | .id' <<<"$res")"
    [[ "$id" =~ ^[0-9]+$ ]] || die "no rollup of the faucet in $res"
    jq -n --argjson id "$id" --arg v "$verifier" --arg x "$xx" --arg api "http://$ROLLUP_API" \
      '{id: $id, verifier: $v, xx: $x, api: $api}' >"$ROLLUP_DIR/rollup.json"
  fi
  id="$(jq -r '.id' "$ROLLUP_DIR/rollup.json")"
  if operator_pid >/dev/null; then
    log "==> rollup $id: operator already running (pid $(operator_pid))"
    return
  fi
  log "==> starting the operator of rollup $id (two provers; the first start derives the proving parameters)"
  # setsid and 9>&- as for the nodes: it survives the terminal and does not hold DIR's lock.
  setsid "$PROOF_ROLLUP" --node "$(rpc_url 0)" --verifier "$verifier" start --rollup "$id" --xx "$xx" \
    --home "$ROLLUP_DIR" --from "$FAUCET_NAME" --keyring-dir "$KEYS_DIR" --params-dir "${PROOF_ZK_PARAMS:-$DIR/zk-params}" \
    --listen "$ROLLUP_API" --provers 2 </dev/null >>"$ROLLUP_DIR/operator.log" 2>&1 9>&- &
  echo $! >"$ROLLUP_DIR/operator.pid"
  local deadline=$((SECONDS + 300))
  until curl -fsS "http://$ROLLUP_API/v1/status" >/dev/null 2>&1; do
    operator_pid >/dev/null || die "the operator exited: see $ROLLUP_DIR/operator.log"
    ((SECONDS < deadline)) || die "the operator did not answer on $ROLLUP_API within 300 s: see $ROLLUP_DIR/operator.log"
    sleep 1
  done
  log "    operator API http://$ROLLUP_API (log $ROLLUP_DIR/operator.log)"
}

stop_rollup() {
  local pid
  pid="$(operator_pid)" || return 0
  log "stopping the rollup operator (pid $pid)"
  terminate 10 "$pid"
}

print_summary() {
  local i faucet
  faucet="$(faucet_address)"
  log ""
  log "Proof localnet is up: $VALIDATORS validator(s), chain id $CHAIN_ID, dir $DIR"
  log ""
  printf '  %-6s %-24s %-18s %-8s %-8s %s\n' node rpc p2p abci metrics log
  for i in $(existing_nodes); do
    printf '  %-6s %-24s %-18s %-8s %-8s %s\n' "node$i" "$(rpc_url "$i")" "127.0.0.1:$(p2p_port "$i")" \
      "$((ABCI_BASE + 100 * i))" "$((METRICS_BASE + 100 * i))" "$(log_file "$i")"
  done
  log ""
  log "  faucet:  $faucet  ($FAUCET_COINS in genesis)"
  if [[ -f "$DIR/contracts.json" ]]; then
    jq -r '.contracts[] | "  contract \(.name): \(.address) (code \(.code_id))"' "$DIR/contracts.json"
  fi
  log "  keys:    $KEYS_DIR  (password: \$PROOF_KEYRING_PASSWORD, default 'localnet')"
  if [[ -f "$ROLLUP_DIR/rollup.json" ]]; then
    jq -r '"  rollup \(.id): operator API \(.api)/v1/status (verifier \(.verifier), xx \(.xx))"' "$ROLLUP_DIR/rollup.json"
  fi
  log ""
  log "Send a tx from the faucet (gas 200000, fee 5000uxyz covers a bank send):"
  log "  PROOF_KEYRING_PASSWORD=${PROOF_KEYRING_PASSWORD@Q} $PROOF tx bank send $FAUCET_NAME <proof1...> 1000000uxyz \\"
  log "      --keyring-dir $KEYS_DIR --node $(rpc_url 0) --chain-id $CHAIN_ID --gas 200000 --fees 5000uxyz"
  log "Query a balance:"
  log "  $PROOF query bank balances $faucet --node $(rpc_url 0)"
  log ""
  log "Status: $0 status --dir $DIR    Stop: $0 stop --dir $DIR    Logs: $0 logs 0 --dir $DIR"
}

do_start() {
  if ((NO_SETUP)); then
    log "==> skipping scripts/setup.sh (--no-setup)"
  else
    log "==> scripts/setup.sh"
    "$REPO_ROOT/scripts/setup.sh" || die "scripts/setup.sh failed"
  fi
  COMETBFT="$(command -v cometbft || true)"
  [[ -n "$COMETBFT" ]] || die "cometbft not found on PATH or in ~/go/bin (run scripts/setup.sh)"
  export PROOF_COMETBFT="$COMETBFT" # proofd testnet/start read it when --cometbft is not given
  build_binaries
  command -v jq >/dev/null 2>&1 || die "jq not found (run scripts/setup.sh)"
  command -v curl >/dev/null 2>&1 || die "curl not found (run scripts/setup.sh)"

  take_lock
  ensure_faucet_key
  ensure_genesis
  [[ -f "$ENV_FILE" ]] || write_env_file

  log "==> starting $VALIDATORS node(s)"
  local i
  for i in $(existing_nodes); do start_node "$i"; done
  wait_for_height
  deploy_system_contracts
  open_demo_pools
  ((ROLLUP)) && start_rollup
  print_summary
}

# ---------------------------------------------------------------------------------------------
# stop

do_stop() {
  local i home pid pids=() homes=() any=0
  stop_rollup
  if [[ ! -d "$NODES_DIR" ]]; then
    log "nothing to stop: no $NODES_DIR"
    return 0
  fi
  for i in $(existing_nodes); do
    home="$(node_home "$i")"
    homes+=("$home")
    if pid="$(node_pid "$i")"; then
      log "stopping node$i (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      any=1
    fi
  done
  # Wait for all of them together, then escalate.
  local deadline=$((SECONDS + STOP_TIMEOUT_S)) alive
  while ((${#pids[@]})); do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    pids=("${alive[@]+"${alive[@]}"}")
    ((${#pids[@]})) || break
    if ((SECONDS >= deadline)); then
      warn "still running after ${STOP_TIMEOUT_S}s, sending SIGKILL: ${pids[*]}"
      for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
      break
    fi
    sleep 0.25
  done
  # Stray children (a cometbft that outlived its proofd) and proofds without a pid file.
  local strays=() p
  for home in "${homes[@]+"${homes[@]}"}"; do
    for p in $(procs_for_home cometbft "$home") $(procs_for_home proofd "$home"); do strays+=("$p"); done
  done
  if ((${#strays[@]})); then
    log "stopping stray processes: ${strays[*]}"
    any=1
    terminate 5 "${strays[@]}"
  fi
  for i in $(existing_nodes); do rm -f "$(pid_file "$i")"; done
  if ((any)); then log "stopped"; else log "no node was running"; fi
}

# ---------------------------------------------------------------------------------------------
# reset

do_reset() {
  [[ -e "$DIR" ]] || { log "nothing to reset: $DIR does not exist"; return 0; }
  [[ "$DIR" != "/" && "$DIR" != "$HOME" && "$DIR" != "$REPO_ROOT" ]] || die "refusing to delete $DIR"
  # Only delete what looks like a localnet dir.
  if [[ -n "$(ls -A "$DIR")" && ! -f "$ENV_FILE" && ! -d "$NODES_DIR" && ! -d "$KEYS_DIR" ]]; then
    die "$DIR does not look like a localnet dir (no localnet.env, nodes/ or keys/); not deleting it"
  fi
  take_lock
  do_stop
  rm -rf -- "$DIR"
  log "deleted $DIR"
}

# ---------------------------------------------------------------------------------------------
# status

b64_to_hex() { base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n' | tr 'a-f' 'A-F'; }

do_status() {
  local nodes
  nodes="$(existing_nodes)"
  if [[ -z "$nodes" ]]; then
    log "no localnet in $DIR (run '$PROG start --dir $DIR')"
    return 0
  fi
  command -v jq >/dev/null 2>&1 || die "jq not found (run scripts/setup.sh)"
  log "localnet $DIR  chain id $(current_chain_id)  faucet $(faucet_address || true)"
  printf '%-6s %-8s %-8s %-7s %-8s %-6s %-64s %s\n' node pid alive height abci_h peers app_hash rpc
  local i pid alive st abci h ah abci_h abci_ah peers catching url
  for i in $nodes; do
    url="$(rpc_url "$i")"
    if pid="$(node_pid "$i")"; then alive=yes; else
      alive=no
      pid="$(tr -dc '0-9' 2>/dev/null <"$(pid_file "$i")" || true)"
      pid="${pid:--}"
    fi
    h=- ah=- abci_h=- abci_ah=- peers=- catching=""
    if st="$(rpc_get "$url" /status)"; then
      h="$(jq -r '.result.sync_info.latest_block_height // "-"' <<<"$st")"
      ah="$(jq -r '.result.sync_info.latest_app_hash // "-"' <<<"$st")"
      [[ "$(jq -r '.result.sync_info.catching_up' <<<"$st")" == "true" ]] && catching=" (catching up)"
    fi
    if abci="$(rpc_get "$url" /abci_info)"; then
      abci_h="$(jq -r '.result.response.last_block_height // "-"' <<<"$abci")"
      abci_ah="$(jq -r '.result.response.last_block_app_hash // empty' <<<"$abci" | b64_to_hex)"
      abci_ah="${abci_ah:--}"
    fi
    peers="$(rpc_get "$url" /net_info | jq -r '.result.n_peers // "-"' 2>/dev/null || true)"
    peers="${peers:--}"
    [[ "$ah" == "-" || "$ah" == "" ]] && ah="$abci_ah"
    printf '%-6s %-8s %-8s %-7s %-8s %-6s %-64s %s%s\n' "node$i" "$pid" "$alive" "$h" "$abci_h" "$peers" "$ah" "$url" "$catching"
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# logs

do_logs() {
  local i="${LOG_NODE:-0}" f
  [[ -d "$(node_home "$i")" ]] || die "no node$i in $NODES_DIR"
  if ((LOG_COMETBFT)); then f="$(node_home "$i")/logs/cometbft.log"; else f="$(log_file "$i")"; fi
  [[ -f "$f" ]] || die "no log yet: $f"
  if [[ -n "$LOG_FOLLOW" ]] || { [[ -z "$LOG_FOLLOW" ]] && [[ -t 1 ]]; }; then
    exec tail -n "$LOG_LINES" -F "$f"
  else
    exec tail -n "$LOG_LINES" "$f"
  fi
}

case "$CMD" in
  start) do_start ;;
  stop)
    if [[ -d "$DIR" ]]; then take_lock; fi
    do_stop ;;
  reset) do_reset ;;
  status) do_status ;;
  logs) do_logs ;;
esac
