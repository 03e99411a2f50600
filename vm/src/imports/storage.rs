//! `db_*` imports: the contract's key-value store and its iterators.

use wasmtime::Linker;

use super::{alloc_write, charge, host_call, limits, read, read_opt, trap, Ctx, HostCtx};
use crate::backend::Order;
use crate::error::{VmError, VmResult};

fn db_read(c: &mut Ctx<'_>, key_ptr: u32) -> VmResult<u32> {
    host_call(c)?;
    let key = read(c, key_ptr, limits::DB_KEY)?;
    let value = c.data().backend.storage.get(&key)?;
    let cost = c.data().schedule.db_read;
    let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
    charge(c, cost.cost(bytes as u64))?;
    match value {
        None => Ok(0),
        Some(v) => alloc_write(c, &v),
    }
}

fn check_writable(c: &Ctx<'_>, func: &'static str) -> VmResult<()> {
    if c.data().read_only {
        return Err(VmError::host(func, "storage is read-only in queries"));
    }
    Ok(())
}

fn db_write(c: &mut Ctx<'_>, key_ptr: u32, value_ptr: u32) -> VmResult<()> {
    host_call(c)?;
    check_writable(c, "db_write")?;
    let key = read(c, key_ptr, limits::DB_KEY)?;
    let value = read(c, value_ptr, limits::DB_VALUE)?;
    let cost = c.data().schedule.db_write;
    charge(c, cost.cost((key.len() + value.len()) as u64))?;
    c.data_mut().backend.storage.set(&key, &value)?;
    Ok(())
}

fn db_remove(c: &mut Ctx<'_>, key_ptr: u32) -> VmResult<()> {
    host_call(c)?;
    check_writable(c, "db_remove")?;
    let key = read(c, key_ptr, limits::DB_KEY)?;
    let cost = c.data().schedule.db_remove;
    charge(c, cost.cost(key.len() as u64))?;
    c.data_mut().backend.storage.remove(&key)?;
    Ok(())
}

fn db_scan(c: &mut Ctx<'_>, start_ptr: u32, end_ptr: u32, order: i32) -> VmResult<u32> {
    host_call(c)?;
    let g = c.data().schedule.db_scan;
    charge(c, g)?;
    let start = read_opt(c, start_ptr, limits::DB_KEY)?;
    let end = read_opt(c, end_ptr, limits::DB_KEY)?;
    let order = Order::from_abi(order)
        .ok_or_else(|| VmError::host("db_scan", format!("invalid order {order}")))?;
    if c.data().iterators.len() >= limits::ITERATORS {
        return Err(VmError::host("db_scan", "too many open iterators"));
    }
    let iter = c
        .data()
        .backend
        .storage
        .scan(start.as_deref(), end.as_deref(), order)?;
    let ctx = c.data_mut();
    ctx.iterators.push(iter);
    Ok((ctx.iterators.len() - 1) as u32)
}

#[derive(Clone, Copy)]
enum Part {
    Both,
    Key,
    Value,
}

fn next(c: &mut Ctx<'_>, id: u32, part: Part, func: &'static str) -> VmResult<u32> {
    host_call(c)?;
    let item = c
        .data_mut()
        .iterators
        .get_mut(id as usize)
        .ok_or_else(|| VmError::host(func, format!("unknown iterator {id}")))?
        .next()
        .transpose()?;
    let cost = c.data().schedule.db_next;
    let bytes = item.as_ref().map_or(0, |(k, v)| k.len() + v.len());
    charge(c, cost.cost(bytes as u64))?;
    match (item, part) {
        (None, Part::Both) => alloc_write(c, &encode_sections(&[&[], &[]])),
        (None, _) => Ok(0),
        (Some((k, v)), Part::Both) => alloc_write(c, &encode_sections(&[&k, &v])),
        (Some((k, _)), Part::Key) => alloc_write(c, &k),
        (Some((_, v)), Part::Value) => alloc_write(c, &v),
    }
}

/// `section ‖ len(section) as u32 BE` for each section.
pub(crate) fn encode_sections(sections: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(sections.iter().map(|s| s.len() + 4).sum());
    for s in sections {
        out.extend_from_slice(s);
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    }
    out
}

/// Splits data encoded by [`encode_sections`]; `None` if malformed.
pub(crate) fn decode_sections(data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let (head, len) = rest.split_at(rest.len() - 4);
        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
        if len > head.len() {
            return None;
        }
        let (head, section) = head.split_at(head.len() - len);
        out.push(section);
        rest = head;
    }
    out.reverse();
    Some(out)
}

pub(super) fn register(l: &mut Linker<HostCtx>) {
    l.func_wrap("env", "db_read", |mut c: Ctx<'_>, k: u32| {
        trap(db_read(&mut c, k))
    })
    .unwrap();
    l.func_wrap("env", "db_write", |mut c: Ctx<'_>, k: u32, v: u32| {
        trap(db_write(&mut c, k, v))
    })
    .unwrap();
    l.func_wrap("env", "db_remove", |mut c: Ctx<'_>, k: u32| {
        trap(db_remove(&mut c, k))
    })
    .unwrap();
    l.func_wrap(
        "env",
        "db_scan",
        |mut c: Ctx<'_>, s: u32, e: u32, o: i32| trap(db_scan(&mut c, s, e, o)),
    )
    .unwrap();
    l.func_wrap("env", "db_next", |mut c: Ctx<'_>, id: u32| {
        trap(next(&mut c, id, Part::Both, "db_next"))
    })
    .unwrap();
    l.func_wrap("env", "db_next_key", |mut c: Ctx<'_>, id: u32| {
        trap(next(&mut c, id, Part::Key, "db_next_key"))
    })
    .unwrap();
    l.func_wrap("env", "db_next_value", |mut c: Ctx<'_>, id: u32| {
        trap(next(&mut c, id, Part::Value, "db_next_value"))
    })
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_roundtrip() {
        let enc = encode_sections(&[b"ab", b"", b"xyz"]);
        assert_eq!(enc, b"ab\0\0\0\x02\0\0\0\0xyz\0\0\0\x03");
        let dec = decode_sections(&enc).unwrap();
        assert_eq!(dec, vec![&b"ab"[..], &b""[..], &b"xyz"[..]]);
        assert_eq!(decode_sections(b"").unwrap().len(), 0);
        assert!(decode_sections(b"\0\0\x01").is_none());
        assert!(decode_sections(b"a\0\0\0\x09").is_none());
    }
}
