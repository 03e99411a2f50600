//! A full disk during Commit: the block's write fails with a clear error, the store stays at the
//! previous block (nothing partial), and once space is freed the node commits again.
//!
//! Uses a real 16 MiB tmpfs, so it needs root (CI and the dev machines run as root); without the
//! privilege to mount it says so and checks nothing else.

use std::collections::BTreeMap;
use std::process::Command;

use proof_chain::store::{Pruning, Store, StoreError};

struct Tmpfs(std::path::PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn block(version: u64, n: usize, size: usize) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    (0..n)
        .map(|i| {
            (
                format!("bank/bal/{version}/{i}").into_bytes(),
                Some(vec![(i % 251) as u8; size]),
            )
        })
        .collect()
}

#[test]
fn commit_on_a_full_disk_fails_cleanly_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("disk");
    std::fs::create_dir(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&mnt)
        .status();
    if !matches!(ok, Ok(s) if s.success()) {
        eprintln!("full_disk: cannot mount a tmpfs here (not root?); this check needs root");
        return;
    }
    let _guard = Tmpfs(mnt.clone());
    let db = mnt.join("app.db");
    let store = Store::open(&db, Pruning::default()).unwrap();
    store
        .commit(store.prepare_commit(0, block(0, 10, 100), vec![]).unwrap())
        .unwrap();
    let good_hash = store.app_hash(0).unwrap().unwrap();

    // Fill the disk with a ballast file, then try to commit a block that cannot fit.
    let ballast = mnt.join("ballast");
    let _ = std::fs::write(&ballast, vec![0u8; 15 * 1024 * 1024]);
    let mut failed = None;
    for v in 1..20u64 {
        let batch = store
            .prepare_commit(v, block(v, 200, 4096), vec![])
            .unwrap();
        match store.commit(batch) {
            Ok(()) => continue,
            Err(e) => {
                failed = Some((v, e));
                break;
            }
        }
    }
    let (failed_version, err) = failed.expect("a full disk must make some commit fail");
    assert!(matches!(err, StoreError::Db(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("database error") && (msg.contains("space") || msg.contains("IO error")),
        "clear error: {msg}"
    );
    let last_good = failed_version - 1;
    assert_eq!(
        store.latest_version(),
        Some(last_good),
        "the failed block left nothing behind"
    );
    drop(store);

    // Free space and reopen: same version, same hash, readable, and the next block commits.
    std::fs::remove_file(&ballast).unwrap();
    let store =
        Store::open(&db, Pruning::default()).expect("store reopens after the disk was full");
    assert_eq!(store.latest_version(), Some(last_good));
    assert_eq!(store.app_hash(0).unwrap().unwrap(), good_hash);
    assert!(store.get(b"bank/bal/0/3").unwrap().is_some());
    assert!(store
        .get(format!("bank/bal/{failed_version}/0").as_bytes())
        .unwrap()
        .is_none());
    store
        .commit(
            store
                .prepare_commit(last_good + 1, block(99, 5, 10), vec![])
                .unwrap(),
        )
        .unwrap();
    assert_eq!(store.latest_version(), Some(last_good + 1));
}
