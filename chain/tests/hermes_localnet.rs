//! IBC end to end through stock Hermes (`ibc-relayer-cli` 1.10.5, the relayer most operators
//! run): two single-validator chains of ours, Hermes configured exactly as
//! `ibc-relayer/HERMES.md` documents (the test reads its config from there). `hermes
//! health-check` with no warning; the channel handshake with new clients and a new connection;
//! ICS-20 both ways with the voucher's denom trace and the return trip that unescrows; a timeout
//! that refunds; `hermes start` killed with packets in flight and restarted, clearing them; and
//! balances and supply conserved to the unit on both sides.
//!
//! Hermes builds from crates.io (~16 min on 2 cores), so this test is `#[ignore]`d in a plain
//! `cargo test`: `scripts/test.sh` builds Hermes beside the rest of the suite and then runs this
//! test with `--ignored`; `bash scripts/setup.sh --hermes` installs Hermes by hand.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::ibc::{
    balance_of, commitments, denom_trace, escrow, supply_of, transfer, voucher, wait_until_or_show,
    TRANSFER_GAS,
};
use common::localnet::{balance, Localnet};
use proof_sdk::keystore::Keystore;
use proof_sdk::{KeyType, PrivateKey};

const HERMES_VERSION: &str = "1.10.5";
const FUNDS: u128 = 1_000_000_000_000;
/// Node indices of the two chains (ports 26657 + 100 i, gRPC 9090 + 100 i).
const A: u16 = 58;
const B: u16 = 59;

/// The Hermes binary: `$PROOF_HERMES`, else `hermes` on PATH or in `~/.cargo/bin`, of the
/// version the docs were checked with.
fn hermes_bin() -> PathBuf {
    let candidates = std::env::var_os("PROOF_HERMES")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            std::env::var_os("PATH")
                .into_iter()
                .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .map(|d| d.join("hermes")),
        )
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/hermes")));
    for bin in candidates {
        let Ok(out) = Command::new(&bin).arg("version").output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(HERMES_VERSION),
            "{} is Hermes {text:?}; this test needs {HERMES_VERSION} (bash scripts/setup.sh --hermes)",
            bin.display()
        );
        return bin;
    }
    panic!("stock Hermes {HERMES_VERSION} is not installed: bash scripts/setup.sh --hermes");
}

struct Hermes {
    bin: PathBuf,
    config: PathBuf,
}

/// A `hermes start` process, SIGKILLed when dropped (also when the test fails).
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One run of a Hermes command with `--json`: its log lines and its result.
struct Run {
    logs: Vec<serde_json::Value>,
    result: serde_json::Value,
}

impl Run {
    /// Log lines at WARN or ERROR.
    fn warnings(&self) -> Vec<&serde_json::Value> {
        self.logs
            .iter()
            .filter(|l| matches!(l["level"].as_str(), Some("WARN" | "ERROR")))
            .collect()
    }
}

impl Hermes {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--config").arg(&self.config).arg("--json");
        c
    }

    /// Runs `args`, which must succeed.
    fn run(&self, args: &[&str]) -> Run {
        let out = self.command().args(args).output().expect("run hermes");
        let stdout = String::from_utf8_lossy(&out.stdout);
        // With --json, Hermes writes its logs and then its result to stdout, a JSON object a line.
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let (results, logs): (Vec<_>, Vec<_>) =
            lines.into_iter().partition(|l| l.get("status").is_some());
        let result = results.into_iter().last().unwrap_or_default();
        assert!(
            out.status.success() && result["status"] == "success",
            "hermes {args:?} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // Hermes estimates gas by simulating; if that fails it falls back to `default_gas` and
        // says so, and a batch bigger than that default then runs out of gas.
        let failed_simulations: Vec<&serde_json::Value> = logs
            .iter()
            .filter(|l| simulation_failed(&l.to_string()))
            .collect();
        assert!(
            failed_simulations.is_empty(),
            "hermes {args:?}: simulation failed: {failed_simulations:#?}"
        );
        Run {
            logs,
            result: result["result"].clone(),
        }
    }

    /// `hermes start` in the background, its output in `log`.
    fn start(&self, log: &Path) -> Started {
        let log = std::fs::File::create(log).unwrap();
        Started(
            self.command()
                .arg("start")
                .stdout(log)
                .stderr(Stdio::null())
                .spawn()
                .expect("start hermes"),
        )
    }

    /// Clears the channel (both directions, packets and acks) until Hermes reports nothing
    /// pending on it.
    fn clear(&self, chain: &str, channel: &str) {
        for _ in 0..5 {
            self.run(&[
                "clear",
                "packets",
                "--chain",
                chain,
                "--port",
                "transfer",
                "--channel",
                channel,
            ]);
            if self.pending(chain, channel) == 0 {
                return;
            }
        }
        panic!(
            "hermes leaves packets pending on {chain}/{channel}: {}",
            self.pending(chain, channel)
        );
    }

    /// How many sequences `hermes query packet pending` lists, both ends, packets and acks.
    fn pending(&self, chain: &str, channel: &str) -> usize {
        let r = self.run(&[
            "query",
            "packet",
            "pending",
            "--chain",
            chain,
            "--port",
            "transfer",
            "--channel",
            channel,
        ]);
        fn count(v: &serde_json::Value) -> usize {
            match v {
                serde_json::Value::Array(a) => a.len(),
                serde_json::Value::Object(o) => o.values().map(count).sum(),
                _ => 0,
            }
        }
        count(&r.result)
    }
}

/// Whether Hermes's log says a gas simulation failed (it then falls back to `default_gas`).
fn simulation_failed(log: &str) -> bool {
    log.contains("failed to simulate") || log.contains("simulation failing")
}

/// Hermes's config: the chain entry of HERMES.md for each chain (its id and ports swapped in,
/// keys kept in `keys`), and a `[global]`/`[mode]` that relays packets only.
fn hermes_config(dir: &Path, chains: &[(&str, u16)]) -> PathBuf {
    let doc = include_str!("../../ibc-relayer/HERMES.md");
    let block = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("\n```").next())
        .expect("HERMES.md has a toml block");
    let documented: toml::Table = block.parse().expect("HERMES.md's config parses");
    let template = documented["chains"].as_array().unwrap()[0]
        .as_table()
        .unwrap()
        .clone();
    let entries: Vec<toml::Value> = chains
        .iter()
        .map(|(id, index)| {
            let mut c = template.clone();
            let rpc = 26657 + 100 * index;
            c.insert("id".into(), (*id).into());
            c.insert("rpc_addr".into(), format!("http://127.0.0.1:{rpc}").into());
            c.insert(
                "grpc_addr".into(),
                format!("http://127.0.0.1:{}", 9090 + 100 * index).into(),
            );
            let mut events = c["event_source"].as_table().unwrap().clone();
            events.insert(
                "url".into(),
                format!("ws://127.0.0.1:{rpc}/websocket").into(),
            );
            c.insert("event_source".into(), toml::Value::Table(events));
            c.insert(
                "key_store_folder".into(),
                dir.join("keys").display().to_string().into(),
            );
            toml::Value::Table(c)
        })
        .collect();
    let mut config: toml::Table = r#"
[global]
log_level = "info"

[mode.clients]
enabled = true
refresh = true
misbehaviour = true

[mode.connections]
enabled = false

[mode.channels]
enabled = false

[mode.packets]
enabled = true
clear_interval = 20
clear_on_start = true
tx_confirmation = true

[rest]
enabled = false
host = "127.0.0.1"
port = 3000

[telemetry]
enabled = false
host = "127.0.0.1"
port = 3001
"#
    .parse()
    .unwrap();
    config.insert("chains".into(), toml::Value::Array(entries));
    let path = dir.join("hermes.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs stock Hermes 1.10.5: scripts/test.sh runs it with --ignored"]
async fn two_chains_through_stock_hermes() {
    let bin = hermes_bin();
    let dir = tempfile::tempdir().unwrap();
    let (id_a, id_b) = ("hxa-1", "hxb-1");
    let hermes = Hermes {
        bin,
        config: hermes_config(dir.path(), &[(id_a, A), (id_b, B)]),
    };

    // Hermes's key: a secp256k1 key of our keystore, given to Hermes as its mnemonic. Hermes
    // derives the same account (m/44'/118'/0'/0/0, bech32 `proof`).
    let ks = Keystore::open_insecure_fast(dir.path().join("ours"));
    let (file, phrase) = ks
        .create("relayer", KeyType::Secp256k1, "hermes-test")
        .unwrap();
    let mnemonic = dir.path().join("mnemonic");
    std::fs::write(&mnemonic, phrase.as_bytes()).unwrap();
    for id in [id_a, id_b] {
        let m = mnemonic.to_str().unwrap();
        hermes.run(&["keys", "add", "--chain", id, "--mnemonic-file", m]);
        let listed = hermes.run(&["keys", "list", "--chain", id]);
        assert!(
            listed.result.to_string().contains(&file.address),
            "Hermes derives another address than {}: {}",
            file.address,
            listed.result
        );
    }

    let user = PrivateKey::generate(KeyType::Secp256k1);
    let user_addr = user.address();
    let accounts = [
        (file.address.parse().unwrap(), FUNDS),
        (user_addr.clone(), FUNDS),
    ];
    let a = Localnet::start(1, A, id_a, &accounts, None).await;
    let b = Localnet::start(1, B, id_b, &accounts, None).await;
    let (ra, rb) = (a.rpc(0), b.rpc(0));

    // Hermes finds nothing to warn about on either chain.
    let health = hermes.run(&["health-check"]);
    assert!(
        health.warnings().is_empty(),
        "hermes health-check warns: {:#?}",
        health.warnings()
    );

    // Handshakes: clients, connection and channel, all by Hermes.
    let created = hermes.run(&[
        "create",
        "channel",
        "--a-chain",
        id_a,
        "--b-chain",
        id_b,
        "--a-port",
        "transfer",
        "--b-port",
        "transfer",
        "--new-client-connection",
        "--yes",
    ]);
    let side = |s: &str| -> String {
        created.result[s]["channel_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no {s} channel id in {}", created.result))
            .to_string()
    };
    let (chan_a, chan_b) = (side("a_side"), side("b_side"));
    assert_eq!(created.result["a_side"]["client_id"], "07-tendermint-0");

    // A -> B: escrowed on A, a voucher minted on B with its trace.
    let escrow_a = escrow(ra, &chan_a).await;
    let fee = proof_sdk::tx::min_gas_fee(TRANSFER_GAS);
    let user_a0 = balance(ra, &user_addr, None).await;
    let far_b = (1, rb.latest_height().await.unwrap() + 10_000);
    let send = |chan: &str, denom: &str, amount: u128, timeout| {
        transfer(&user_addr, &user_addr, chan, denom, amount, timeout)
    };
    a.send_ok(
        &user,
        vec![send(&chan_a, "uxyz", 1_000, far_b)],
        TRANSFER_GAS,
    )
    .await;
    assert_eq!(hermes.pending(id_a, &chan_a), 1);
    hermes.clear(id_a, &chan_a);
    let ibc_denom = voucher(&format!("transfer/{chan_b}/uxyz"));
    assert_eq!(balance_of(rb, &user_addr, &ibc_denom).await, 1_000);
    assert_eq!(supply_of(rb, &ibc_denom).await, 1_000);
    assert_eq!(
        denom_trace(rb, &ibc_denom).await,
        (format!("transfer/{chan_b}"), "uxyz".to_string())
    );
    assert_eq!(commitments(ra, &chan_a).await, 0, "the ack is back on A");

    // The return trip: B burns 400 of the voucher, A unescrows them.
    let far_a = (1, ra.latest_height().await.unwrap() + 10_000);
    b.send_ok(
        &user,
        vec![send(&chan_b, &ibc_denom, 400, far_a)],
        TRANSFER_GAS,
    )
    .await;
    assert_eq!(supply_of(rb, &ibc_denom).await, 600, "burnt on leaving");
    hermes.clear(id_b, &chan_b);
    assert_eq!(balance_of(ra, &escrow_a, "uxyz").await, 600);
    assert_eq!(balance(ra, &user_addr, None).await, user_a0 - 600 - fee);

    // A timeout refunds: B could receive the packet only until a height passed before Hermes
    // sees it.
    let soon = (1, rb.latest_height().await.unwrap() + 2);
    let before = balance(ra, &user_addr, None).await;
    a.send_ok(&user, vec![send(&chan_a, "uxyz", 77, soon)], TRANSFER_GAS)
        .await;
    rb.wait_for_height(soon.1 + 1, Duration::from_secs(60))
        .await
        .unwrap();
    hermes.clear(id_a, &chan_a);
    assert_eq!(
        balance(ra, &user_addr, None).await,
        before - fee,
        "refunded, less the fee"
    );
    assert_eq!(balance_of(ra, &escrow_a, "uxyz").await, 600);
    assert_eq!(supply_of(rb, &ibc_denom).await, 600);

    // `hermes start` relays as blocks come; SIGKILLed with packets sent while it is down and
    // restarted, it clears them on start.
    let held_b = balance_of(rb, &user_addr, &ibc_denom).await;
    let log1 = dir.path().join("start-1.log");
    let running = hermes.start(&log1);
    let far_b = (1, rb.latest_height().await.unwrap() + 10_000);
    for _ in 0..3 {
        a.send_ok(&user, vec![send(&chan_a, "uxyz", 10, far_b)], TRANSFER_GAS)
            .await;
    }
    wait_until_or_show(
        "hermes start delivers three packets",
        Some(&log1),
        || async { balance_of(rb, &user_addr, &ibc_denom).await == held_b + 30 },
    )
    .await;
    // Hermes decides at start whether a channel needs a packet worker from its oldest
    // commitment alone (`PerPage { per_page: 1 }` in its scan): had it been killed with
    // acknowledgements still on their way, the packets sent while it was down would wait for
    // the next send on that channel. So it is killed once those came back.
    wait_until_or_show(
        "the acknowledgements are back on A",
        Some(&log1),
        || async { commitments(ra, &chan_a).await == 0 },
    )
    .await;
    drop(running); // SIGKILL
    for _ in 0..2 {
        a.send_ok(&user, vec![send(&chan_a, "uxyz", 10, far_b)], TRANSFER_GAS)
            .await;
    }
    let log2 = dir.path().join("start-2.log");
    let running = hermes.start(&log2);
    wait_until_or_show(
        "the restarted Hermes clears the two sent while it was down",
        Some(&log2),
        || async { balance_of(rb, &user_addr, &ibc_denom).await == held_b + 50 },
    )
    .await;
    wait_until_or_show(
        "every acknowledgement is back on A",
        Some(&log2),
        || async { commitments(ra, &chan_a).await == 0 },
    )
    .await;
    drop(running);
    for log in [&log1, &log2] {
        let text = std::fs::read_to_string(log).unwrap();
        assert!(
            !simulation_failed(&text),
            "hermes start: simulation failed:\n{text}"
        );
    }
    assert_eq!(hermes.pending(id_a, &chan_a), 0);

    // Conserved to the unit: A's escrow is all of B's voucher supply, held by the user; the
    // user's uxyz on A moved only by what it sent, what came back and its fees.
    assert_eq!(balance_of(ra, &escrow_a, "uxyz").await, 650);
    assert_eq!(supply_of(rb, &ibc_denom).await, 650);
    assert_eq!(balance_of(rb, &user_addr, &ibc_denom).await, 650);
    let sent_txs = 1 + 1 + 5; // 1,000 out, the timed-out 77, five of 10
    assert_eq!(
        balance(ra, &user_addr, None).await,
        user_a0 - 650 - sent_txs * fee
    );
}
