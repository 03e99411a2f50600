//! The relayer's configuration: the chains it talks to and the paths (client, connection,
//! channel on each side) it relays. `create` commands write the identifiers they made back.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Config {
    #[serde(default)]
    pub global: Global,
    #[serde(default)]
    pub chains: Vec<ChainConfig>,
    #[serde(default)]
    pub paths: Vec<PathConfig>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Global {
    /// Where `/metrics` is served (`None`: nowhere).
    pub metrics_addr: Option<String>,
    /// How often (in the source chain's blocks) pending packets are looked for afresh, beside
    /// the events of each new block.
    pub clear_interval_blocks: u64,
    /// Whether `start` first relays what state says is pending (Hermes's `clear_on_start`);
    /// if not, that waits for the first interval.
    pub clear_on_start: bool,
    /// Most messages in one transaction (one client update plus packets).
    pub max_msgs_per_tx: usize,
    /// How often a worker polls its chains for new blocks.
    pub poll_interval_ms: u64,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            metrics_addr: None,
            clear_interval_blocks: 50,
            clear_on_start: true,
            max_msgs_per_tx: 100,
            poll_interval_ms: 200,
        }
    }
}

/// What kind of chain: ours (JMT store, proof specs `[jmt, jmt]`) or a Cosmos SDK chain
/// (IAVL + simple Merkle, `[iavl, tendermint]`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChainKind {
    #[default]
    Proof,
    Cosmos,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ChainConfig {
    pub id: String,
    /// CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    #[serde(default)]
    pub kind: ChainKind,
    /// The relayer's key in `keyring` (our keystore format).
    pub key: String,
    pub keyring: PathBuf,
    /// Bech32 prefix of the chain's accounts.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Trusting period of the clients of this chain that the relayer creates (`None`: two
    /// thirds of the chain's unbonding period).
    #[serde(default)]
    pub trusting_period_secs: Option<u64>,
    #[serde(default = "default_drift")]
    pub max_clock_drift_secs: u64,
}

fn default_prefix() -> String {
    "proof".into()
}

fn default_drift() -> u64 {
    40
}

/// One side of a path; identifiers fill in as the handshakes create them.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct End {
    pub chain: String,
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub connection: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default = "default_port")]
    pub port: String,
}

fn default_port() -> String {
    "transfer".into()
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct PathConfig {
    pub name: String,
    pub a: End,
    pub b: End,
    /// `unordered` (ICS-20) or `ordered`.
    #[serde(default = "default_order")]
    pub order: String,
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_order() -> String {
    "unordered".into()
}

fn default_version() -> String {
    "ics20-1".into()
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let cfg: Config = toml::from_str(&text)
            .with_context(|| format!("config {} is invalid", path.display()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Writes the config back (temp file + rename: a crash never leaves half a file).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self)?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    pub fn validate(&self) -> Result<()> {
        for (i, c) in self.chains.iter().enumerate() {
            if self.chains[..i].iter().any(|o| o.id == c.id) {
                bail!("chain {} is configured twice", c.id);
            }
        }
        for p in &self.paths {
            for end in [&p.a, &p.b] {
                if self.chain(&end.chain).is_none() {
                    bail!("path {}: chain {} is not configured", p.name, end.chain);
                }
            }
            if p.a.chain == p.b.chain {
                bail!("path {}: both ends are on {}", p.name, p.a.chain);
            }
            if !matches!(p.order.as_str(), "ordered" | "unordered") {
                bail!("path {}: order must be ordered or unordered", p.name);
            }
        }
        if self.global.max_msgs_per_tx == 0 {
            bail!("global.max_msgs_per_tx must be at least 1");
        }
        Ok(())
    }

    pub fn chain(&self, id: &str) -> Option<&ChainConfig> {
        self.chains.iter().find(|c| c.id == id)
    }

    pub fn path(&self, name: &str) -> Result<&PathConfig> {
        self.paths
            .iter()
            .find(|p| p.name == name)
            .with_context(|| format!("no path named {name} in the config"))
    }

    pub fn path_mut(&mut self, name: &str) -> Result<&mut PathConfig> {
        self.paths
            .iter_mut()
            .find(|p| p.name == name)
            .with_context(|| format!("no path named {name} in the config"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
[[chains]]
id = "a-1"
rpc = "http://127.0.0.1:26657"
key = "relayer"
keyring = "/tmp/k"

[[chains]]
id = "b-1"
rpc = "http://127.0.0.1:26757"
key = "relayer"
keyring = "/tmp/k"

[[paths]]
name = "ab"
a = { chain = "a-1" }
b = { chain = "b-1" }
"#;

    #[test]
    fn parses_defaults_and_round_trips() {
        let cfg: Config = toml::from_str(TWO).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.global.max_msgs_per_tx, 100);
        let p = cfg.path("ab").unwrap();
        assert_eq!(
            (p.a.port.as_str(), p.order.as_str()),
            ("transfer", "unordered")
        );
        let again: Config = toml::from_str(&toml::to_string_pretty(&cfg).unwrap()).unwrap();
        assert_eq!(again.paths, cfg.paths);
    }

    #[test]
    fn refuses_unknown_chains_and_loops() {
        let mut cfg: Config = toml::from_str(TWO).unwrap();
        cfg.paths[0].b.chain = "c-1".into();
        assert!(cfg.validate().unwrap_err().to_string().contains("c-1"));
        cfg.paths[0].b.chain = "a-1".into();
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("both ends"));
    }
}
