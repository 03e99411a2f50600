#!/usr/bin/env bash
# Entrypoint of the proof-localnet image (see docker-compose.yml at the repo root).
#
#   docker-entrypoint.sh init   one-shot: create /data/nodes (proofd testnet) and /data/keys/faucet once
#   docker-entrypoint.sh run    run every /data/nodes/node* in this one container (exits if any node exits)
#   docker-entrypoint.sh CMD... anything else is executed as is (e.g. `proof q bank balances ...`)
#
# Why one container for all nodes: `proofd testnet` writes homes whose listen addresses and persistent
# peers are 127.0.0.1 with node i on base+100*i. Inside one container (one network namespace) that
# loopback scheme is exactly right, with no address rewriting. Only the RPC listeners are rebound to
# 0.0.0.0 (in each node's CometBFT config.toml) so that Docker can publish them to the host.
set -euo pipefail

DATA="${PROOF_DATA:-/data}"
NODES="$DATA/nodes"
KEYS="$DATA/keys"
VALIDATORS="${PROOF_VALIDATORS:-4}"
CHAIN_ID="${PROOF_CHAIN_ID:-proof-localnet}"
COMETBFT="${COMETBFT:-/usr/local/bin/cometbft}"
export PROOF_KEYRING_PASSWORD="${PROOF_KEYRING_PASSWORD:-localnet}"

init() {
  if [[ -d "$NODES/node0" ]]; then
    echo "init: $NODES exists, keeping it (docker compose down -v to start over)"
    return 0
  fi
  mkdir -p "$KEYS"
  if [[ ! -f "$KEYS/faucet.key.json" ]]; then
    proof keys add faucet --keyring-dir "$KEYS" </dev/null >"$KEYS/faucet.created.txt"
    chmod 600 "$KEYS/faucet.created.txt"
  fi
  local faucet
  faucet="$(jq -r .address "$KEYS/faucet.key.json")"
  local args=(testnet --output-dir "$NODES" --validators "$VALIDATORS" --chain-id "$CHAIN_ID"
    --genesis-account "$faucet=1000000000000000uxyz")
  local ga
  # PROOF_GENESIS_ACCOUNTS: whitespace-separated ADDR=COINS entries funded in genesis.
  for ga in ${PROOF_GENESIS_ACCOUNTS:-}; do args+=(--genesis-account "$ga"); done
  if [[ -n "${PROOF_BLOCK_TIME_MS:-}" ]]; then args+=(--block-time-ms "$PROOF_BLOCK_TIME_MS"); fi
  echo "init: proofd ${args[*]}"
  if ! proofd "${args[@]}"; then
    rm -rf "$NODES"
    exit 1
  fi
  # Publishable RPC: rebind [rpc] laddr from 127.0.0.1 to 0.0.0.0 (same port).
  local cfg
  for cfg in "$NODES"/node*/cometbft/config/config.toml; do
    sed -i '/^\[rpc\]/,/^\[/ s#^laddr = "tcp://127\.0\.0\.1:#laddr = "tcp://0.0.0.0:#' "$cfg"
  done
  echo "init: chain $CHAIN_ID, $VALIDATORS validators, faucet $faucet (key in $KEYS, password \$PROOF_KEYRING_PASSWORD)"
}

run() {
  [[ -d "$NODES/node0" ]] || { echo "run: no $NODES/node0; run the init service first" >&2; exit 1; }
  local pids=() home i
  for home in "$NODES"/node*; do
    i="${home##*/node}"
    proofd start --home "$home" --cometbft "$COMETBFT" > >(sed -u "s/^/node$i | /") 2>&1 &
    pids+=("$!")
    echo "run: node$i pid $! home $home"
  done
  trap 'echo "run: stopping"; kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" || true; exit 0' TERM INT
  # If any node exits, stop the others and exit non-zero so the restart policy restarts the set.
  local rc=0
  wait -n "${pids[@]}" || rc=$?
  echo "run: a node exited (status $rc); stopping the others" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" || true
  exit 1
}

case "${1:-run}" in
  init) init ;;
  run) run ;;
  *) exec "$@" ;;
esac
