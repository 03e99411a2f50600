//! `proof keys ...`: the local encrypted keyring.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use proof_sdk::keystore::{self, KeyFile, Keystore, KeystoreError};
use proof_sdk::{KeyType, PrivateKey};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::output::{fields, print_json, table};
use crate::util::{confirm, read_stdin_line};
use crate::{fast_kdf_requested, password, Ctx, INSECURE_FAST_KDF_ENV};

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create a key from a new 24-word mnemonic, or recover one with --recover
    Add {
        name: String,
        /// hybrid (ed25519 + ML-DSA-65), secp256k1, ed25519 or mldsa65
        #[arg(long, default_value = "hybrid")]
        key_type: KeyType,
        /// Read an existing BIP-39 mnemonic from stdin (one line) instead of creating one
        #[arg(long)]
        recover: bool,
        /// Account index used in key derivation
        #[arg(long, default_value_t = 0)]
        index: u32,
    },
    /// List the keys in the keyring
    #[command(alias = "ls")]
    List,
    /// Show a key's name, type and address
    Show {
        name: String,
        /// Print only the address
        #[arg(long, short = 'a')]
        address: bool,
    },
    /// Print the encrypted key file (which `import` accepts), or with --mnemonic the mnemonic
    Export {
        name: String,
        /// Decrypt and print the mnemonic instead (asks for the password)
        #[arg(long)]
        mnemonic: bool,
    },
    /// Import a key file written by `proof keys export` (`-` reads stdin)
    Import { name: String, file: PathBuf },
    /// Delete a key from the keyring
    #[command(alias = "rm")]
    Delete {
        name: String,
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: KeysCmd) -> Result<()> {
    let ks = ctx.keystore();
    match cmd {
        KeysCmd::Add {
            name,
            key_type,
            recover,
            index,
        } => add(ctx, &ks, &name, key_type, recover, index),
        KeysCmd::List => list(ctx, &ks),
        KeysCmd::Show { name, address } => show(ctx, &ks, &name, address),
        KeysCmd::Export { name, mnemonic } => export(ctx, &ks, &name, mnemonic),
        KeysCmd::Import { name, file } => import(ctx, &ks, &name, &file),
        KeysCmd::Delete { name, yes } => delete(ctx, &ks, &name, yes),
    }
}

pub fn key_json(f: &KeyFile) -> Value {
    json!({"name": f.name, "type": f.key_type.as_str(), "address": f.address, "index": f.index})
}

/// Fails early (before any password prompt) if `name` is taken or not a valid key name.
fn ensure_free(ks: &Keystore, name: &str) -> Result<()> {
    match ks.get(name) {
        Ok(_) => Err(KeystoreError::Exists(name.to_string()).into()),
        Err(KeystoreError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Derives the key a mnemonic stands for, exactly as the keystore does when signing.
fn derive(phrase: &str, kind: KeyType, index: u32) -> Result<PrivateKey> {
    let m = bip39::Mnemonic::parse_normalized(phrase)
        .map_err(|e| anyhow::anyhow!("invalid mnemonic: {e}"))?;
    let seed = Zeroizing::new(m.to_seed(""));
    PrivateKey::from_seed(kind, seed.as_ref(), index).context("cannot derive the key")
}

fn add(
    ctx: &Ctx,
    ks: &Keystore,
    name: &str,
    kind: KeyType,
    recover: bool,
    index: u32,
) -> Result<()> {
    ensure_free(ks, name)?;
    let phrase = if recover {
        let line = read_stdin_line("Enter your BIP-39 mnemonic: ")?;
        if line.is_empty() {
            bail!("no mnemonic on stdin; with --recover pass the phrase on one line, e.g. `proof keys add {name} --recover < phrase.txt`");
        }
        // Never echo the phrase back: error messages can end up in logs.
        bip39::Mnemonic::parse_normalized(&line)
            .map_err(|e| anyhow::anyhow!("invalid mnemonic: {e}"))?;
        line
    } else {
        keystore::new_mnemonic()?
    };
    let pw = password::choose(ctx, &format!("key {name:?}"))?;
    if fast_kdf_requested() {
        eprintln!("warning: {INSECURE_FAST_KDF_ENV}=1: this key is stored with weak key stretching (test use only)");
    }
    let file = ks.import_mnemonic(name, kind, &phrase, index, &pw)?;

    if recover {
        ctx.output.emit(&key_json(&file), || {
            fields(&[
                ("recovered key", file.name.clone()),
                ("type", file.key_type.to_string()),
                ("address", file.address.clone()),
            ])
        });
        return Ok(());
    }
    let mut doc = key_json(&file);
    doc["mnemonic"] = json!(phrase.as_str());
    ctx.output.emit(&doc, || {
        format!(
            "{}\n\
             **Important** write this mnemonic phrase down and keep it somewhere safe.\n\
             It is the only way to recover this key if you forget its password or lose this machine.\n\n\
             {}\n",
            fields(&[
                ("created key", file.name.clone()),
                ("type", file.key_type.to_string()),
                ("address", file.address.clone()),
            ]),
            phrase.as_str()
        )
    });
    Ok(())
}

fn list(ctx: &Ctx, ks: &Keystore) -> Result<()> {
    let keys = ks.list()?;
    let doc = Value::Array(keys.iter().map(key_json).collect());
    ctx.output.emit(&doc, || {
        if keys.is_empty() {
            return format!(
                "no keys in {}; create one with `proof keys add NAME`",
                ctx.keys_dir().display()
            );
        }
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|k| vec![k.name.clone(), k.key_type.to_string(), k.address.clone()])
            .collect();
        table(&["NAME", "TYPE", "ADDRESS"], &rows)
    });
    Ok(())
}

fn show(ctx: &Ctx, ks: &Keystore, name: &str, address_only: bool) -> Result<()> {
    let file = ks.get(name)?;
    if address_only {
        ctx.output
            .emit(&json!({"address": file.address}), || file.address.clone());
        return Ok(());
    }
    ctx.output.emit(&key_json(&file), || {
        fields(&[
            ("name", file.name.clone()),
            ("type", file.key_type.to_string()),
            ("address", file.address.clone()),
            ("index", file.index.to_string()),
        ])
    });
    Ok(())
}

fn export(ctx: &Ctx, ks: &Keystore, name: &str, mnemonic: bool) -> Result<()> {
    let file = ks.get(name)?;
    if !mnemonic {
        // The key file is JSON already and stays encrypted, so both output modes print it as is.
        print_json(&serde_json::to_value(&file).context("cannot serialize the key file")?);
        return Ok(());
    }
    let pw = password::unlock(ctx, &format!("key {name:?}"))?;
    let phrase = ks.mnemonic(name, &pw)?;
    let mut doc = key_json(&file);
    doc["mnemonic"] = json!(phrase.as_str());
    if !ctx.output.is_json() {
        eprintln!(
            "warning: anyone who sees this mnemonic controls the account {}",
            file.address
        );
    }
    ctx.output.emit(&doc, || {
        let mut t = format!("{}\n", phrase.as_str());
        if file.index != 0 || file.key_type != KeyType::Hybrid {
            t.push_str(&format!(
                "recover with: proof keys add NAME --recover --key-type {} --index {}\n",
                file.key_type, file.index
            ));
        }
        t
    });
    Ok(())
}

fn import(ctx: &Ctx, ks: &Keystore, name: &str, path: &std::path::Path) -> Result<()> {
    ensure_free(ks, name)?;
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("cannot read the key file from stdin")?;
        buf
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let file: KeyFile = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a key file written by `proof keys export`",
            path.display()
        )
    })?;
    // Decrypt once before storing: this proves the password is known and that the address in the
    // file really belongs to the encrypted mnemonic (a tampered file could otherwise show one
    // address and sign for another).
    let pw = password::unlock(ctx, &format!("the exported key {:?}", file.name))?;
    let phrase = keystore::decrypt_mnemonic(&file, &pw)?;
    let key = derive(&phrase, file.key_type, file.index)?;
    if key.address().to_string() != file.address {
        bail!(
            "{}: the stored address {} does not match the encrypted key ({}); the file was altered",
            path.display(),
            file.address,
            key.address()
        );
    }
    let stored = ks.import_file(&file, Some(name))?;
    ctx.output.emit(&key_json(&stored), || {
        fields(&[
            ("imported key", stored.name.clone()),
            ("type", stored.key_type.to_string()),
            ("address", stored.address.clone()),
        ])
    });
    Ok(())
}

fn delete(ctx: &Ctx, ks: &Keystore, name: &str, yes: bool) -> Result<()> {
    let file = ks.get(name)?;
    if !yes {
        let q = format!(
            "Delete key {name:?} ({})? It can only be restored from its mnemonic.",
            file.address
        );
        if !confirm(&q)? {
            bail!("key {name:?} was not deleted (pass --yes to delete without asking)");
        }
    }
    ks.delete(name)?;
    ctx.output
        .emit(&json!({"deleted": name, "address": file.address}), || {
            format!("deleted key {name:?} ({})", file.address)
        });
    Ok(())
}
