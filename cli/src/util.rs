//! Small parsing helpers shared by the commands.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use proof_sdk::keystore::{Keystore, KeystoreError};
use proof_sdk::{Address, Coin, ACCOUNT_PREFIX};
use zeroize::Zeroizing;

/// Parses `30s`, `500ms`, `2m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 30s, 500ms, 2m"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration unit {unit:?}: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration {s:?}"))
}

/// Exactly one coin, e.g. `1000000uxyz` (stakes, deposits).
pub fn parse_one_coin(s: &str, what: &str) -> Result<Coin> {
    let mut c = parse_amount(s, what)?;
    if c.len() != 1 {
        bail!("give one {what}, e.g. 1000000{}", proof_sdk::BASE_DENOM);
    }
    Ok(c.remove(0))
}

/// Parses a coin list (`1000uxyz,5foo`) that must not be empty and must not contain zero amounts,
/// which the chain would reject anyway with a less helpful message (sorted by denom, as
/// `parse_coins` gives them).
pub fn parse_amount(s: &str, what: &str) -> Result<Vec<Coin>> {
    let coins = proof_sdk::coin::parse_coins(s).with_context(|| format!("invalid {what} {s:?}"))?;
    if coins.is_empty() {
        bail!("{what} is empty: expected e.g. 1000uxyz");
    }
    if let Some(c) = coins.iter().find(|c| c.amount == 0) {
        bail!("{what} contains a zero amount ({c}); amounts must be positive");
    }
    let mut denoms: Vec<&str> = coins.iter().map(|c| c.denom.as_str()).collect();
    denoms.sort_unstable();
    if denoms.windows(2).any(|w| w[0] == w[1]) {
        bail!("{what} {s:?} lists a denom twice");
    }
    Ok(coins)
}

/// A system contract's address from its flag (or its environment variable): `what` names it in
/// the errors, e.g. `("amm", "--amm", "PROOF_AMM")`.
pub fn contract_flag(value: Option<&str>, what: &str, flag: &str, env: &str) -> Result<Address> {
    let v = value.with_context(|| {
        format!("the {what} contract is not known: pass {flag} proof1... or set {env}")
    })?;
    v.parse()
        .map_err(|e| anyhow::anyhow!("invalid {flag} address {v:?}: {e}"))
}

pub fn parse_address(s: &str) -> Result<Address> {
    s.parse::<Address>()
        .with_context(|| format!("{s:?} is not a valid {ACCOUNT_PREFIX}1... address"))
}

/// Accepts either a bech32 address or the name of a local key.
pub fn resolve_address(ks: &Keystore, s: &str) -> Result<Address> {
    if s.starts_with(&format!("{ACCOUNT_PREFIX}1")) {
        if let Ok(a) = s.parse::<Address>() {
            return Ok(a);
        }
    }
    match ks.get(s) {
        Ok(file) => {
            parse_address(&file.address).with_context(|| format!("key file of {s:?} is corrupt"))
        }
        Err(KeystoreError::NotFound(_)) | Err(KeystoreError::BadName(_)) => {
            // Re-parse so the user sees why it is not an address when it looks like one.
            if s.starts_with(&format!("{ACCOUNT_PREFIX}1")) {
                return parse_address(s);
            }
            bail!("{s:?} is neither a {ACCOUNT_PREFIX}1... address nor the name of a key (see `proof keys list`)")
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads one line from stdin, prompting on stderr first when stdin is a terminal.
pub fn read_stdin_line(prompt: &str) -> Result<Zeroizing<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
    }
    let mut line = Zeroizing::new(String::new());
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read from stdin")?;
    Ok(Zeroizing::new(line.trim().to_string()))
}

/// Asks a yes/no question on stderr; anything but y/yes (including EOF) is no.
pub fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N]: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer from stdin")?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Tx hashes are 32-byte hex; accept lower case and a 0x prefix as people paste them.
pub fn normalize_tx_hash(s: &str) -> Result<String> {
    let h = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("{s:?} is not a transaction hash (expected 64 hex characters)");
    }
    Ok(h.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("10uxyz,5foo", "amount").unwrap().len(), 2);
        // Sorted by denom, as the chain requires of a message's coins.
        let sorted: Vec<String> = parse_amount("1uxyz,2uusd,3abc", "amount")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(sorted, ["3abc", "2uusd", "1uxyz"]);
        assert!(parse_amount("", "amount").is_err());
        assert!(parse_amount("0uxyz", "amount").is_err());
        assert!(parse_amount("1uxyz,2uxyz", "amount").is_err());
        assert!(parse_amount("uxyz", "amount").is_err());
    }

    #[test]
    fn tx_hashes() {
        let h = "ab".repeat(32);
        assert_eq!(
            normalize_tx_hash(&format!("0x{h}")).unwrap(),
            h.to_uppercase()
        );
        assert!(normalize_tx_hash("abc").is_err());
        assert!(normalize_tx_hash(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn resolves_addresses_and_key_names() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open_insecure_fast(dir.path());
        let addr = Address::from_bytes(&[3u8; 20]).unwrap();
        assert_eq!(resolve_address(&ks, &addr.to_string()).unwrap(), addr);
        let (file, _) = ks.create("bob", proof_sdk::KeyType::Ed25519, "pw").unwrap();
        assert_eq!(
            resolve_address(&ks, "bob").unwrap().to_string(),
            file.address
        );
        let err = resolve_address(&ks, "carol").unwrap_err().to_string();
        assert!(err.contains("neither"), "{err}");
        let err = format!("{:#}", resolve_address(&ks, "proof1qqqq").unwrap_err());
        assert!(err.contains("not a valid"), "{err}");
    }
}
