# syntax=docker/dockerfile:1
# Proof chain image: proofd + proof + cometbft v0.38.25. Used by docker-compose.yml (4-validator localnet).
#   docker build -t proof-localnet .

# --- CometBFT (a Go program; needs Go 1.22+, newer than bookworm's golang) ---------------------------
FROM golang:1.24-bookworm AS cometbft
RUN CGO_ENABLED=0 GOBIN=/out go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.25 \
 && /out/cometbft version

# --- proofd + proof ------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
# rocksdb is built with bindgen (libclang); prost needs protoc.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang libclang-dev protobuf-compiler \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p proof-chain -p proof-cli \
 && install -m 0755 target/release/proofd target/release/proof /usr/local/bin/

# --- runtime -------------------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl jq libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=cometbft /out/cometbft /usr/local/bin/cometbft
COPY --from=builder /usr/local/bin/proofd /usr/local/bin/proof /usr/local/bin/
COPY localnet/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# tracing output without ANSI colours (docker logs are not a terminal)
ENV NO_COLOR=1
VOLUME /data
# node i: P2P 26656+100i, RPC 26657+100i (docs/INTERFACES.md)
EXPOSE 26656 26657 26756 26757 26856 26857 26956 26957
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["run"]
