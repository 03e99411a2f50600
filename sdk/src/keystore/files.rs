//! Key files on disk: one JSON file per key, `<dir>/<name>.key.json`, written whole or not at all.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::KeystoreError;

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeystoreError + '_ {
    move |source| KeystoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn key_path(dir: &Path, name: &str) -> Result<PathBuf, KeystoreError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(KeystoreError::BadName(name.to_string()));
    }
    Ok(dir.join(format!("{name}.key.json")))
}

pub(super) fn write_json<T: Serialize>(
    dir: &Path,
    path: &Path,
    file: &T,
) -> Result<(), KeystoreError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let json = serde_json::to_vec_pretty(file).expect("key file serializes");
    // Write to a temp file and rename so a crash never leaves a half-written key.
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, json).map_err(io_err(&tmp))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).map_err(io_err(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io_err(path))
}

pub(super) fn read_json<T: DeserializeOwned>(
    path: &Path,
    missing: impl FnOnce() -> KeystoreError,
) -> Result<T, KeystoreError> {
    let bytes = fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => missing(),
        _ => KeystoreError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    serde_json::from_slice(&bytes).map_err(|e| KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The names of the key files in `dir`, sorted (none when it does not exist).
pub(super) fn key_names(dir: &Path) -> Result<Vec<String>, KeystoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(KeystoreError::Io {
                path: dir.to_path_buf(),
                source: e,
            })
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let fname = entry.file_name().to_string_lossy().to_string();
        if let Some(name) = fname.strip_suffix(".key.json") {
            out.push(name.to_string());
        }
    }
    out.sort();
    Ok(out)
}

pub(super) fn remove(
    path: &Path,
    missing: impl FnOnce() -> KeystoreError,
) -> Result<(), KeystoreError> {
    if !path.exists() {
        return Err(missing());
    }
    fs::remove_file(path).map_err(io_err(path))
}
