//! `proofd init` and `proofd testnet`: node homes with keys, configs and a shared genesis.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::cometbft::{self, CometSettings};
use super::config::{AppConfig, Ports};
use crate::abci::genesis::{AppGenesis, GenesisAccount};
use crate::app::pos::{GenesisValidator, PosGenesis};
use crate::modules::clock::{ClockParams, HookContract};
use crate::store::Pruning;

pub struct GenesisOptions {
    pub chain_id: String,
    pub accounts: Vec<GenesisAccount>,
    pub block_time_ms: u64,
    /// Node i uses the ports of node `i + port_index_offset`, so several networks can share a machine.
    pub port_index_offset: u16,
    /// Staking, slashing and epoch parameters; the nodes are added as its genesis validators.
    pub staking: PosGenesis,
    /// Each genesis validator's self-stake, uxyz.
    pub validator_stake: u128,
    /// The contracts called at end block from the first block.
    pub clock: ClockParams,
}

/// `ADDR=GAS` arguments as the clock's parameters (validated as governance would).
pub fn end_block_contracts(args: &[String]) -> Result<ClockParams> {
    let mut p = ClockParams::default();
    for a in args {
        let (address, gas) = a
            .split_once('=')
            .with_context(|| format!("--end-block-contract {a:?}: expected ADDR=GAS"))?;
        let gas_limit = gas
            .parse()
            .with_context(|| format!("--end-block-contract {a:?}: GAS is not a number"))?;
        p.contracts.push(HookContract {
            address: address.to_string(),
            gas_limit,
        });
    }
    p.validate()
        .map_err(|e| anyhow::anyhow!("--end-block-contract: {e}"))?;
    Ok(p)
}

/// Default self-stake of a genesis validator: 10 000 XYZ (voting power 10 000).
pub const DEFAULT_VALIDATOR_STAKE: u128 = 10_000_000_000;

/// Reads a staking genesis section (params only; validators are added by init/testnet).
pub fn load_staking(path: Option<&Path>) -> Result<PosGenesis> {
    let Some(path) = path else {
        return Ok(PosGenesis::default());
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let g: PosGenesis = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{}: expected the app genesis `staking` section",
            path.display()
        )
    })?;
    Ok(g)
}

/// Reads `ADDR=COINS` flags and an optional JSON accounts file into one list (duplicates are
/// caught when genesis is applied).
pub fn collect_accounts(flags: &[String], file: Option<&Path>) -> Result<Vec<GenesisAccount>> {
    let mut out = Vec::new();
    for f in flags {
        let (address, coins) = f
            .split_once('=')
            .with_context(|| format!("--genesis-account {f:?}: expected ADDR=COINS"))?;
        out.push(GenesisAccount {
            address: address.to_string(),
            coins: coins.to_string(),
        });
    }
    if let Some(path) = file {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let list: Vec<GenesisAccount> = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: expected [{{\"address\",\"coins\"}}]", path.display()))?;
        out.extend(list);
    }
    // Validate now so a typo fails at init, not at InitChain.
    let g = AppGenesis {
        accounts: out.clone(),
        params: Default::default(),
        staking: Default::default(),
        ..Default::default()
    };
    let store_dir = tempdir_for_validation()?;
    let store = crate::store::Store::open(&store_dir, Pruning::default())?;
    let mut d = crate::state::Delta::new(&store);
    g.apply("validation", &mut d)?;
    drop(store);
    let _ = std::fs::remove_dir_all(&store_dir);
    Ok(out)
}

fn tempdir_for_validation() -> Result<PathBuf> {
    let p = std::env::temp_dir().join(format!("proofd-genesis-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    Ok(p)
}

struct PreparedNode {
    home: PathBuf,
    validator: serde_json::Value,
    node_id: String,
    ports: Ports,
}

fn prepare_home(
    bin: &Path,
    home: &Path,
    moniker: &str,
    index: u16,
    opts: &GenesisOptions,
    overwrite: bool,
) -> Result<PreparedNode> {
    if AppConfig::path(home).exists() {
        if !overwrite {
            bail!("{} is already initialised (pass --overwrite to replace it, losing its keys and data)", home.display());
        }
        std::fs::remove_dir_all(home)
            .with_context(|| format!("cannot remove {}", home.display()))?;
    }
    let cmt_home = home.join("cometbft");
    cometbft::init_home(bin, &cmt_home)?;
    let ports = Ports::for_node(index + opts.port_index_offset);
    AppConfig {
        chain_id: opts.chain_id.clone(),
        moniker: moniker.to_string(),
        abci_addr: format!("127.0.0.1:{}", ports.abci),
        metrics_addr: format!("127.0.0.1:{}", ports.metrics),
        grpc_addr: Some(format!("127.0.0.1:{}", ports.grpc)),
        cometbft_rpc: format!("http://127.0.0.1:{}", ports.rpc),
        pruning: Pruning::default(),
        sig_cache_entries: 200_000,
        wasm_cache_bytes: 4 << 30,
    }
    .save(home)?;
    Ok(PreparedNode {
        home: home.to_path_buf(),
        validator: cometbft::validator_entry(&cmt_home, moniker, 10)?,
        node_id: cometbft::node_id(&cmt_home)?,
        ports,
    })
}

fn write_genesis(nodes: &[PreparedNode], opts: &GenesisOptions) -> Result<()> {
    let template = nodes[0].home.join("cometbft/config/genesis.json");
    let mut g: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&template)?).context("cometbft genesis template")?;
    // The app is the source of truth for the validator set: genesis validators live in the
    // app state (with their self-stake) and InitChain returns them to CometBFT. Each operator
    // account is the ed25519 account of the node's consensus key (so the node's key file can
    // sign its unjail); real networks create validators with MsgCreateValidator instead.
    let mut staking = opts.staking.clone();
    for n in nodes {
        use base64::Engine as _;
        let pk_b64 = n.validator["pub_key"]["value"]
            .as_str()
            .context("priv_validator_key.json has no pub_key.value")?
            .to_string();
        let pk: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(&pk_b64)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("consensus key is not ed25519"))?;
        staking.validators.push(GenesisValidator {
            operator: proof_sdk::PublicKey::Ed25519(pk).address().to_string(),
            pubkey: pk_b64,
            self_stake: opts.validator_stake.to_string(),
            commission_bps: 1000,
            moniker: n.validator["name"].as_str().unwrap_or_default().to_string(),
        });
    }
    let app = AppGenesis {
        accounts: opts.accounts.clone(),
        params: Default::default(),
        staking,
        clock: opts.clock.clone(),
    };
    g["chain_id"] = opts.chain_id.clone().into();
    g["initial_height"] = "1".into();
    g["app_hash"] = "".into();
    g["validators"] = serde_json::Value::Array(vec![]);
    g["app_state"] = serde_json::to_value(&app)?;
    // CometBFT reaps the mempool by these limits; the app enforces the gas one in ProcessProposal.
    g["consensus_params"]["block"]["max_gas"] = app.params.max_block_gas.to_string().into();
    g["consensus_params"]["block"]["max_bytes"] = (8 * 1024 * 1024).to_string().into();
    let text = serde_json::to_string_pretty(&g)?;
    for n in nodes {
        std::fs::write(n.home.join("cometbft/config/genesis.json"), &text)?;
    }
    Ok(())
}

fn configure(nodes: &[PreparedNode], opts: &GenesisOptions, host: &str) -> Result<()> {
    for (i, n) in nodes.iter().enumerate() {
        let peers = nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| format!("{}@127.0.0.1:{}", p.node_id, p.ports.p2p))
            .collect::<Vec<_>>()
            .join(",");
        let moniker = AppConfig::load(&n.home)?.moniker;
        cometbft::patch_config(
            &n.home.join("cometbft"),
            &CometSettings {
                moniker: &moniker,
                ports: n.ports,
                host,
                block_time_ms: opts.block_time_ms,
                persistent_peers: peers,
            },
        )?;
    }
    Ok(())
}

/// One node home with a single-validator genesis.
pub fn init_node(
    bin: &Path,
    home: &Path,
    moniker: &str,
    opts: &GenesisOptions,
    overwrite: bool,
) -> Result<()> {
    let node = prepare_home(bin, home, moniker, 0, opts, overwrite)?;
    let nodes = [node];
    write_genesis(&nodes, opts)?;
    configure(&nodes, opts, "127.0.0.1")?;
    Ok(())
}

/// `n` node homes under `out`, one genesis with all of them as validators, peers wired up.
pub fn testnet(
    bin: &Path,
    out: &Path,
    n: u16,
    opts: &GenesisOptions,
    overwrite: bool,
) -> Result<Vec<PathBuf>> {
    anyhow::ensure!(
        (1..=50).contains(&n),
        "--validators must be between 1 and 50"
    );
    let mut nodes = Vec::new();
    for i in 0..n {
        let home = out.join(format!("node{i}"));
        nodes.push(prepare_home(
            bin,
            &home,
            &format!("node{i}"),
            i,
            opts,
            overwrite,
        )?);
    }
    write_genesis(&nodes, opts)?;
    configure(&nodes, opts, "127.0.0.1")?;
    Ok(nodes.into_iter().map(|n| n.home).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_block_contracts_parse_and_are_validated_like_governance_sets_them() {
        let a = proof_sdk::contract_address::classic(5, 5).to_string();
        let p = end_block_contracts(&[format!("{a}=20000000")]).unwrap();
        assert_eq!(
            p.contracts,
            vec![HookContract {
                address: a.clone(),
                gas_limit: 20_000_000
            }]
        );
        assert_eq!(end_block_contracts(&[]).unwrap(), ClockParams::default());
        for bad in [
            a.clone(),
            format!("{a}=lots"),
            format!("{a}=0"),
            format!("{a}=1,{a}=1"),
            "proof1junk=5".to_string(),
        ] {
            assert!(
                end_block_contracts(std::slice::from_ref(&bad)).is_err(),
                "{bad}"
            );
        }
        let twice = [format!("{a}=1"), format!("{a}=2")];
        assert!(end_block_contracts(&twice).is_err());
    }
}
