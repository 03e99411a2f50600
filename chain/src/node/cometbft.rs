//! Everything about the CometBFT process: finding the binary, generating and patching its
//! config, and supervising it while the node runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use toml_edit::{value, DocumentMut};
use tracing::{error, info, warn};

use super::config::Ports;

pub const REQUIRED_VERSION: &str = "0.38.25";

/// Finds `cometbft`: explicit path, `$PROOF_COMETBFT`, `$PATH`, then Go's install directories.
pub fn find_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Ok(p) = std::env::var("PROOF_COMETBFT") {
        return Ok(PathBuf::from(p));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("cometbft"))
                .collect()
        })
        .unwrap_or_default();
    if let Ok(gobin) = std::env::var("GOBIN") {
        candidates.push(PathBuf::from(gobin).join("cometbft"));
    }
    if let Ok(gopath) = std::env::var("GOPATH") {
        candidates.push(PathBuf::from(gopath).join("bin/cometbft"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join("go/bin/cometbft"));
    }
    candidates.into_iter().find(|p| p.is_file()).context(
        "cometbft not found: run scripts/setup.sh, or `go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.25`, or pass --cometbft",
    )
}

pub fn check_version(bin: &Path) -> Result<()> {
    let out = Command::new(bin)
        .arg("version")
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if v != REQUIRED_VERSION {
        warn!(found = %v, required = REQUIRED_VERSION, "unexpected CometBFT version");
    }
    Ok(())
}

/// Runs `cometbft init` in `cmt_home` (keys, default config, a one-validator genesis).
pub fn init_home(bin: &Path, cmt_home: &Path) -> Result<()> {
    let out = Command::new(bin)
        .args(["init", "--home"])
        .arg(cmt_home)
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "cometbft init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Settings written into CometBFT's config.toml.
pub struct CometSettings<'a> {
    pub moniker: &'a str,
    pub ports: Ports,
    pub host: &'a str,
    pub block_time_ms: u64,
    pub persistent_peers: String,
}

pub fn patch_config(cmt_home: &Path, s: &CometSettings<'_>) -> Result<()> {
    let path = cmt_home.join("config/config.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: DocumentMut = text
        .parse()
        .with_context(|| format!("invalid {}", path.display()))?;
    let h = s.host;
    doc["moniker"] = value(s.moniker);
    doc["proxy_app"] = value(format!("tcp://127.0.0.1:{}", s.ports.abci));
    doc["log_level"] = value("info");
    doc["rpc"]["laddr"] = value(format!("tcp://{h}:{}", s.ports.rpc));
    doc["rpc"]["max_open_connections"] = value(2000);
    doc["rpc"]["max_body_bytes"] = value(4_000_000);
    doc["p2p"]["laddr"] = value(format!("tcp://{h}:{}", s.ports.p2p));
    doc["p2p"]["persistent_peers"] = value(s.persistent_peers.as_str());
    // Several nodes share 127.0.0.1 on a localnet.
    doc["p2p"]["allow_duplicate_ip"] = value(true);
    doc["p2p"]["addr_book_strict"] = value(false);
    doc["p2p"]["send_rate"] = value(52_428_800);
    doc["p2p"]["recv_rate"] = value(52_428_800);
    doc["mempool"]["size"] = value(100_000);
    doc["mempool"]["max_txs_bytes"] = value(1_073_741_824i64);
    doc["mempool"]["cache_size"] = value(200_000);
    doc["mempool"]["recheck"] = value(true);
    doc["consensus"]["timeout_commit"] = value(format!("{}ms", s.block_time_ms));
    doc["consensus"]["timeout_propose"] = value("3s");
    doc["tx_index"]["indexer"] = value("kv");
    doc["instrumentation"]["prometheus"] = value(true);
    doc["instrumentation"]["prometheus_listen_addr"] =
        value(format!("127.0.0.1:{}", s.ports.cometbft_metrics));
    std::fs::write(&path, doc.to_string())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// CometBFT's node id: hex of the first 20 bytes of sha256(ed25519 public key).
pub fn node_id(cmt_home: &Path) -> Result<String> {
    let path = cmt_home.join("config/node_key.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
        .with_context(|| format!("invalid {}", path.display()))?;
    let b64 = v["priv_key"]["value"]
        .as_str()
        .context("node_key.json has no priv_key.value")?;
    let key = base64::engine::general_purpose::STANDARD.decode(b64)?;
    anyhow::ensure!(key.len() == 64, "node key must be 64 bytes");
    Ok(hex::encode(&Sha256::digest(&key[32..])[..20]))
}

/// The genesis validator entry for this home's consensus key.
pub fn validator_entry(cmt_home: &Path, name: &str, power: u64) -> Result<serde_json::Value> {
    let path = cmt_home.join("config/priv_validator_key.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
        .with_context(|| format!("invalid {}", path.display()))?;
    Ok(serde_json::json!({
        "address": v["address"],
        "pub_key": v["pub_key"],
        "power": power.to_string(),
        "name": name,
    }))
}

/// Runs CometBFT and restarts it if it dies, until `stop` is set.
pub struct Supervisor {
    pub stop: Arc<AtomicBool>,
    pub pid: Arc<AtomicI32>,
}

impl Supervisor {
    /// Starts the supervising thread. It must be a long-lived OS thread: the child is killed
    /// (PR_SET_PDEATHSIG) when the thread that spawned it exits, which is what we want when
    /// proofd itself dies, even by SIGKILL.
    pub fn spawn(
        bin: PathBuf,
        cmt_home: PathBuf,
        log_path: PathBuf,
        on_give_up: impl FnOnce(String) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let pid = Arc::new(AtomicI32::new(0));
        let (stop2, pid2) = (stop.clone(), pid.clone());
        std::thread::Builder::new()
            .name("cometbft-supervisor".into())
            .spawn(move || {
                let mut restarts: Vec<Instant> = Vec::new();
                loop {
                    match spawn_child(&bin, &cmt_home, &log_path) {
                        Ok(mut child) => {
                            pid2.store(child.id() as i32, Ordering::SeqCst);
                            info!(pid = child.id(), log = %log_path.display(), "cometbft started");
                            let status = child.wait();
                            pid2.store(0, Ordering::SeqCst);
                            if stop2.load(Ordering::SeqCst) {
                                info!(?status, "cometbft stopped");
                                return;
                            }
                            error!(?status, log = %log_path.display(), "cometbft exited unexpectedly");
                        }
                        Err(e) => error!(error = %format!("{e:#}"), "cannot start cometbft"),
                    }
                    restarts.retain(|t| t.elapsed() < Duration::from_secs(60));
                    restarts.push(Instant::now());
                    if restarts.len() > 5 {
                        on_give_up(format!("cometbft failed {} times within a minute; see {}", restarts.len(), log_path.display()));
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(restarts.len() as u64));
                }
            })
            .expect("spawn supervisor thread");
        Self { stop, pid }
    }

    /// Asks CometBFT to stop (SIGTERM), then kills it if it is still there after `grace`.
    pub fn shutdown(&self, grace: Duration) {
        self.stop.store(true, Ordering::SeqCst);
        let pid = self.pid.load(Ordering::SeqCst);
        if pid <= 0 {
            return;
        }
        // SAFETY: kill(2) with a pid we spawned; no memory is touched.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let start = Instant::now();
        while self.pid.load(Ordering::SeqCst) != 0 && start.elapsed() < grace {
            std::thread::sleep(Duration::from_millis(50));
        }
        let pid = self.pid.load(Ordering::SeqCst);
        if pid > 0 {
            warn!(pid, "cometbft did not stop in time; killing it");
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

fn spawn_child(bin: &Path, cmt_home: &Path, log_path: &Path) -> Result<Child> {
    use std::os::unix::process::CommandExt;
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)?;
    let mut cmd = Command::new(bin);
    cmd.args(["start", "--home"])
        .arg(cmt_home)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: prctl in the forked child before exec only sets its parent-death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.spawn()
        .with_context(|| format!("cannot start {}", bin.display()))
}
