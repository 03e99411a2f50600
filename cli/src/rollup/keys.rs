//! `proof rollup keys ...`: rollup (L3) account keys, Schnorr over Vesta, in the keyring's
//! `rollup/` folder (`proof_sdk::keystore::RollupKeyring`): a BIP-39 mnemonic sealed under a
//! password, like the chain's keys.

use anyhow::{bail, Result};
use clap::Subcommand;
use proof_sdk::keystore::{KeystoreError, RollupKeyFile, RollupKeyring};
use proof_zk::SecretKey;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::output::{fields, table};
use crate::util::{confirm, read_stdin_line};
use crate::{fast_kdf_requested, password, Ctx, INSECURE_FAST_KDF_ENV};

#[derive(Subcommand)]
pub enum RollupKeysCmd {
    /// Create a rollup key from a new 24-word mnemonic, or recover one with --recover
    Add {
        name: String,
        /// Read an existing BIP-39 mnemonic from stdin (one line) instead of creating one
        #[arg(long)]
        recover: bool,
        /// Key index used in derivation (one mnemonic, many rollup keys)
        #[arg(long, default_value_t = 0, requires = "recover")]
        index: u32,
    },
    /// List the rollup keys
    #[command(alias = "ls")]
    List,
    /// Show a rollup key's public key (what `proof tx rollup deposit --pubkey` takes)
    Show { name: String },
    /// Delete a rollup key
    #[command(alias = "rm")]
    Delete {
        name: String,
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

pub use proof_rollup::wire::pubkey_hex;

fn pubkey_of_seed(seed: &[u8; 32]) -> String {
    pubkey_hex(&SecretKey::from_seed(seed).public_key())
}

/// Unlocks rollup key `name` (asks for its password).
pub fn secret_key(ctx: &Ctx, name: &str) -> Result<SecretKey> {
    let ring = ctx.keystore().rollup();
    let file = ring.get(name)?;
    let pw = password::unlock(ctx, &format!("rollup key {name:?}"))?;
    let seed = ring.seed_of(&file, &pw)?;
    Ok(SecretKey::from_seed(&seed))
}

fn key_json(f: &RollupKeyFile) -> Value {
    json!({"name": f.name, "type": f.key_type, "pubkey": f.pubkey, "index": f.index})
}

pub fn run(ctx: &Ctx, cmd: RollupKeysCmd) -> Result<()> {
    let ring = ctx.keystore().rollup();
    match cmd {
        RollupKeysCmd::Add {
            name,
            recover,
            index,
        } => add(ctx, &ring, &name, recover, index),
        RollupKeysCmd::List => {
            let keys = ring.list()?;
            let doc = Value::Array(keys.iter().map(key_json).collect());
            ctx.output.emit(&doc, || {
                if keys.is_empty() {
                    return "no rollup keys; create one with `proof rollup keys add NAME`".into();
                }
                let rows: Vec<Vec<String>> = keys
                    .iter()
                    .map(|k| vec![k.name.clone(), k.index.to_string(), k.pubkey.clone()])
                    .collect();
                table(&["NAME", "INDEX", "PUBKEY (X:Y)"], &rows)
            });
            Ok(())
        }
        RollupKeysCmd::Show { name } => {
            let f = ring.get(&name)?;
            ctx.output.emit(&key_json(&f), || {
                fields(&[
                    ("name", f.name.clone()),
                    ("type", f.key_type.clone()),
                    ("index", f.index.to_string()),
                    ("pubkey", f.pubkey.clone()),
                ])
            });
            Ok(())
        }
        RollupKeysCmd::Delete { name, yes } => {
            ring.get(&name)?;
            if !yes
                && !confirm(&format!(
                    "Delete rollup key {name:?}? Without its mnemonic its accounts are lost"
                ))?
            {
                bail!("not deleted");
            }
            ring.delete(&name)?;
            ctx.output.emit(&json!({"deleted": name}), || {
                format!("deleted rollup key {name}")
            });
            Ok(())
        }
    }
}

fn add(ctx: &Ctx, ring: &RollupKeyring, name: &str, recover: bool, index: u32) -> Result<()> {
    // Fail before any prompt when the name is taken or invalid.
    match ring.get(name) {
        Ok(_) => return Err(KeystoreError::Exists(name.to_string()).into()),
        Err(KeystoreError::NoRollupKey(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let phrase: Option<Zeroizing<String>> = if recover {
        let line = read_stdin_line("Enter your BIP-39 mnemonic: ")?;
        if line.is_empty() {
            bail!("no mnemonic on stdin; with --recover pass the phrase on one line, e.g. `proof rollup keys add {name} --recover < phrase.txt`");
        }
        // Checked before any password is asked for (and never echoed).
        bip39::Mnemonic::parse_normalized(&line)
            .map_err(|e| anyhow::anyhow!("invalid mnemonic: {e}"))?;
        Some(line)
    } else {
        None
    };
    let pw = password::choose(ctx, &format!("rollup key {name:?}"))?;
    if fast_kdf_requested() {
        eprintln!("warning: {INSECURE_FAST_KDF_ENV}=1: this key is stored with weak key stretching (test use only)");
    }
    let (file, created) = match phrase {
        Some(p) => (
            ring.import_mnemonic(name, &p, index, &pw, pubkey_of_seed)?,
            None,
        ),
        None => {
            let (f, p) = ring.create(name, &pw, pubkey_of_seed)?;
            (f, Some(p))
        }
    };
    let mut doc = key_json(&file);
    if let Some(p) = &created {
        doc["mnemonic"] = json!(p.as_str());
    }
    let verb = if created.is_some() {
        "created rollup key"
    } else {
        "recovered rollup key"
    };
    ctx.output.emit(&doc, || {
        let mut t = fields(&[
            (verb, file.name.clone()),
            ("index", file.index.to_string()),
            ("pubkey", file.pubkey.clone()),
        ]);
        if let Some(p) = &created {
            t.push_str(&format!(
                "\n**Important** write this mnemonic phrase down and keep it somewhere safe.\n\
                 It is the only way to recover this key and the rollup accounts it holds.\n\n{}\n",
                p.as_str()
            ));
        }
        t
    });
    Ok(())
}
