//! IBC end to end with real processes: two single-validator chains (`proofd` + CometBFT each)
//! and our relayer (`proof-relayer`, the binary) between them. Clients, connection and channel
//! handshakes; ICS-20 both ways with the voucher's denom trace and the return trip that
//! unescrows; a timeout that refunds; a replayed packet, a forged or stale proof and a frozen
//! client refused; supply and balances conserved to the unit on both sides.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::ibc::{
    balance_of, commitments, denom_trace, escrow, supply_of, transfer, voucher, wait_until,
};
use common::localnet::{balance, Localnet};
use ibc_proto::ibc::core::client::v1::Height;
use proof_sdk::keystore::Keystore;
use proof_sdk::{Address, KeyType, PrivateKey};

const PASSWORD: &str = "relayer-test";
const FUNDS: u128 = 1_000_000_000_000;

fn relayer_bin() -> PathBuf {
    let proofd = PathBuf::from(env!("CARGO_BIN_EXE_proofd"));
    let bin = proofd.with_file_name("proof-relayer");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        bin.display()
    );
    bin
}

fn relayer(config: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(relayer_bin())
        .arg("--config")
        .arg(config)
        .args(["--output", "json"])
        .args(args)
        .env("PROOF_KEYRING_PASSWORD", PASSWORD)
        .env("RUST_LOG", "proof_relayer=info")
        .output()
        .expect("run proof-relayer");
    assert!(
        out.status.success(),
        "proof-relayer {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("null")).expect("json output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chains_through_our_relayer() {
    let keys = tempfile::tempdir().unwrap();
    let ks = Keystore::open_insecure_fast(keys.path());
    let (file, _) = ks.create("relayer", KeyType::Secp256k1, PASSWORD).unwrap();
    let relayer_addr: Address = file.address.parse().unwrap();
    let user = PrivateKey::generate(KeyType::Secp256k1);
    let user_addr = user.address();
    let accounts = [(relayer_addr.clone(), FUNDS), (user_addr.clone(), FUNDS)];
    let a = Localnet::start(1, 54, "ibca-1", &accounts, None).await;
    let b = Localnet::start(1, 55, "ibcb-1", &accounts, None).await;

    let config = keys.path().join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[global]
max_msgs_per_tx = 50

[[chains]]
id = "ibca-1"
rpc = "http://127.0.0.1:{}"
key = "relayer"
keyring = "{k}"
trusting_period_secs = 60

[[chains]]
id = "ibcb-1"
rpc = "http://127.0.0.1:{}"
key = "relayer"
keyring = "{k}"
trusting_period_secs = 60

[[paths]]
name = "ab"
a = {{ chain = "ibca-1" }}
b = {{ chain = "ibcb-1" }}
"#,
            26657 + 100 * 54,
            26657 + 100 * 55,
            k = keys.path().display()
        ),
    )
    .unwrap();

    // Handshakes: clients, connection, channel.
    let path = relayer(&config, &["create", "path", "ab"]);
    let chan_a = path["a"]["channel"].as_str().unwrap().to_string();
    let chan_b = path["b"]["channel"].as_str().unwrap().to_string();
    assert_eq!(path["a"]["client"], "07-tendermint-0", "{path}");
    assert!(path["b"]["connection"]
        .as_str()
        .unwrap()
        .starts_with("connection-"));

    let (ra, rb) = (a.rpc(0), b.rpc(0));
    let escrow_a = escrow(ra, &chan_a).await;
    let far = (1, rb.latest_height().await.unwrap() + 10_000);

    // A -> B: escrowed on A, a voucher minted on B.
    let user_a0 = balance(ra, &user_addr, None).await;
    let gas = 400_000;
    a.send_ok(
        &user,
        vec![transfer(
            &user_addr, &user_addr, &chan_a, "uxyz", 1_000, far,
        )],
        gas,
    )
    .await;
    let fee = proof_sdk::tx::min_gas_fee(gas);
    assert_eq!(balance(ra, &user_addr, None).await, user_a0 - 1_000 - fee);
    assert_eq!(balance_of(ra, &escrow_a, "uxyz").await, 1_000);
    let r = relayer(&config, &["clear", "--path", "ab"]);
    assert_eq!(r["received"], 1, "{r}");
    let ibc_denom = voucher(&format!("transfer/{chan_b}/uxyz"));
    assert_eq!(balance_of(rb, &user_addr, &ibc_denom).await, 1_000);
    assert_eq!(supply_of(rb, &ibc_denom).await, 1_000);
    assert_eq!(
        denom_trace(rb, &ibc_denom).await,
        (format!("transfer/{chan_b}"), "uxyz".to_string())
    );
    // The acknowledgement goes back to A on the next clear.
    let r = relayer(&config, &["clear", "--path", "ab"]);
    assert_eq!(r["acknowledged"], 1, "{r}");
    // Nothing is left: a further clear finds nothing.
    let r = relayer(&config, &["clear", "--path", "ab"]);
    assert_eq!(
        (r["received"].as_u64(), r["acknowledged"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );

    // The return trip: B burns the voucher, A unescrows.
    let far_a = (1, ra.latest_height().await.unwrap() + 10_000);
    b.send_ok(
        &user,
        vec![transfer(
            &user_addr, &user_addr, &chan_b, &ibc_denom, 400, far_a,
        )],
        gas,
    )
    .await;
    assert_eq!(
        supply_of(rb, &ibc_denom).await,
        600,
        "the voucher is burnt on leaving"
    );
    relayer(&config, &["clear", "--path", "ab"]);
    relayer(&config, &["clear", "--path", "ab"]);
    assert_eq!(balance_of(ra, &escrow_a, "uxyz").await, 600);
    assert_eq!(balance(ra, &user_addr, None).await, user_a0 - 600 - fee);

    // A timeout refunds: a packet B can receive only until a height already passed by the
    // time anyone relays it.
    let soon = (1, rb.latest_height().await.unwrap() + 2);
    let before = balance(ra, &user_addr, None).await;
    a.send_ok(
        &user,
        vec![transfer(&user_addr, &user_addr, &chan_a, "uxyz", 77, soon)],
        gas,
    )
    .await;
    rb.wait_for_height(soon.1 + 1, Duration::from_secs(60))
        .await
        .unwrap();
    let r = relayer(&config, &["clear", "--path", "ab"]);
    assert_eq!(r["timed_out"], 1, "{r}");
    assert_eq!(
        balance(ra, &user_addr, None).await,
        before - fee,
        "refunded, less the fee"
    );
    assert_eq!(balance_of(ra, &escrow_a, "uxyz").await, 600);
    assert_eq!(supply_of(rb, &ibc_denom).await, 600);

    // Conservation on B: what the user holds of the voucher is all of it.
    assert_eq!(balance_of(rb, &user_addr, &ibc_denom).await, 600);

    grpc_answers(a.rpc(0), 54, &chan_a).await;
    refusals(&a, &b, &keys, &user, &chan_a, &ibc_denom).await;
    restart_clears_pending(&a, &b, &config, &user, &chan_a, &ibc_denom).await;
    clients_refreshed(&a, &b, &keys, &config).await;
    frozen_client_refuses(&a, &b, &keys, &config, &user, &chan_a, &ibc_denom).await;
}

/// The gRPC server answers the router's services at the height asked, and says so; a missing
/// client is `NotFound`.
async fn grpc_answers(rpc: &proof_sdk::rpc::RpcClient, index: u16, chan: &str) {
    use ibc_proto::ibc::core::channel::v1::{
        QueryChannelRequest, QueryChannelResponse, QueryChannelsRequest, QueryChannelsResponse,
    };
    use ibc_proto::ibc::core::client::v1::{QueryClientStateRequest, QueryClientStateResponse};
    let url = format!("http://127.0.0.1:{}", 9090 + 100 * index);
    let channel = tonic::transport::Channel::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    let header_height = |m: &tonic::metadata::MetadataMap| -> u64 {
        m.get("x-cosmos-block-height")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    // A listing, at the latest height: the header and the body name the height read.
    grpc.ready().await.unwrap();
    let resp: tonic::Response<QueryChannelsResponse> = grpc
        .unary(
            tonic::Request::new(QueryChannelsRequest::default()),
            http::uri::PathAndQuery::from_static("/ibc.core.channel.v1.Query/Channels"),
            tonic::codec::ProstCodec::default(),
        )
        .await
        .unwrap();
    let at = header_height(resp.metadata());
    let r = resp.into_inner();
    assert_eq!(r.height.unwrap().revision_height, at);
    assert_eq!(r.channels.len(), 1);
    assert_eq!(
        (r.channels[0].channel_id.as_str(), r.channels[0].state),
        (chan, 3),
        "OPEN"
    );
    // A point read at an earlier height, asked in the header.
    let h = rpc.latest_height().await.unwrap() - 1;
    let mut req = tonic::Request::new(QueryChannelRequest {
        port_id: "transfer".into(),
        channel_id: chan.into(),
    });
    req.metadata_mut()
        .insert("x-cosmos-block-height", h.to_string().parse().unwrap());
    grpc.ready().await.unwrap();
    let resp: tonic::Response<QueryChannelResponse> = grpc
        .unary(
            req,
            http::uri::PathAndQuery::from_static("/ibc.core.channel.v1.Query/Channel"),
            tonic::codec::ProstCodec::default(),
        )
        .await
        .unwrap();
    assert_eq!(header_height(resp.metadata()), h);
    assert_eq!(resp.into_inner().channel.unwrap().state, 3);
    grpc.ready().await.unwrap();
    let missing: Result<tonic::Response<QueryClientStateResponse>, _> = grpc
        .unary(
            tonic::Request::new(QueryClientStateRequest {
                client_id: "07-tendermint-99".into(),
            }),
            http::uri::PathAndQuery::from_static("/ibc.core.client.v1.Query/ClientState"),
            tonic::codec::ProstCodec::default(),
        )
        .await;
    assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);
}

fn relayer_chain(
    net: &Localnet,
    index: u16,
    keys: &tempfile::TempDir,
) -> proof_relayer::chain::Chain {
    let cfg = proof_relayer::config::ChainConfig {
        id: net.chain_id.clone(),
        rpc: format!("http://127.0.0.1:{}", 26657 + 100 * index),
        kind: proof_relayer::config::ChainKind::Proof,
        key: "relayer".into(),
        keyring: keys.path().to_path_buf(),
        prefix: "proof".into(),
        trusting_period_secs: None,
        max_clock_drift_secs: 40,
    };
    proof_relayer::connect(&cfg, PASSWORD).unwrap()
}

/// A forged proof, a forged packet, a proof at a height the client never saw, and a replayed
/// packet: each refused, nothing minted.
async fn refusals(
    a: &Localnet,
    b: &Localnet,
    keys: &tempfile::TempDir,
    user: &PrivateKey,
    chan_a: &str,
    ibc_denom: &str,
) {
    use ibc_proto::ibc::core::channel::v1::{MsgRecvPacket, Packet as RawPacket};
    let (ca, cb) = (relayer_chain(a, 54, keys), relayer_chain(b, 55, keys));
    let (ra, rb) = (a.rpc(0), b.rpc(0));
    let user_addr = user.address();
    let far = (1, rb.latest_height().await.unwrap() + 10_000);
    let h = a
        .send_ok(
            user,
            vec![transfer(&user_addr, &user_addr, chan_a, "uxyz", 5, far)],
            400_000,
        )
        .await;
    let sent = ca.block_events(h).await.unwrap();
    let ev = sent
        .iter()
        .find(|e| e.kind == "send_packet")
        .expect("send_packet event");
    let packet = proof_relayer::packets::Packet::from_event(ev).unwrap();
    let supply_b = supply_of(rb, ibc_denom).await;
    let client_b = "07-tendermint-0";
    let at = ra.latest_height().await.unwrap();
    ca.wait_for(at + 1).await.unwrap();
    let update = proof_relayer::client::update_msg(&cb, &ca, client_b, at + 1)
        .await
        .unwrap();
    if let Some(u) = update {
        cb.send(vec![u]).await.unwrap();
    }
    let path = format!(
        "commitments/ports/transfer/channels/{chan_a}/sequences/{}",
        packet.sequence
    );
    let (_, proof) = ca.query_proven(&path, at).await.unwrap();
    let recv = |proof: Vec<u8>, h: u64, p: RawPacket| {
        proof_relayer::client::tx_any(
            "/ibc.core.channel.v1.MsgRecvPacket",
            &MsgRecvPacket {
                packet: Some(p),
                proof_commitment: proof,
                proof_height: Some(Height {
                    revision_number: 1,
                    revision_height: h,
                }),
                signer: cb.signer(),
            },
        )
    };
    // Forged: one byte of the proof changed.
    let mut forged = proof.clone();
    let mid = forged.len() / 2;
    forged[mid] ^= 1;
    let e = cb
        .send(vec![recv(forged, at + 1, packet.to_raw())])
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("failed"), "{e:#}");
    // Forged packet: a valid proof, of another amount.
    let mut inflated = packet.to_raw();
    inflated.data = String::from_utf8(inflated.data)
        .unwrap()
        .replace("\"5\"", "\"5000\"")
        .into_bytes();
    assert!(cb
        .send(vec![recv(proof.clone(), at + 1, inflated)])
        .await
        .is_err());
    // Stale: a height the client holds no consensus state for.
    assert!(cb
        .send(vec![recv(proof.clone(), at + 500, packet.to_raw())])
        .await
        .is_err());
    assert_eq!(supply_of(rb, ibc_denom).await, supply_b, "nothing minted");
    // The genuine one is received once; its replay changes nothing.
    cb.send(vec![recv(proof.clone(), at + 1, packet.to_raw())])
        .await
        .unwrap();
    assert_eq!(supply_of(rb, ibc_denom).await, supply_b + 5);
    let replay = cb.send(vec![recv(proof, at + 1, packet.to_raw())]).await;
    assert_eq!(
        supply_of(rb, ibc_denom).await,
        supply_b + 5,
        "replay minted again: {replay:?}"
    );
}

/// `proof-relayer start` relays as blocks come; killed with packets in flight and restarted,
/// it clears what was left.
async fn restart_clears_pending(
    a: &Localnet,
    b: &Localnet,
    config: &Path,
    user: &PrivateKey,
    chan_a: &str,
    ibc_denom: &str,
) {
    let (ra, rb) = (a.rpc(0), b.rpc(0));
    let user_addr = user.address();
    let spawn = || {
        Command::new(relayer_bin())
            .arg("--config")
            .arg(config)
            .args(["start"])
            .env("PROOF_KEYRING_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(Running)
            .unwrap()
    };
    let escrow_a = escrow(ra, chan_a).await;
    let held_b = balance_of(rb, &user_addr, ibc_denom).await;
    let far = (1, rb.latest_height().await.unwrap() + 10_000);
    let relayer = spawn();
    for _ in 0..3 {
        a.send_ok(
            user,
            vec![transfer(&user_addr, &user_addr, chan_a, "uxyz", 10, far)],
            400_000,
        )
        .await;
    }
    wait_until("the running relayer delivers three packets", || async {
        balance_of(rb, &user_addr, ibc_denom).await == held_b + 30
    })
    .await;
    drop(relayer); // SIGKILL
    for _ in 0..2 {
        a.send_ok(
            user,
            vec![transfer(&user_addr, &user_addr, chan_a, "uxyz", 10, far)],
            400_000,
        )
        .await;
    }
    let relayer = spawn();
    wait_until(
        "the restarted relayer clears the two sent while it was down",
        || async { balance_of(rb, &user_addr, ibc_denom).await == held_b + 50 },
    )
    .await;
    // Every acknowledgement returns: nothing stays committed on A.
    wait_until("every acknowledgement is back on A", || async {
        commitments(ra, chan_a).await == 0
    })
    .await;
    drop(relayer);
    // Conserved to the unit: A's escrow is exactly the voucher supply on B.
    assert_eq!(
        balance_of(ra, &escrow_a, "uxyz").await,
        supply_of(rb, ibc_denom).await,
        "escrowed on A = vouchers on B"
    );
}

/// `header` with its app hash replaced and its commit signed again by `validator`: a second
/// block at the same height, as a validator of the reference chain that signs two would make.
fn conflicting(
    header: &ibc_proto::ibc::lightclients::tendermint::v1::Header,
    chain_id: &str,
    validator: &ed25519_dalek::SigningKey,
) -> ibc_proto::ibc::lightclients::tendermint::v1::Header {
    use ed25519_dalek::Signer as _;
    use tendermint::block::{signed_header::SignedHeader, CommitSig};
    let mut sh = SignedHeader::try_from(header.signed_header.clone().unwrap()).unwrap();
    let mut forged = sh.header().clone();
    forged.app_hash = tendermint::AppHash::try_from(vec![0xAB; 32]).unwrap();
    let mut commit = sh.commit().clone();
    commit.block_id.hash = forged.hash();
    let chain: tendermint::chain::Id = chain_id.parse().unwrap();
    for (i, sig) in commit.signatures.iter_mut().enumerate() {
        if let CommitSig::BlockIdFlagCommit {
            validator_address,
            timestamp,
            signature,
        } = sig
        {
            let vote = tendermint::vote::Vote {
                vote_type: tendermint::vote::Type::Precommit,
                height: commit.height,
                round: commit.round,
                block_id: Some(commit.block_id),
                timestamp: Some(*timestamp),
                validator_address: *validator_address,
                validator_index: (i as u32).try_into().unwrap(),
                signature: None,
                extension: vec![],
                extension_signature: None,
            };
            let bytes = vote.into_signable_vec(chain.clone());
            *signature = Some(
                tendermint::Signature::try_from(validator.sign(&bytes).to_bytes().as_slice())
                    .unwrap(),
            );
        }
    }
    sh = SignedHeader::new(forged, commit).unwrap();
    let mut out = header.clone();
    out.signed_header = Some(sh.into());
    out
}

/// A relayer process, SIGKILLed when dropped (also when the test fails while it runs).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `proof-relayer start` on `config`, logging to `log`; returns once it relays.
async fn start_relayer(config: &Path, log: &Path) -> Running {
    let child = Command::new(relayer_bin())
        .arg("--config")
        .arg(config)
        .arg("start")
        .env("PROOF_KEYRING_PASSWORD", PASSWORD)
        .env("RUST_LOG", "proof_relayer=info")
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let running = Running(child);
    wait_until("the relayer is up", || async {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .contains("relaying")
    })
    .await;
    running
}

/// The latest height of the reference chain `client` on `host` knows.
async fn client_height(host: &proof_relayer::chain::Chain, client: &str) -> u64 {
    proof_relayer::client::client_state(host, client)
        .await
        .unwrap()
        .latest_height
        .unwrap()
        .revision_height
}

/// With no packets to carry updates, the running relayer still updates both clients once a
/// third of their trusting period (60 s here) has passed, so neither expires.
async fn clients_refreshed(a: &Localnet, b: &Localnet, keys: &tempfile::TempDir, config: &Path) {
    let (ca, cb) = (relayer_chain(a, 54, keys), relayer_chain(b, 55, keys));
    let client = "07-tendermint-0";
    let (was_a, was_b) = (
        client_height(&ca, client).await,
        client_height(&cb, client).await,
    );
    let mut cfg = proof_relayer::config::Config::load(config).unwrap();
    cfg.global.clear_interval_blocks = 2;
    let often = keys.path().join("often.toml");
    cfg.save(&often).unwrap();
    let log = keys.path().join("often.log");
    let relayer = start_relayer(&often, &log).await;
    let refreshed = || {
        std::fs::read_to_string(&log)
            .unwrap()
            .matches("refreshed client")
            .count()
    };
    wait_until("the relayer refreshes both clients", || async {
        refreshed() >= 2
    })
    .await;
    assert!(client_height(&ca, client).await > was_a);
    assert!(client_height(&cb, client).await > was_b);
    // Refreshed, they are not due again for another 20 s.
    tokio::time::sleep(Duration::from_secs(5)).await;
    drop(relayer);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.matches("refreshed client").count(), 2, "{logged}");
    assert!(!logged.contains("WARN"), "{logged}");
}

/// A header that conflicts with the reference chain's own block, fed to a client: the running
/// relayer sees the update, checks it against the chain and submits the evidence, which
/// freezes the client; a frozen client then refuses a packet with a genuine proof, and any
/// further update.
async fn frozen_client_refuses(
    a: &Localnet,
    b: &Localnet,
    keys: &tempfile::TempDir,
    config: &Path,
    user: &PrivateKey,
    chan_a: &str,
    ibc_denom: &str,
) {
    use ibc_proto::ibc::core::channel::v1::MsgRecvPacket;
    use ibc_proto::ibc::core::client::v1::{
        MsgUpdateClient, QueryClientStatusRequest, QueryClientStatusResponse,
    };
    let (ca, cb) = (relayer_chain(a, 54, keys), relayer_chain(b, 55, keys));
    let (ra, rb) = (a.rpc(0), b.rpc(0));
    let client_b = "07-tendermint-0";
    let user_addr = user.address();
    let update = |header: ibc_proto::ibc::lightclients::tendermint::v1::Header| {
        proof_relayer::client::tx_any(
            "/ibc.core.client.v1.MsgUpdateClient",
            &MsgUpdateClient {
                client_id: client_b.into(),
                client_message: Some(proof_relayer::client::ibc_any(
                    proof_relayer::client::HEADER_URL,
                    &header,
                )),
                signer: cb.signer(),
            },
        )
    };
    let status = || async {
        let r: QueryClientStatusResponse = rb
            .grpc_query(
                "/ibc.core.client.v1.Query/ClientStatus",
                &QueryClientStatusRequest {
                    client_id: client_b.into(),
                },
                None,
            )
            .await
            .unwrap();
        r.status
    };

    // A packet sent while no relayer runs, and B's client taken (genuinely) to A's header
    // `at + 1`, whose app hash proves it.
    let far = (1, rb.latest_height().await.unwrap() + 10_000);
    let h = a
        .send_ok(
            user,
            vec![transfer(&user_addr, &user_addr, chan_a, "uxyz", 3, far)],
            400_000,
        )
        .await;
    let sent = ca.block_events(h).await.unwrap();
    let packet = proof_relayer::packets::Packet::from_event(
        sent.iter().find(|e| e.kind == "send_packet").unwrap(),
    )
    .unwrap();
    let at = ra.latest_height().await.unwrap();
    if let Some(u) = proof_relayer::client::update_msg(&cb, &ca, client_b, at + 1)
        .await
        .unwrap()
    {
        cb.send(vec![u]).await.unwrap();
    }

    // The relayer runs, told to leave that packet alone (no clearing on start).
    let quiet = keys.path().join("quiet.toml");
    let mut cfg = proof_relayer::config::Config::load(config).unwrap();
    cfg.global.clear_on_start = false;
    cfg.global.clear_interval_blocks = 100_000;
    cfg.save(&quiet).unwrap();
    let log = keys.path().join("quiet.log");
    let relayer = start_relayer(&quiet, &log).await;

    // A second block at `at + 2`, signed by A's one validator: the client accepts it.
    ca.wait_for(at + 2).await.unwrap();
    let genuine = proof_relayer::client::header(&ca, at + 1, at + 2)
        .await
        .unwrap();
    let validator = match a.nodes[0].keys().1 {
        PrivateKey::Ed25519(k) => k,
        _ => unreachable!("consensus keys are ed25519"),
    };
    cb.send(vec![update(conflicting(&genuine, &a.chain_id, &validator))])
        .await
        .unwrap();
    let start = std::time::Instant::now();
    while status().await != "Frozen" {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the relayer did not freeze the client:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(relayer);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("submitting the evidence"),
        "the relayer did not say why:\n{logged}"
    );

    // The packet, proven against the genuine consensus state the client holds: refused.
    let supply_b = supply_of(rb, ibc_denom).await;
    let path = format!(
        "commitments/ports/transfer/channels/{chan_a}/sequences/{}",
        packet.sequence
    );
    let (_, proof) = ca.query_proven(&path, at).await.unwrap();
    let e = cb
        .send(vec![proof_relayer::client::tx_any(
            "/ibc.core.channel.v1.MsgRecvPacket",
            &MsgRecvPacket {
                packet: Some(packet.to_raw()),
                proof_commitment: proof,
                proof_height: Some(Height {
                    revision_number: 1,
                    revision_height: at + 1,
                }),
                signer: cb.signer(),
            },
        )])
        .await
        .unwrap_err();
    assert!(format!("{e:#}").to_lowercase().contains("frozen"), "{e:#}");
    assert_eq!(supply_of(rb, ibc_denom).await, supply_b, "nothing minted");
    // Nor does it take genuine updates any more.
    ca.wait_for(at + 4).await.unwrap();
    let later = proof_relayer::client::header(&ca, at + 1, at + 4)
        .await
        .unwrap();
    assert!(
        cb.send(vec![update(later)]).await.is_err(),
        "a frozen client updated"
    );
}
