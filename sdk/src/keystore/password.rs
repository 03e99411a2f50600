//! Where a keyring password comes from without a prompt: `PROOF_KEYRING_PASSWORD`, else the
//! first line of a password file. The CLI adds the terminal prompt; the operator has none.

use std::path::Path;

use zeroize::Zeroizing;

pub const PASSWORD_ENV: &str = "PROOF_KEYRING_PASSWORD";

/// The password from the environment, else from the first line of `file` (a line ending,
/// `\n` or `\r\n`, is not part of it); `None` when neither is given.
pub fn given_password(file: Option<&Path>) -> std::io::Result<Option<Zeroizing<String>>> {
    if let Ok(pw) = std::env::var(PASSWORD_ENV) {
        return Ok(Some(Zeroizing::new(pw)));
    }
    file.map(read_password_file).transpose()
}

/// The first line of a password file (a line ending, `\n` or `\r\n`, is not part of it).
pub fn read_password_file(path: &Path) -> std::io::Result<Zeroizing<String>> {
    let content = Zeroizing::new(std::fs::read_to_string(path)?);
    Ok(Zeroizing::new(
        content.lines().next().unwrap_or("").to_string(),
    ))
}
