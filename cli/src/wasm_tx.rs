//! `proof tx wasm ...`: wasmd's `cosmwasm.wasm.v1` messages (store, instantiate, instantiate2,
//! execute, migrate, set-admin, clear-admin), signed and sent through `tx::submit`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2,
    MsgInstantiateContract2Response, MsgInstantiateContractResponse, MsgMigrateContract,
    MsgStoreCode, MsgStoreCodeResponse, MsgUpdateAdmin,
};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use proof_sdk::msgs::to_any;
use proof_sdk::{Address, Coin};
use prost::{Message, Name};
use sha2::{Digest, Sha256};

use crate::progress::{self, Progress};
use crate::submit::{print_committed, submit, submit_one, Committed, Extra, TxFlags, TxSpec};
use crate::util::{parse_address, parse_amount, resolve_address};
use crate::Ctx;

/// A `MsgExecuteContract` of `msg` (as JSON) from `from`, with `funds`.
pub fn execute_json<M: serde::Serialize>(
    from: &Address,
    contract: &Address,
    msg: &M,
    funds: &[Coin],
) -> Result<cosmos_sdk_proto::Any> {
    Ok(proof_sdk::msgs::wasm_execute(
        from,
        contract,
        serde_json::to_vec(msg)?,
        funds,
    ))
}

/// The first bytes of every wasm module and of every gzip stream.
const WASM_MAGIC: &[u8] = b"\0asm";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// wasmd's limit on the uncompressed code (the chain enforces its own; this only bounds how much
/// of a gzip stream we inflate to compute the checksum).
const MAX_WASM_SIZE: u64 = 3 * 1024 * 1024;
/// wasmd's bounds on an instantiate2 salt.
const MAX_SALT_LEN: usize = 64;

#[derive(Subcommand)]
pub enum WasmTx {
    /// Upload wasm code (gzipped before sending unless it already is); prints the code id
    Store(StoreArgs),
    /// Create a contract from uploaded code; prints its address
    Instantiate(InstantiateArgs),
    /// Create a contract at a predictable address (code checksum, creator and salt)
    Instantiate2(Instantiate2Args),
    /// Call a contract
    Execute(ExecuteArgs),
    /// Move a contract to new code (admin only), calling the new code's `migrate`
    Migrate(MigrateArgs),
    /// Change a contract's admin (admin only)
    SetAdmin(SetAdminArgs),
    /// Remove a contract's admin, making it immutable (admin only)
    ClearAdmin(ClearAdminArgs),
}

#[derive(Args)]
pub struct StoreArgs {
    /// The contract: a .wasm file, or a gzipped one
    wasm_file: PathBuf,
    #[command(flatten)]
    tx: TxFlags,
}

#[derive(Args)]
#[command(group(ArgGroup::new("admin_choice").required(true).args(["admin", "no_admin"])))]
pub struct InstantiateOpts {
    /// Code id to instantiate
    code_id: u64,
    /// Instantiate message (JSON)
    msg: String,
    /// A human-readable name for the contract (required)
    #[arg(long)]
    label: String,
    /// Address or key name allowed to migrate the contract (or pass --no-admin)
    #[arg(long)]
    admin: Option<String>,
    /// The contract has no admin and can never be migrated
    #[arg(long)]
    no_admin: bool,
    /// Coins sent to the contract with the message, e.g. 1000uxyz
    #[arg(long)]
    amount: Option<String>,
}

#[derive(Args)]
pub struct InstantiateArgs {
    #[command(flatten)]
    opts: InstantiateOpts,
    #[command(flatten)]
    tx: TxFlags,
}

#[derive(Args)]
pub struct Instantiate2Args {
    #[command(flatten)]
    opts: InstantiateOpts,
    /// Salt for the address (1 to 64 bytes): UTF-8 text, or hex with --hex
    #[arg(long)]
    salt: String,
    /// The --salt is hex-encoded
    #[arg(long)]
    hex: bool,
    /// Also derive the address from the instantiate message
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    fix_msg: bool,
    #[command(flatten)]
    tx: TxFlags,
}

#[derive(Args)]
pub struct ExecuteArgs {
    /// Contract address
    contract: String,
    /// Execute message (JSON)
    msg: String,
    /// Coins sent to the contract with the message, e.g. 1000uxyz
    #[arg(long)]
    amount: Option<String>,
    #[command(flatten)]
    tx: TxFlags,
}

#[derive(Args)]
pub struct MigrateArgs {
    /// Contract address
    contract: String,
    /// Code id to migrate to
    new_code_id: u64,
    /// Migrate message (JSON)
    msg: String,
    #[command(flatten)]
    tx: TxFlags,
}

#[derive(Args)]
pub struct SetAdminArgs {
    /// Contract address
    contract: String,
    /// New admin: proof1... address or local key name
    new_admin: String,
    #[command(flatten)]
    tx: TxFlags,
}

#[derive(Args)]
pub struct ClearAdminArgs {
    /// Contract address
    contract: String,
    #[command(flatten)]
    tx: TxFlags,
}

pub async fn run(ctx: &Ctx, cmd: WasmTx) -> Result<()> {
    match cmd {
        WasmTx::Store(a) => store(ctx, a).await,
        WasmTx::Instantiate(a) => instantiate(ctx, a).await,
        WasmTx::Instantiate2(a) => instantiate2(ctx, a).await,
        WasmTx::Execute(a) => {
            let spec = TxSpec::from_flags(ctx, &a.tx)?;
            let msg = MsgExecuteContract {
                sender: spec.from.to_string(),
                contract: contract_address(&a.contract)?.to_string(),
                msg: json_msg(&a.msg, "execute message")?,
                funds: funds(a.amount.as_deref())?,
            };
            submit_one(ctx, &spec, to_any(&msg), true).await
        }
        WasmTx::Migrate(a) => {
            let spec = TxSpec::from_flags(ctx, &a.tx)?;
            let msg = MsgMigrateContract {
                sender: spec.from.to_string(),
                contract: contract_address(&a.contract)?.to_string(),
                code_id: code_id(a.new_code_id)?,
                msg: json_msg(&a.msg, "migrate message")?,
            };
            submit_one(ctx, &spec, to_any(&msg), true).await
        }
        WasmTx::SetAdmin(a) => {
            let spec = TxSpec::from_flags(ctx, &a.tx)?;
            let msg = MsgUpdateAdmin {
                sender: spec.from.to_string(),
                new_admin: resolve_address(&ctx.keystore(), &a.new_admin)
                    .context("invalid new admin")?
                    .to_string(),
                contract: contract_address(&a.contract)?.to_string(),
            };
            submit_one(ctx, &spec, to_any(&msg), false).await
        }
        WasmTx::ClearAdmin(a) => {
            let spec = TxSpec::from_flags(ctx, &a.tx)?;
            let msg = MsgClearAdmin {
                sender: spec.from.to_string(),
                contract: contract_address(&a.contract)?.to_string(),
            };
            submit_one(ctx, &spec, to_any(&msg), false).await
        }
    }
}

fn contract_address(s: &str) -> Result<Address> {
    parse_address(s.trim()).context("invalid contract address")
}

fn code_id(id: u64) -> Result<u64> {
    if id == 0 {
        bail!("code ids start at 1");
    }
    Ok(id)
}

/// Checks that a contract message is JSON (the chain rejects anything else) and returns its bytes
/// as given.
fn json_msg(s: &str, what: &str) -> Result<Vec<u8>> {
    serde_json::from_str::<serde_json::Value>(s).with_context(|| {
        format!("the {what} is not valid JSON: {s:?} (quote it for the shell, e.g. '{{\"increment\":{{}}}}')")
    })?;
    Ok(s.trim().as_bytes().to_vec())
}

fn funds(amount: Option<&str>) -> Result<Vec<ProtoCoin>> {
    match amount {
        None => Ok(Vec::new()),
        Some(a) => Ok(parse_amount(a, "--amount")?
            .iter()
            .map(Coin::to_proto)
            .collect()),
    }
}

/// The code ready to upload: gzipped bytes and the checksum of the uncompressed wasm.
struct PreparedCode {
    gzipped: Vec<u8>,
    original_len: u64,
    wasm_len: u64,
    checksum: [u8; 32],
    was_gzipped: bool,
}

/// Reads a .wasm (gzipping it as wasmd's CLI does) or an already gzipped file, reporting progress
/// in bytes read.
fn read_code(path: &Path, progress: &mut Progress) -> Result<PreparedCode> {
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the wasm file {}", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let mut head = [0u8; 4];
    let got = file
        .read(&mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let head = &head[..got];
    let is_wasm = head == WASM_MAGIC;
    let is_gzip = head.starts_with(GZIP_MAGIC);
    if !is_wasm && !is_gzip {
        bail!(
            "{} is neither a wasm module nor gzipped wasm (build contracts with `bash contracts/build.sh`)",
            path.display()
        );
    }
    let pb = progress.bytes(
        if is_wasm {
            "reading and compressing"
        } else {
            "reading (already gzipped)"
        },
        len,
    );
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let mut raw = Vec::with_capacity(len as usize);
    raw.extend_from_slice(head);
    let mut hasher = Sha256::new();
    if is_wasm {
        encoder.write_all(head)?;
        hasher.update(head);
    }
    if let Some(pb) = &pb {
        pb.inc(head.len() as u64);
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        if is_wasm {
            encoder.write_all(&buf[..n]).context("gzip failed")?;
            hasher.update(&buf[..n]);
        } else {
            raw.extend_from_slice(&buf[..n]);
        }
        if let Some(pb) = &pb {
            pb.inc(n as u64);
        }
    }
    progress::finish(pb);
    let original_len = len;
    if is_wasm {
        return Ok(PreparedCode {
            gzipped: encoder.finish().context("gzip failed")?,
            original_len,
            wasm_len: original_len,
            checksum: hasher.finalize().into(),
            was_gzipped: false,
        });
    }
    // Already gzipped: check what is inside and checksum the wasm the chain will store.
    let mut inner = Vec::new();
    GzDecoder::new(raw.as_slice())
        .take(MAX_WASM_SIZE + 1)
        .read_to_end(&mut inner)
        .with_context(|| format!("{} looks gzipped but does not decompress", path.display()))?;
    if inner.len() as u64 > MAX_WASM_SIZE {
        bail!(
            "{} decompresses to more than {MAX_WASM_SIZE} bytes",
            path.display()
        );
    }
    if !inner.starts_with(WASM_MAGIC) {
        bail!(
            "{} is gzipped but does not contain a wasm module",
            path.display()
        );
    }
    Ok(PreparedCode {
        wasm_len: inner.len() as u64,
        checksum: Sha256::digest(&inner).into(),
        gzipped: raw,
        original_len,
        was_gzipped: true,
    })
}

async fn store(ctx: &Ctx, args: StoreArgs) -> Result<()> {
    let spec = TxSpec::from_flags(ctx, &args.tx)?;
    let mut progress = Progress::new(ctx, if spec.no_wait { 2 } else { 3 });
    let code = read_code(&args.wasm_file, &mut progress)?;
    if !ctx.output.is_json() && !code.was_gzipped {
        eprintln!(
            "{}: {} bytes, {} gzipped",
            args.wasm_file.display(),
            code.original_len,
            code.gzipped.len()
        );
    }
    let local_checksum = hex::encode(code.checksum);
    let msg = MsgStoreCode {
        sender: spec.from.to_string(),
        wasm_byte_code: code.gzipped,
        instantiate_permission: None,
    };
    let Some(c) = submit(ctx, &spec, vec![to_any(&msg)], &mut progress).await? else {
        return Ok(());
    };
    let (code_id, checksum) = match (
        c.event_attr("store_code", "code_id"),
        c.event_attr("store_code", "code_checksum"),
    ) {
        (Some(id), Some(sum)) => (id, sum),
        _ => {
            let resp: MsgStoreCodeResponse = msg_response(&c)
                .context("the committed tx reports no code id (no store_code event)")?;
            (resp.code_id.to_string(), hex::encode(resp.checksum))
        }
    };
    if !checksum.eq_ignore_ascii_case(&local_checksum) {
        eprintln!(
            "warning: the chain's checksum {checksum} differs from the local file's {local_checksum}"
        );
    }
    let extras: Vec<Extra> = vec![
        ("code_id", "code id", code_id),
        ("checksum", "checksum", checksum.to_ascii_lowercase()),
        ("wasm_size", "wasm size", code.wasm_len.to_string()),
    ];
    print_committed(ctx, &c, &extras, false);
    Ok(())
}

/// Decodes the first `msg_responses` entry of a committed tx as `R`.
fn msg_response<R: Message + Name + Default>(c: &Committed) -> Result<R> {
    let any = c
        .msg_responses()
        .into_iter()
        .find(|a| a.type_url == R::type_url())
        .with_context(|| format!("no {} in the tx result", R::full_name()))?;
    R::decode(any.value.as_slice()).with_context(|| format!("cannot decode {}", R::full_name()))
}

/// Resolves the shared instantiate flags into (admin, funds).
fn instantiate_common(ctx: &Ctx, o: &InstantiateOpts) -> Result<(String, Vec<ProtoCoin>)> {
    if o.label.trim().is_empty() {
        bail!("--label must not be empty");
    }
    code_id(o.code_id)?;
    let admin = match (&o.admin, o.no_admin) {
        (Some(a), false) => resolve_address(&ctx.keystore(), a)
            .context("invalid --admin")?
            .to_string(),
        (None, true) => String::new(),
        _ => bail!("pass exactly one of --admin ADDRESS and --no-admin"),
    };
    Ok((admin, funds(o.amount.as_deref())?))
}

/// Prints an instantiated contract's address (event `instantiate`, else the msg response).
fn print_instantiated(ctx: &Ctx, c: &Committed, code_id: u64, second: bool) -> Result<()> {
    let address = match c.event_attr("instantiate", "_contract_address") {
        Some(a) => a,
        None if second => {
            msg_response::<MsgInstantiateContract2Response>(c)
                .context("the committed tx reports no contract address")?
                .address
        }
        None => {
            msg_response::<MsgInstantiateContractResponse>(c)
                .context("the committed tx reports no contract address")?
                .address
        }
    };
    let extras: Vec<Extra> = vec![
        ("contract_address", "contract address", address),
        ("code_id", "code id", code_id.to_string()),
    ];
    print_committed(ctx, c, &extras, true);
    Ok(())
}

async fn instantiate(ctx: &Ctx, a: InstantiateArgs) -> Result<()> {
    let spec = TxSpec::from_flags(ctx, &a.tx)?;
    let (admin, funds) = instantiate_common(ctx, &a.opts)?;
    let msg = MsgInstantiateContract {
        sender: spec.from.to_string(),
        admin,
        code_id: a.opts.code_id,
        label: a.opts.label.clone(),
        msg: json_msg(&a.opts.msg, "instantiate message")?,
        funds,
    };
    let mut progress = Progress::new(ctx, 1);
    if let Some(c) = submit(ctx, &spec, vec![to_any(&msg)], &mut progress).await? {
        print_instantiated(ctx, &c, a.opts.code_id, false)?;
    }
    Ok(())
}

/// `--salt` as bytes: UTF-8 text, or hex with `--hex`.
fn parse_salt(salt: &str, is_hex: bool) -> Result<Vec<u8>> {
    let bytes = if is_hex {
        hex::decode(salt.trim().trim_start_matches("0x")).context("--salt is not valid hex")?
    } else {
        salt.as_bytes().to_vec()
    };
    if bytes.is_empty() || bytes.len() > MAX_SALT_LEN {
        bail!(
            "--salt must be 1 to {MAX_SALT_LEN} bytes (got {})",
            bytes.len()
        );
    }
    Ok(bytes)
}

async fn instantiate2(ctx: &Ctx, a: Instantiate2Args) -> Result<()> {
    let spec = TxSpec::from_flags(ctx, &a.tx)?;
    let (admin, funds) = instantiate_common(ctx, &a.opts)?;
    let msg = MsgInstantiateContract2 {
        sender: spec.from.to_string(),
        admin,
        code_id: a.opts.code_id,
        label: a.opts.label.clone(),
        msg: json_msg(&a.opts.msg, "instantiate message")?,
        funds,
        salt: parse_salt(&a.salt, a.hex)?,
        fix_msg: a.fix_msg,
    };
    let mut progress = Progress::new(ctx, 1);
    if let Some(c) = submit(ctx, &spec, vec![to_any(&msg)], &mut progress).await? {
        print_instantiated(ctx, &c, a.opts.code_id, true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(b).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn wasm_is_gzipped_and_checksummed() {
        let dir = tempfile::tempdir().unwrap();
        // Larger than one read buffer, so the chunked path is exercised.
        let mut wasm = WASM_MAGIC.to_vec();
        wasm.extend((0..200_000u32).map(|i| (i % 7) as u8));
        let p = write(dir.path(), "c.wasm", &wasm);
        let code = read_code(&p, &mut Progress::hidden()).unwrap();
        assert!(!code.was_gzipped);
        assert!(code.gzipped.starts_with(GZIP_MAGIC));
        assert!(code.gzipped.len() < wasm.len());
        assert_eq!(gunzip(&code.gzipped), wasm);
        assert_eq!(code.checksum, <[u8; 32]>::from(Sha256::digest(&wasm)));
        assert_eq!(code.wasm_len, wasm.len() as u64);
    }

    #[test]
    fn gzipped_wasm_is_sent_as_is() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = [WASM_MAGIC, b"rest of the module"].concat();
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&wasm).unwrap();
        let gz = enc.finish().unwrap();
        let p = write(dir.path(), "c.wasm.gz", &gz);
        let code = read_code(&p, &mut Progress::hidden()).unwrap();
        assert!(code.was_gzipped);
        assert_eq!(code.gzipped, gz);
        assert_eq!(code.checksum, <[u8; 32]>::from(Sha256::digest(&wasm)));
    }

    #[test]
    fn other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "x.txt", b"hello world");
        let err = read_code(&p, &mut Progress::hidden()).err().unwrap();
        assert!(err.to_string().contains("neither a wasm module"), "{err}");
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"not wasm").unwrap();
        let p = write(dir.path(), "x.gz", &enc.finish().unwrap());
        let err = read_code(&p, &mut Progress::hidden()).err().unwrap();
        assert!(err.to_string().contains("does not contain a wasm"), "{err}");
        let err = read_code(&dir.path().join("missing.wasm"), &mut Progress::hidden())
            .err()
            .unwrap();
        assert!(err.to_string().contains("cannot open"), "{err}");
    }

    #[test]
    fn salts_and_messages() {
        assert_eq!(parse_salt("abc", false).unwrap(), b"abc");
        assert_eq!(parse_salt("0x0aff", true).unwrap(), vec![0x0a, 0xff]);
        assert!(parse_salt("", false).is_err());
        assert!(parse_salt("zz", true).is_err());
        assert!(parse_salt(&"a".repeat(65), false).is_err());
        assert_eq!(json_msg(" {\"a\":1} ", "m").unwrap(), b"{\"a\":1}");
        assert!(json_msg("{a:1}", "m").is_err());
        assert!(code_id(0).is_err());
    }
}
