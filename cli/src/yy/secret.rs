//! HTLC secrets: 32 random bytes, kept in a file only their owner reads, and their sha256.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The lock hash of `secret`: lower-case hex sha256.
pub fn hash_of(secret: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(secret))
}

/// Makes a new secret and writes it (hex) to `path`, which must not exist: a secret overwritten
/// before it is used would lock the funds until the swap expires.
pub fn create(path: &Path) -> Result<Zeroizing<[u8; 32]>> {
    let mut secret = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(secret.as_mut());
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).with_context(|| {
        format!(
            "cannot create the secret file {} (it must not exist)",
            path.display()
        )
    })?;
    f.write_all(format!("{}\n", hex::encode(secret.as_ref())).as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(secret)
}

/// A secret given as 64 hex digits, or read from a file holding them.
pub fn read(hex_or_file: &str) -> Result<Zeroizing<[u8; 32]>> {
    let text = if Path::new(hex_or_file).is_file() {
        Zeroizing::new(
            std::fs::read_to_string(hex_or_file)
                .with_context(|| format!("reading the secret file {hex_or_file}"))?,
        )
    } else {
        Zeroizing::new(hex_or_file.to_string())
    };
    let mut secret = Zeroizing::new([0u8; 32]);
    if hex::decode_to_slice(text.trim(), secret.as_mut()).is_err() {
        bail!("the secret must be 64 hex digits (32 bytes), or a file holding them");
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_secret_reads_back_and_hashes_like_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let s = create(&path).unwrap();
        assert_eq!(*read(path.to_str().unwrap()).unwrap(), *s);
        assert_eq!(*read(&hex::encode(s.as_ref())).unwrap(), *s);
        assert!(
            create(&path).is_err(),
            "an existing secret is never overwritten"
        );
        assert!(read("abcd").is_err());
        // sha256 of 32 zero bytes.
        assert_eq!(
            hash_of(&[0u8; 32]),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
    }
}
