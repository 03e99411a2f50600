//! Where keyring passwords come from: `PROOF_KEYRING_PASSWORD`, then `--password-file`, then an
//! interactive prompt on the terminal. Passwords are zeroized after use and never printed.

use std::path::Path;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

use crate::Ctx;

pub use proof_sdk::keystore::PASSWORD_ENV;

enum Source {
    Env(Zeroizing<String>),
    File(Zeroizing<String>),
    Prompt,
}

fn source(ctx: &Ctx) -> Result<Source> {
    if let Ok(pw) = std::env::var(PASSWORD_ENV) {
        return Ok(Source::Env(Zeroizing::new(pw)));
    }
    if let Some(path) = &ctx.password_file {
        return Ok(Source::File(read_password_file(path)?));
    }
    Ok(Source::Prompt)
}

fn read_password_file(path: &Path) -> Result<Zeroizing<String>> {
    proof_sdk::keystore::read_password_file(path)
        .with_context(|| format!("cannot read --password-file {}", path.display()))
}

fn prompt(text: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(text).map(Zeroizing::new).with_context(|| {
        format!("cannot prompt for a password (no terminal?); set {PASSWORD_ENV} or pass --password-file")
    })
}

/// The password that unlocks an existing key.
pub fn unlock(ctx: &Ctx, what: &str) -> Result<Zeroizing<String>> {
    match source(ctx)? {
        Source::Env(pw) | Source::File(pw) => Ok(pw),
        Source::Prompt => prompt(&format!("Password for {what}: ")),
    }
}

/// A password for a new key: asked twice when prompting, so a typo cannot lock the key away.
pub fn choose(ctx: &Ctx, what: &str) -> Result<Zeroizing<String>> {
    let pw = match source(ctx)? {
        Source::Env(pw) | Source::File(pw) => pw,
        Source::Prompt => {
            let first = prompt(&format!("Choose a password for {what}: "))?;
            if first.is_empty() {
                bail!("the password must not be empty");
            }
            let second = prompt("Repeat the password: ")?;
            if *first != *second {
                bail!("the passwords do not match; nothing was saved");
            }
            first
        }
    };
    if pw.is_empty() {
        bail!("the keyring password must not be empty (check {PASSWORD_ENV} / --password-file)");
    }
    Ok(pw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_file_uses_first_line_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret pass\r\nignored\n").unwrap();
        assert_eq!(&*read_password_file(&p).unwrap(), "s3cret pass");
        std::fs::write(&p, "").unwrap();
        assert_eq!(&*read_password_file(&p).unwrap(), "");
        assert!(read_password_file(&dir.path().join("missing")).is_err());
    }
}
