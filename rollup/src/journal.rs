//! The sequencer's write-ahead journal: every operation it confirmed and every batch boundary,
//! in order. A receipt is sent only after its entry is on disk (`fdatasync`), so a crash never
//! loses a soft-confirmed transfer, and a restart replays the same order.
//!
//! ## Format
//! A sequence of records `len u32 LE | len_check [4] | check [8] | payload`: `len_check` = the
//! first 4 bytes of SHA-256("len" | len), `check` = the first 8 bytes of SHA-256(payload),
//! payload = bincode (legacy config) of an [`Entry`]. Appends are the only writes. A crash can
//! leave a torn last record, cut anywhere or followed by zeros (blocks the file grew by but never
//! got): opening drops it (it was never acknowledged). A bad record with written data after it
//! is corruption of acknowledged entries, and opening refuses rather than drop them.

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
    /// Deposit `seq` left the `xx` queue without a batch; the next one may go in.
    DepositSkipped { seq: u64 },
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

const HEADER: usize = 16;
/// No entry comes near this.
const MAX_RECORD: u32 = 1 << 20;

fn cfg() -> impl bincode::config::Config {
    bincode::config::legacy()
}

/// The length's own check: a flipped length bit is caught before it decides where records end.
fn len_check(len: u32) -> [u8; 4] {
    let d = Sha256::digest([b"len".as_slice(), &len.to_le_bytes()].concat());
    [d[0], d[1], d[2], d[3]]
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
    let len = payload.len() as u32;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&len_check(len));
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
/// record is followed by something other than what a crash leaves after an unacknowledged write
/// (the end of the file inside that record, or zeros: blocks the file grew by but never got).
fn parse(bytes: &[u8]) -> Result<(Vec<Entry>, u64), (u64, &'static str)> {
    let mut entries = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let torn_or = |what, end: usize| {
            let after = rest.get(end.min(rest.len())..).unwrap_or_default();
            if end >= rest.len() || after.iter().all(|b| *b == 0) {
                Ok(())
            } else {
                Err((at as u64, what))
            }
        };
        if rest.len() < HEADER {
            break; // a torn header: the last write stopped here
        }
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        if rest[4..8] != len_check(len) || len > MAX_RECORD {
            // the header itself is bad: torn only if nothing written follows it
            torn_or("bad record header", HEADER)?;
            break;
        }
        let end = HEADER + len as usize;
        if rest.len() < end {
            break; // the header made it to disk, the payload not all of it
        }
        let payload = &rest[HEADER..end];
        let intact = check(payload) == rest[8..HEADER];
        let decoded = intact
            .then(|| {
                bincode::serde::decode_from_slice::<Entry, _>(payload, cfg())
                    .ok()
                    .filter(|(_, n)| *n == payload.len())
            })
            .flatten();
        match decoded {
            Some((e, _)) => entries.push(e),
            None => {
                torn_or(
                    if intact {
                        "undecodable entry"
                    } else {
                        "checksum mismatch"
                    },
                    end,
                )?;
                break;
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
        let good = std::fs::read(&p).unwrap();
        let mut b = good.clone();
        b[HEADER + 2] ^= 0x01; // inside the first record's payload
        std::fs::write(&p, &b).unwrap();
        let err = Journal::open(&p).err().expect("refused");
        assert!(
            matches!(err, JournalError::Corrupt { offset: 0, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b, "nothing was truncated");
        // a flipped length bit is caught by the length's check, not taken for a torn tail
        let mut b = good.clone();
        b[0] ^= 0x40;
        std::fs::write(&p, &b).unwrap();
        let err = Journal::open(&p).err().expect("refused");
        assert!(
            matches!(err, JournalError::Corrupt { offset: 0, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b, "nothing was truncated");
    }

    #[test]
    fn a_zero_filled_tail_after_a_crash_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("journal");
        let (mut j, _) = Journal::open(&p).unwrap();
        write_all(&mut j, &entries()[..2]);
        drop(j);
        let mut b = std::fs::read(&p).unwrap();
        b.extend_from_slice(&[0u8; 4096]);
        std::fs::write(&p, &b).unwrap();
        let (j, back) = Journal::open(&p).unwrap();
        assert_eq!(back, entries()[..2]);
        assert_eq!(j.len(), b.len() as u64 - 4096);
        // and a torn record followed by zeros too
        drop(j);
        let mut last = Vec::new();
        encode_record(&Entry::Cut { batch: u64::MAX }, &mut last);
        let mut b = std::fs::read(&p).unwrap();
        b.extend_from_slice(&last[..last.len() - 3]);
        b.extend_from_slice(&[0u8; 100]);
        std::fs::write(&p, &b).unwrap();
        assert_eq!(Journal::open(&p).unwrap().1, entries()[..2]);
    }
}
