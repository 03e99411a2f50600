//! A light client over CometBFT RPC, for clients that must not take one node's word: a header is
//! believed only when validators already trusted signed it, CometBFT's skipping verification
//! (more than 1/3 of the trusted set's power signed it, more than 2/3 of its own set did), with
//! bisection when the set changed too much in between.
//!
//! Trust starts from a header the user vouches for (`TrustOptions`, as every Tendermint light
//! client requires) or, failing that, the node's first block on first use; each verified
//! header can be saved and trusted next time (`TrustStore`), so a node that lies later cannot
//! forge anything without the validators' keys.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tendermint::block::signed_header::SignedHeader;
use tendermint::validator::{Info, Set};
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{LightBlock, PeerId, TrustThreshold};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};

use crate::rpc::RpcClient;

/// A header height and hash the user trusts (e.g. read from another node or an explorer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustOptions {
    pub height: u64,
    /// Hex of the header hash (CometBFT's block hash at `height`).
    pub hash: String,
}

/// What a run leaves for the next: the newest header it verified, and where the chain of
/// verified headers leading to it began.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTrust {
    pub chain_id: String,
    pub header: TrustOptions,
    /// How the first run of the chain of runs came to trust its header.
    pub origin: Origin,
}

/// How trust in a chain of headers began.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Origin {
    /// A header the user gave.
    Given { height: u64 },
    /// The node's first block, taken on its word on first use.
    FirstUse { height: u64 },
}

/// Where the last verified header of each chain is kept between runs.
pub struct TrustStore {
    pub dir: PathBuf,
}

impl TrustStore {
    fn path(&self, chain_id: &str) -> PathBuf {
        self.dir.join(format!("{chain_id}.json"))
    }

    /// The saved trust for `chain_id`. Refuses when there is none for it but there is for
    /// other chains: a node that starts serving another chain id must not get its first block
    /// taken on first use silently, as if this home had never trusted anything.
    pub fn load(&self, chain_id: &str) -> Result<Option<SavedTrust>> {
        let path = self.path(chain_id);
        match std::fs::read(&path) {
            Ok(raw) => {
                let saved: SavedTrust = serde_json::from_slice(&raw)
                    .with_context(|| format!("{}: not a saved trust", path.display()))?;
                if saved.chain_id != chain_id {
                    bail!(
                        "{} holds trust for chain {}, not {chain_id}",
                        path.display(),
                        saved.chain_id
                    );
                }
                Ok(Some(saved))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let others = self.chains()?;
                if !others.is_empty() {
                    bail!(
                        "nothing trusted for chain {chain_id}, though {} holds trust for {}: \
                         the node may be serving another chain; pass --trust-height and \
                         --trust-hash to start trusting {chain_id}",
                        self.dir.display(),
                        others.join(", ")
                    );
                }
                Ok(None)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The chain ids trust is saved for.
    pub fn chains(&self) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.dir.display())),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn save(&self, t: &SavedTrust) -> Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(&t.chain_id);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(t)?)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }
}

/// How a run came to trust its starting header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustRoot {
    /// Given by the user.
    Given { height: u64 },
    /// Saved by an earlier run, whose chain of verified headers began at `origin`.
    Saved { height: u64, origin: Origin },
    /// Nothing was trusted yet: the node's first block was taken on first use.
    FirstUse { height: u64 },
}

impl TrustRoot {
    fn origin(&self) -> Origin {
        match *self {
            TrustRoot::Given { height } => Origin::Given { height },
            TrustRoot::Saved { origin, .. } => origin,
            TrustRoot::FirstUse { height } => Origin::FirstUse { height },
        }
    }
}

pub struct LightClient<'a> {
    rpc: &'a RpcClient,
    chain_id: String,
    options: Options,
    trusted: LightBlock,
    pub root: TrustRoot,
}

fn num(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or(0)
}

/// More validators than any CometBFT chain runs (its vote extensions and commits grow with
/// the set): a node claiming more is not followed page after page.
const MAX_VALIDATORS: u64 = 10_000;
const PER_PAGE: u64 = 100;

/// How far below the trusted header `verify` walks back by hashes; further back needs a
/// trust root at or below the target.
const MAX_BACKWARD_STEPS: u64 = 100_000;

/// The validator set CometBFT ran at `height`, every page of it.
pub async fn validators(rpc: &RpcClient, height: u64) -> Result<Set> {
    let mut infos: Vec<Info> = Vec::new();
    for page in 1..=MAX_VALIDATORS / PER_PAGE {
        let r = rpc
            .call(
                "validators",
                json!({"height": height.to_string(), "page": page.to_string(), "per_page": PER_PAGE.to_string()}),
            )
            .await?;
        let list = r["validators"]
            .as_array()
            .context("validators: no list in reply")?;
        for v in list {
            infos.push(
                serde_json::from_value(v.clone())
                    .with_context(|| format!("validators at {height}: malformed entry"))?,
            );
        }
        let total = num(&r["total"]);
        if total > MAX_VALIDATORS {
            bail!("validators at {height}: the node claims {total}, more than {MAX_VALIDATORS}");
        }
        if list.is_empty() || infos.len() as u64 >= total {
            return Ok(Set::without_proposer(infos));
        }
    }
    bail!("validators at {height}: more than {MAX_VALIDATORS} entries served")
}

/// The signed header at `height` as the node serves it (not verified).
pub async fn signed_header(rpc: &RpcClient, height: u64) -> Result<SignedHeader> {
    let r = rpc
        .call("commit", json!({"height": height.to_string()}))
        .await?;
    serde_json::from_value(r["signed_header"].clone())
        .with_context(|| format!("commit at {height}: malformed signed header"))
}

/// The signed header at `height` and the validator sets it names, as the node serves them
/// (nothing here is trusted yet).
async fn light_block(rpc: &RpcClient, height: u64) -> Result<LightBlock> {
    let signed_header = signed_header(rpc, height).await?;
    let validators = validators(rpc, height).await?;
    let next_validators = validators_or_same(rpc, height + 1, &validators).await?;
    Ok(LightBlock::new(
        signed_header,
        validators,
        next_validators,
        PeerId::new([0; 20]),
    ))
}

/// The set at `height`, or `fallback` if the node does not have that height yet (the next
/// validators of the newest block are only known once the following block exists).
async fn validators_or_same(rpc: &RpcClient, height: u64, fallback: &Set) -> Result<Set> {
    match validators(rpc, height).await {
        Ok(s) => Ok(s),
        Err(_) => Ok(fallback.clone()),
    }
}

fn require(verdict: Verdict, what: &str) -> Result<()> {
    match verdict {
        Verdict::Success => Ok(()),
        Verdict::NotEnoughTrust(tally) => bail!("{what}: {tally}"),
        Verdict::Invalid(e) => bail!("{what}: {e}"),
    }
}

fn now() -> tendermint::Time {
    tendermint::Time::now()
}

impl<'a> LightClient<'a> {
    /// Starts from `given`, else the saved header, else the node's first block (first use).
    pub async fn start(
        rpc: &'a RpcClient,
        trusting_period: Duration,
        given: Option<TrustOptions>,
        saved: Option<SavedTrust>,
    ) -> Result<LightClient<'a>> {
        let chain_id = rpc.chain_id().await?;
        let (trust, root) = match (given, saved) {
            (Some(t), _) => (Some(t.clone()), TrustRoot::Given { height: t.height }),
            (None, Some(s)) => {
                if s.chain_id != chain_id {
                    bail!(
                        "the saved trust is for chain {}, the node serves {chain_id}",
                        s.chain_id
                    );
                }
                let root = TrustRoot::Saved {
                    height: s.header.height,
                    origin: s.origin,
                };
                (Some(s.header), root)
            }
            (None, None) => (None, TrustRoot::FirstUse { height: 1 }),
        };
        let height = trust.as_ref().map_or(1, |t| t.height);
        let block = light_block(rpc, height).await?;
        if block.signed_header.header.chain_id.as_str() != chain_id {
            bail!(
                "the trusted header is of chain {}, the node serves {chain_id}",
                block.signed_header.header.chain_id
            );
        }
        if let Some(t) = &trust {
            let hash = block.signed_header.header.hash().to_string();
            if !hash.eq_ignore_ascii_case(&t.hash) {
                bail!(
                    "the node's header at {} has hash {hash}, not the trusted {}: this node is not on the trusted chain",
                    t.height,
                    t.hash
                );
            }
        }
        // The trusted block itself must be what its own validators signed, and those must be
        // the validators its header names (the node serves the sets; the header commits to
        // them by hash).
        let verifier = ProdVerifier::default();
        let untrusted = block.as_untrusted_state();
        require(
            verifier.verify_validator_sets(&untrusted),
            &format!("the validator sets served for header {height} are not the ones it names"),
        )?;
        require(
            verifier.verify_commit(&untrusted),
            &format!("the trusted header at {height} is not properly signed"),
        )?;
        Ok(LightClient {
            rpc,
            chain_id,
            options: Options {
                trust_threshold: TrustThreshold::ONE_THIRD,
                trusting_period,
                clock_drift: Duration::from_secs(10),
            },
            trusted: block,
            root,
        })
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// What to save so the next run starts from the newest verified header.
    pub fn saved_trust(&self) -> SavedTrust {
        let h = &self.trusted.signed_header.header;
        SavedTrust {
            chain_id: self.chain_id.clone(),
            header: TrustOptions {
                height: h.height.value(),
                hash: h.hash().to_string(),
            },
            origin: self.root.origin(),
        }
    }

    /// Verifies the header at `target` from the trusted one (bisecting where the validator
    /// set changed too much) and returns it; it becomes the trusted header if newer.
    pub async fn verify(&mut self, target: u64) -> Result<SignedHeader> {
        let verifier = ProdVerifier::default();
        let base = self.trusted.clone();
        let base_height = base.signed_header.header.height.value();
        if target == base_height {
            return Ok(base.signed_header);
        }
        if target < base_height {
            // Backwards: the header is linked to a trusted later one by its hash.
            return self.verify_backwards(target, &base).await;
        }
        let mut trusted = base;
        let mut pending = vec![target];
        while let Some(&h) = pending.last() {
            let candidate = light_block(self.rpc, h).await?;
            let verdict = verifier.verify_update_header(
                candidate.as_untrusted_state(),
                trusted.as_trusted_state(),
                &self.options,
                now(),
            );
            match verdict {
                Verdict::Success => {
                    trusted = candidate;
                    pending.pop();
                }
                Verdict::NotEnoughTrust(_) => {
                    let from = trusted.signed_header.header.height.value();
                    if h <= from + 1 {
                        bail!("header {h} cannot be verified from header {from}");
                    }
                    pending.push(from + (h - from) / 2);
                }
                Verdict::Invalid(e) => bail!("header {h} is not valid: {e}"),
            }
        }
        let header = trusted.signed_header.clone();
        self.trusted = trusted;
        Ok(header)
    }

    /// A header below the trusted one: each header names the previous block's hash, so the
    /// chain of `last_block_id`s from the trusted header down proves it.
    async fn verify_backwards(&self, target: u64, from: &LightBlock) -> Result<SignedHeader> {
        let mut expect = from
            .signed_header
            .header
            .last_block_id
            .ok_or_else(|| anyhow!("trusted header has no previous block"))?
            .hash;
        let mut h = from.signed_header.header.height.value();
        if h - target > MAX_BACKWARD_STEPS {
            bail!(
                "header {target} is {} blocks below the trusted header {h}: pass a trust root \
                 at or below it (--trust-height/--trust-hash)",
                h - target
            );
        }
        loop {
            h -= 1;
            let r = self
                .rpc
                .call("commit", json!({"height": h.to_string()}))
                .await?;
            let sh: SignedHeader = serde_json::from_value(r["signed_header"].clone())
                .with_context(|| format!("commit at {h}: malformed signed header"))?;
            if sh.header.hash() != expect {
                bail!("header {h} does not hash to what header {} names", h + 1);
            }
            if h == target {
                return Ok(sh);
            }
            expect = sh
                .header
                .last_block_id
                .ok_or_else(|| anyhow!("header {h} has no previous block"))?
                .hash;
        }
    }
}

/// The app hash a verified header carries (that of the block before it).
pub fn app_hash(header: &SignedHeader) -> Result<[u8; 32]> {
    header
        .header
        .app_hash
        .as_bytes()
        .try_into()
        .map_err(|_| anyhow!("app hash is not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(chain_id: &str) -> SavedTrust {
        SavedTrust {
            chain_id: chain_id.into(),
            header: TrustOptions {
                height: 7,
                hash: "AB".repeat(32),
            },
            origin: Origin::FirstUse { height: 1 },
        }
    }

    #[test]
    fn a_home_that_trusts_one_chain_refuses_first_use_of_another() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore {
            dir: dir.path().join("light"),
        };
        // Nothing trusted at all: first use is allowed.
        assert_eq!(store.load("a").unwrap(), None);
        store.save(&saved("a")).unwrap();
        assert_eq!(store.load("a").unwrap(), Some(saved("a")));
        let err = store.load("b").unwrap_err().to_string();
        assert!(err.contains("holds trust for a"), "{err}");
        // A file renamed to another chain's name is not taken for it.
        std::fs::copy(store.path("a"), store.path("c")).unwrap();
        let err = store.load("c").unwrap_err().to_string();
        assert!(err.contains("holds trust for chain a"), "{err}");
    }
}
