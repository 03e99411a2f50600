//! The sequencer's write-ahead journal: every operation it confirmed and every batch boundary,
//! in order. A receipt is sent only after its entry is on disk (`fdatasync`), so a crash never
//! loses a soft-confirmed transfer, and a restart replays the same order.
//!
//! ## Format
//! A sequence of records `len u32 LE | check [8] | payload`, `check` = the first 8 bytes of
//! SHA-256(payload), payload = bincode (legacy config) of an [`Entry`]. Appends are the only
//! writes. A crash can leave a torn last record: opening truncates a bad record that reaches the
//! end of the file (it was never acknowledged). A bad record with intact data after it is
//! corruption of acknowledged entries, and opening refuses rather than drop them.

use proof_zk::Op;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One journaled step of the sequencer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A signed transfer or withdrawal, confirmed into the open batch.
    Tx(Op),
    /// The deposit `seq` of the `xx` queue, taken into the open batch.
    Deposit { seq: u64, op: Op },
    /// The open batch `batch` closed; the next one opens.
    Cut { batch: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path}: entry {index} does not apply to the state before it ({why})")]
    Replay {
        path: PathBuf,
        index: usize,
        why: String,
    },
    #[error("journal {path} is corrupt at byte {offset} ({what}) with acknowledged entries after it: restore it from a backup or rebuild from the chain")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        what: &'static str,
    },
}

const HEADER: usize = 12;
/// No entry comes near this; a larger length is a torn or corrupt header.
const MAX_RECORD: u32 = 1 << 20;

fn cfg() -> impl bincode::config::Config {
    bincode::config::legacy()
}

fn check(payload: &[u8]) -> [u8; 8] {
    let d = Sha256::digest(payload);
    let mut c = [0u8; 8];
    c.copy_from_slice(&d[..8]);
    c
}

/// Appends one encoded record to `out`.
pub fn encode_record(entry: &Entry, out: &mut Vec<u8>) {
    let payload = bincode::serde::encode_to_vec(entry, cfg()).expect("entries always encode");
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&check(&payload));
    out.extend_from_slice(&payload);
}

/// An open journal, positioned at its end.
pub struct Journal {
    file: File,
    path: PathBuf,
    len: u64,
    /// Tests: the next append fails as a full disk would, after writing half its bytes.
    #[cfg(test)]
    pub(crate) fail_next: bool,
}

impl Journal {
    /// Opens (or creates) the journal at `path` and returns every intact entry in order.
    pub fn open(path: &Path) -> Result<(Journal, Vec<Entry>), JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (entries, good) = parse(&bytes).map_err(|(offset, what)| JournalError::Corrupt {
            path: path.to_path_buf(),
            offset,
            what,
        })?;
        if good < bytes.len() as u64 {
            tracing::warn!(
                path = %path.display(),
                dropped = bytes.len() as u64 - good,
                "journal: dropping a torn last record (never acknowledged)"
            );
            file.set_len(good).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok((
            Journal {
                file,
                path: path.to_path_buf(),
                len: good,
                #[cfg(test)]
                fail_next: false,
            },
            entries,
        ))
    }

    /// Writes `records` (from [`encode_record`]) and waits until they are on disk. On an error
    /// the journal is cut back to where it was, so a failed group leaves no half-written entry.
    pub fn append(&mut self, records: &[u8]) -> Result<(), JournalError> {
        if records.is_empty() {
            return Ok(());
        }
        let res = self.write_synced(records);
        match res {
            Ok(()) => {
                self.len += records.len() as u64;
                Ok(())
            }
            Err(source) => {
                let _ = self.file.set_len(self.len);
                Err(JournalError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }

    fn write_synced(&mut self, records: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if std::mem::take(&mut self.fail_next) {
            let _ = self.file.write_all(&records[..records.len() / 2]);
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        self.file.write_all(records)?;
        self.file.sync_data()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The entries of `bytes` and the length of its intact prefix; `Err((offset, what))` when a bad
/// record is followed by more data than a torn write can leave.
fn parse(bytes: &[u8]) -> Result<(Vec<Entry>, u64), (u64, &'static str)> {
    let mut entries = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let bad =
            |what| -> Result<(Vec<Entry>, u64), (u64, &'static str)> { Err((at as u64, what)) };
        if rest.len() < HEADER {
            // a torn header: the last write stopped here
            break;
        }
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        if len > MAX_RECORD {
            // a length no entry has: the header itself is torn (only possible at the tail)
            if rest.len() <= HEADER + MAX_RECORD as usize {
                break;
            }
            return bad("impossible record length");
        }
        let end = HEADER + len as usize;
        if rest.len() < end {
            break;
        }
        let payload = &rest[HEADER..end];
        let intact = check(payload) == rest[4..HEADER];
        let decoded = intact
            .then(|| {
                bincode::serde::decode_from_slice::<Entry, _>(payload, cfg())
                    .ok()
                    .filter(|(_, n)| *n == payload.len())
            })
            .flatten();
        match decoded {
            Some((e, _)) => entries.push(e),
            // the very last record may be torn (its bytes were still being written)
            None if end == rest.len() => break,
            None => {
                return bad(if intact {
                    "undecodable entry"
                } else {
                    "checksum mismatch"
                })
            }
        }
        at += end;
    }
    Ok((entries, at as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proof_zk::SecretKey;

    fn entries() -> Vec<Entry> {
        let sk = SecretKey::from_seed(&[1; 32]);
        vec![
            Entry::Deposit {
                seq: 0,
                op: Op::Deposit {
                    to: 1,
                    pubkey: sk.public_key(),
                    amount: 100,
                },
            },
            Entry::Tx(Op::transfer(&sk, proof_zk::RollupId(0), 1, 1, 5, 1, 0).unwrap()),
            Entry::Cut { batch: 0 },
        ]
    }

    fn write_all(j: &mut Journal, es: &[Entry]) {
        let mut buf = Vec::new();
        for e in es {
            encode_record(e, &mut buf);
        }
        j.append(&buf).unwrap();
    }

    #[test]
    fn entries_survive_a_reopen_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("journal");
        let (mut j, none) = Journal::open(&p).unwrap();
        assert!(none.is_empty() && j.is_empty());
        write_all(&mut j, &entries());
        drop(j);
        let (j, back) = Journal::open(&p).unwrap();
        assert_eq!(back, entries());
        assert_eq!(j.len(), std::fs::metadata(&p).unwrap().len());
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_the_journal_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("journal");
        let (mut j, _) = Journal::open(&p).unwrap();
        write_all(&mut j, &entries());
        let full = std::fs::metadata(&p).unwrap().len();
        drop(j);
        // every cut inside the last record loses that record only
        let mut last = Vec::new();
        encode_record(&entries()[2], &mut last);
        for cut in 1..last.len() as u64 {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(full - cut)
                .unwrap();
            let (mut j, back) = Journal::open(&p).unwrap();
            assert_eq!(back, entries()[..2], "cut {cut}");
            assert_eq!(j.len(), full - last.len() as u64);
            write_all(&mut j, &entries()[2..]);
            drop(j);
            assert_eq!(Journal::open(&p).unwrap().1, entries());
        }
        // a torn tail whose bytes are garbage (a half-overwritten block) is dropped too
        let mut b = std::fs::read(&p).unwrap();
        let n = b.len();
        b[n - 3] ^= 0xff;
        std::fs::write(&p, &b).unwrap();
        assert_eq!(Journal::open(&p).unwrap().1, entries()[..2]);
    }

    #[test]
    fn corruption_before_acknowledged_entries_is_refused_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("journal");
        let (mut j, _) = Journal::open(&p).unwrap();
        write_all(&mut j, &entries());
        drop(j);
        let mut b = std::fs::read(&p).unwrap();
        b[HEADER + 2] ^= 0x01; // inside the first record's payload
        std::fs::write(&p, &b).unwrap();
        let err = Journal::open(&p).err().expect("refused");
        assert!(
            matches!(err, JournalError::Corrupt { offset: 0, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b, "nothing was truncated");
    }
}
