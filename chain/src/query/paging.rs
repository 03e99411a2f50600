//! Listing queries page like the Cosmos SDK's `PageRequest` (`key` or `offset`, `limit`,
//! `count_total`, `reverse`; `next_key` to continue), read lazily from state so that no query
//! costs more than its page: queries are free to send, so every one must be bounded.
//!
//! Bounds per request: at most [`MAX_LIMIT`] items returned, [`MAX_SCAN`] entries read (a
//! filtered listing whose matches are sparse returns a short page with a `next_key`),
//! [`MAX_OFFSET`] entries skipped, and `count_total` reads at most [`MAX_COUNT`] entries.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use crate::query::QueryError;
use crate::state::{prefix_end, Order, StateRead};

/// The SDK's default page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// Largest page served.
pub const MAX_LIMIT: u64 = 1_000;
/// Entries read for one page, matching or not.
pub const MAX_SCAN: usize = 10_000;
/// Largest `offset` (deeper pages: follow `next_key`).
pub const MAX_OFFSET: u64 = 10_000;
/// Most entries `count_total` reads (matching or not).
pub const MAX_COUNT: u64 = 100_000;

/// One page of the entries under `prefix`. `item` gets each entry's key (after the prefix) and
/// value and returns `None` to leave it out (a filtered listing; left-out entries still count
/// as read). Keys in the request and in `next_key` are relative to `prefix`, as in the SDK.
pub fn page<T>(
    view: &dyn StateRead,
    prefix: &[u8],
    req: Option<PageRequest>,
    mut item: impl FnMut(&[u8], Vec<u8>) -> Result<Option<T>, QueryError>,
) -> Result<(Vec<T>, Option<PageResponse>), QueryError> {
    let req = req.unwrap_or_default();
    if !req.key.is_empty() && req.offset > 0 {
        return Err(QueryError::InvalidArgument(
            "pagination: either key or offset, not both".into(),
        ));
    }
    if req.offset > MAX_OFFSET {
        return Err(QueryError::InvalidArgument(format!(
            "pagination: offset {} is over the maximum {MAX_OFFSET}; page with next_key",
            req.offset
        )));
    }
    let limit = match req.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    } as usize;
    let (order, start, end) = if req.reverse {
        // From `key` (inclusive) downwards.
        let end = if req.key.is_empty() {
            prefix_end(prefix)
        } else {
            Some([prefix, req.key.as_slice(), &[0]].concat())
        };
        (Order::Descending, prefix.to_vec(), end)
    } else {
        (
            Order::Ascending,
            [prefix, req.key.as_slice()].concat(),
            prefix_end(prefix),
        )
    };
    let mut entries = view.range(&start, end.as_deref(), order)?;
    let mut out = Vec::new();
    let (mut read, mut matched, mut skipped) = (0usize, 0u64, 0u64);
    let mut next_key = Vec::new();
    for entry in entries.by_ref() {
        let (k, v) = entry?;
        let rel = &k[prefix.len()..];
        if out.len() == limit || read == MAX_SCAN {
            next_key = rel.to_vec();
            matched += u64::from(req.count_total && item(rel, v)?.is_some());
            break;
        }
        read += 1;
        if let Some(t) = item(rel, v)? {
            matched += 1;
            if skipped < req.offset {
                skipped += 1;
            } else {
                out.push(t);
            }
        }
    }
    let total = if req.count_total && req.key.is_empty() {
        // Bounded by entries read, not matches: a filter that matches rarely must not make the
        // count walk the whole prefix.
        for (counted, entry) in (read as u64..).zip(entries) {
            let (k, v) = entry?;
            if counted >= MAX_COUNT {
                return Err(QueryError::InvalidArgument(format!(
                    "pagination: count_total reads at most {MAX_COUNT} entries; page with next_key instead"
                )));
            }
            matched += u64::from(item(&k[prefix.len()..], v)?.is_some());
        }
        matched
    } else {
        0
    };
    Ok((out, Some(PageResponse { next_key, total })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Delta, EmptyState};

    fn req(key: &[u8], offset: u64, limit: u64, reverse: bool) -> Option<PageRequest> {
        Some(PageRequest {
            key: key.to_vec(),
            offset,
            limit,
            count_total: true,
            reverse,
        })
    }

    fn state() -> Delta<'static> {
        let mut d = Delta::new(&EmptyState);
        for i in 0u8..5 {
            d.put([b"p/".as_slice(), &[i]].concat(), vec![i]);
        }
        d.put(b"q/other".to_vec(), vec![9]);
        d
    }

    fn all(_: &[u8], v: Vec<u8>) -> Result<Option<u8>, QueryError> {
        Ok(Some(v[0]))
    }

    #[test]
    fn pages_follow_next_key_offset_and_reverse() {
        let s = state();
        let (a, p) = page(&s, b"p/", req(b"", 0, 2, false), all).unwrap();
        let p = p.unwrap();
        assert_eq!((a, p.next_key.clone(), p.total), (vec![0, 1], vec![2], 5));
        let (b, p) = page(&s, b"p/", req(&p.next_key, 0, 2, false), all).unwrap();
        assert_eq!((b, p.unwrap().next_key), (vec![2, 3], vec![4]));
        let (c, p) = page(&s, b"p/", req(&[4], 0, 2, false), all).unwrap();
        assert_eq!((c, p.unwrap().next_key), (vec![4], vec![]));
        let (d, _) = page(&s, b"p/", req(b"", 3, 0, false), all).unwrap();
        assert_eq!(d, vec![3, 4]);
        let (e, p) = page(&s, b"p/", req(b"", 0, 2, true), all).unwrap();
        assert_eq!((e, p.unwrap().next_key), (vec![4, 3], vec![2]));
        let (f, _) = page(&s, b"p/", req(&[2], 0, 5, true), all).unwrap();
        assert_eq!(f, vec![2, 1, 0]);
        assert!(page(&s, b"p/", req(&[1], 1, 2, false), all).is_err());
        assert!(page(&s, b"p/", req(b"", MAX_OFFSET + 1, 2, false), all).is_err());
    }

    #[test]
    fn filtered_pages_count_only_matches() {
        let s = state();
        let odd = |_: &[u8], v: Vec<u8>| Ok(Some(v[0]).filter(|x| x % 2 == 1));
        let (a, p) = page(&s, b"p/", req(b"", 0, 1, false), odd).unwrap();
        let p = p.unwrap();
        assert_eq!((a, p.total), (vec![1], 2));
        let (b, _) = page(&s, b"p/", req(&p.next_key, 0, 5, false), odd).unwrap();
        assert_eq!(b, vec![3]);
    }

    #[test]
    fn a_page_reads_a_bounded_number_of_entries() {
        let mut d = Delta::new(&EmptyState);
        for i in 0..(MAX_SCAN as u32 + 10) {
            d.put([b"p/".as_slice(), &i.to_be_bytes()].concat(), vec![0]);
        }
        let mut reads = 0usize;
        let none = |_: &[u8], _: Vec<u8>| {
            reads += 1;
            Ok(None::<()>)
        };
        let mut r = req(b"", 0, 10, false).unwrap();
        r.count_total = false;
        let (items, p) = page(&d, b"p/", Some(r), none).unwrap();
        assert!(items.is_empty());
        assert_eq!(
            p.unwrap().next_key,
            (MAX_SCAN as u32).to_be_bytes().to_vec()
        );
        assert_eq!(reads, MAX_SCAN);
    }

    #[test]
    fn count_total_reads_a_bounded_number_of_entries_however_few_match() {
        let mut d = Delta::new(&EmptyState);
        for i in 0..(MAX_COUNT as u32 + 10) {
            d.put([b"p/".as_slice(), &i.to_be_bytes()].concat(), vec![0]);
        }
        let mut reads = 0u64;
        let none = |_: &[u8], _: Vec<u8>| {
            reads += 1;
            Ok(None::<()>)
        };
        let err = page(&d, b"p/", req(b"", 0, 10, false), none).unwrap_err();
        assert!(err.to_string().contains("count_total"), "{err}");
        assert!(reads <= MAX_COUNT + 1, "{reads} entries read");
    }
}
