//! Real validators for the end-to-end tests: `proofd testnet` + `proofd start` processes (each
//! supervising its CometBFT) on 127.0.0.1, on the ports of node index `offset + i` so that tests
//! and a user's localnet do not collide.
//!
//! Keep every port below 32768 (node index <= 60): Linux hands out ephemeral ports from 32768 up,
//! and an outgoing connection of another node can take a listen port before its node binds it.
//! Indices in use: 12-15 fault_partition (in network namespaces), 20-23 pos_localnet, 24-25
//! upgrade_localnet, 30-33 + 38 pos_double_sign, 40-43 e2e_localnet, 44-47 fault_crash, 50-53
//! e2e_wasm, 54-55 ibc_localnet, 56 rollup_operator, 58-59 hermes_localnet, 60-61
//! rollup_localnet.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmos_sdk_proto::Any;
use proof_sdk::rpc::{RpcClient, TxResult};
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{Address, Coin, PrivateKey};
use prost::Message;

pub struct Node {
    pub home: PathBuf,
    pub child: Option<Child>,
    pub rpc: RpcClient,
}

impl Node {
    /// Starts `proofd` (appending to `proofd.log`, so a restart keeps the earlier log).
    pub fn start(&mut self) {
        self.start_with_env(&[]);
    }

    /// Starts `proofd` with extra environment variables.
    pub fn start_with_env(&mut self, env: &[(&str, &str)]) {
        self.spawn(&[], env);
    }

    /// Starts `proofd` through `wrapper` (e.g. `ip netns exec NS`), which must exec it.
    pub fn start_wrapped(&mut self, wrapper: &[&str]) {
        self.spawn(wrapper, &[]);
    }

    fn spawn(&mut self, wrapper: &[&str], env: &[(&str, &str)]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.join("proofd.log"))
            .unwrap();
        let proofd = env!("CARGO_BIN_EXE_proofd");
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(proofd);
                c
            }
            None => Command::new(proofd),
        };
        let child = cmd
            .args(["start", "--home"])
            .arg(&self.home)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start proofd");
        self.child = Some(child);
    }

    /// Waits up to `timeout` for `proofd` to exit by itself; returns its status if it did.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.as_mut()?.try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        None
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.join("proofd.log")).unwrap_or_default()
    }

    /// The last `n` lines of `file` (relative to the node's home), for failure messages.
    pub fn tail(&self, file: &str, n: usize) -> String {
        let text = std::fs::read_to_string(self.home.join(file)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// The node's consensus key (base64) and its operator key (the same ed25519 key, which
    /// `proofd testnet` makes the validator's operator account).
    pub fn keys(&self) -> (String, PrivateKey) {
        use base64::Engine as _;
        let path = self.home.join("cometbft/config/priv_validator_key.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let sk = base64::engine::general_purpose::STANDARD
            .decode(v["priv_key"]["value"].as_str().unwrap())
            .unwrap();
        let seed: [u8; 32] = sk[..32].try_into().unwrap();
        (
            v["pub_key"]["value"].as_str().unwrap().to_string(),
            PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)),
        )
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            // SAFETY: signalling our own child process.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

/// A running network of `n` validators in a temp dir.
pub struct Localnet {
    pub chain_id: String,
    pub nodes: Vec<Node>,
    // Dropped after the nodes (field order), so their files outlive them.
    _dir: tempfile::TempDir,
}

/// What the proof-of-stake tests add to a testnet's genesis: each validator's self-stake and the
/// staking genesis (slashing, epoch and governance parameters).
pub struct PosGenesis {
    pub validator_stake: u128,
    pub staking: serde_json::Value,
}

impl Localnet {
    /// Creates the network (funding `accounts` in genesis), starts every node and waits until
    /// each has produced a couple of blocks.
    pub async fn start(
        n: u16,
        offset: u16,
        chain_id: &str,
        accounts: &[(Address, u128)],
        pos: Option<&PosGenesis>,
    ) -> Localnet {
        let mut net = Self::create(n, offset, chain_id, accounts, pos);
        net.start_all();
        net.wait_all(2).await;
        net
    }

    /// Creates the network's homes (`proofd testnet`) without starting anything.
    pub fn create(
        n: u16,
        offset: u16,
        chain_id: &str,
        accounts: &[(Address, u128)],
        pos: Option<&PosGenesis>,
    ) -> Localnet {
        let dir = tempfile::tempdir().unwrap();
        testnet(dir.path(), n, offset, chain_id, accounts, pos);
        let mut net = Localnet {
            chain_id: chain_id.to_string(),
            nodes: Vec::new(),
            _dir: dir,
        };
        for i in 0..n {
            let home = net.nodes_dir().join(format!("node{i}"));
            net.add_node(home, offset + i);
        }
        net
    }

    pub fn nodes_dir(&self) -> PathBuf {
        self._dir.path().join("nodes")
    }

    /// Adds a node whose home is `home`, answering on the RPC port of node index `index`.
    pub fn add_node(&mut self, home: PathBuf, index: u16) {
        let rpc = RpcClient::new(&format!("http://127.0.0.1:{}", 26657 + 100 * index)).unwrap();
        self.nodes.push(Node {
            home,
            child: None,
            rpc,
        });
    }

    pub fn start_all(&mut self) {
        for node in &mut self.nodes {
            node.start();
        }
    }

    /// Waits until every node has reached `height`.
    pub async fn wait_all(&self, height: u64) {
        for node in &self.nodes {
            node.rpc
                .wait_for_height(height, Duration::from_secs(90))
                .await
                .expect("every node produces blocks");
        }
    }

    pub fn rpc(&self, i: usize) -> &RpcClient {
        &self.nodes[i].rpc
    }

    /// Signs `msgs` from `key` with its current account number and sequence.
    pub async fn sign(&self, key: &PrivateKey, msgs: Vec<Any>, gas: u64) -> Vec<u8> {
        let acc = account(self.rpc(0), &key.address()).await;
        let params = TxParams {
            gas_limit: gas,
            fee: vec![Coin::new(proof_sdk::tx::min_gas_fee(gas), "uxyz")],
            include_pubkey: true,
            ..Default::default()
        };
        sign_tx(
            msgs,
            &[Signer {
                key,
                account_number: acc.account_number,
                sequence: acc.sequence,
            }],
            &params,
            &self.chain_id,
        )
    }

    /// Signs `msgs` from `key`, submits them to node 0 and requires them to succeed; returns the
    /// height of their block.
    pub async fn send_ok(&self, key: &PrivateKey, msgs: Vec<Any>, gas: u64) -> u64 {
        let tx = self.sign(key, msgs, gas).await;
        submit_and_wait(self.rpc(0), &tx).await
    }

    /// The block-header app hashes of every node at `height` (waiting for each to reach it).
    pub async fn app_hashes(&self, height: u64) -> Vec<String> {
        let mut out = Vec::new();
        for n in &self.nodes {
            n.rpc
                .wait_for_height(height, Duration::from_secs(60))
                .await
                .unwrap();
            out.push(header_app_hash(&n.rpc, height).await);
        }
        out
    }
}

/// The balance at `height` (latest if `None`). A height CometBFT has reported is waited for
/// in the app too: CometBFT reports a block once it is stored, just before the app commits it.
pub async fn balance(rpc: &RpcClient, addr: &Address, height: Option<u64>) -> u128 {
    if let Some(h) = height {
        wait_for_app_version(rpc, h).await;
    }
    let r: QueryBalanceResponse = rpc
        .grpc_query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.to_string(),
                denom: "uxyz".into(),
            },
            height,
        )
        .await
        .unwrap();
    r.balance.unwrap().amount.parse().unwrap()
}

pub async fn account(rpc: &RpcClient, addr: &Address) -> BaseAccount {
    let r: QueryAccountResponse = rpc
        .grpc_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: addr.to_string(),
            },
            None,
        )
        .await
        .unwrap();
    BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap()
}

/// Broadcasts `tx` (it must pass CheckTx) and waits for its result in a block.
pub async fn submit(rpc: &RpcClient, tx: &[u8]) -> TxResult {
    let r = rpc.broadcast_tx_sync(tx).await.unwrap();
    assert_eq!(r.code, 0, "CheckTx rejected: {}", r.log);
    rpc.wait_for_tx(&r.hash, Duration::from_secs(30), || {})
        .await
        .unwrap()
}

/// Broadcasts `tx`, waits, and requires it to have succeeded; returns its height.
pub async fn submit_and_wait(rpc: &RpcClient, tx: &[u8]) -> u64 {
    let res = submit(rpc, tx).await;
    assert_eq!(res.code, 0, "tx failed: {}", res.log);
    res.height
}

pub async fn header_app_hash(rpc: &RpcClient, height: u64) -> String {
    rpc.block(Some(height)).await.unwrap()["block"]["header"]["app_hash"]
        .as_str()
        .unwrap()
        .to_string()
}

fn testnet(
    dir: &Path,
    n: u16,
    offset: u16,
    chain_id: &str,
    accounts: &[(Address, u128)],
    pos: Option<&PosGenesis>,
) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proofd"));
    cmd.args([
        "testnet",
        "--validators",
        &n.to_string(),
        "--chain-id",
        chain_id,
        "--block-time-ms",
        "300",
        "--port-index-offset",
        &offset.to_string(),
        "--output-dir",
    ])
    .arg(dir.join("nodes"));
    for (a, amt) in accounts {
        cmd.arg("--genesis-account").arg(format!("{a}={amt}uxyz"));
    }
    if let Some(pos) = pos {
        let file = dir.join("staking.json");
        std::fs::write(&file, pos.staking.to_string()).unwrap();
        cmd.arg("--validator-stake")
            .arg(pos.validator_stake.to_string())
            .arg("--staking-genesis")
            .arg(file);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "testnet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits (up to 60 s) until the node's app answers queries at `height`.
pub async fn wait_for_app_version(rpc: &RpcClient, height: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = rpc
            .abci_query("/proof.node.v1/Params", &[], Some(height), false)
            .await
            .unwrap();
        if r.code == 0 {
            return;
        }
        assert!(
            r.log.contains("is not available") && std::time::Instant::now() < deadline,
            "the app never reached height {height}: {}",
            r.log
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
