//! The region protocol: a contract passes data as a pointer to
//! `Region { offset: u32, capacity: u32, length: u32 }` (little endian) in its memory.
//! Every access is bounds-checked against the memory; nothing a contract passes can make the
//! host read or write outside it.

use crate::error::{VmError, VmResult};

pub const REGION_SIZE: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub offset: u32,
    pub capacity: u32,
    pub length: u32,
}

fn u32_at(mem: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(mem[at..at + 4].try_into().expect("4 bytes"))
}

/// Reads and validates the region descriptor at `ptr`.
pub fn get_region(mem: &[u8], ptr: u32) -> VmResult<Region> {
    let start = ptr as usize;
    if ptr == 0 {
        return Err(VmError::region("null region pointer"));
    }
    if start
        .checked_add(REGION_SIZE)
        .is_none_or(|end| end > mem.len())
    {
        return Err(VmError::region(format!(
            "region pointer {ptr} outside memory of {} bytes",
            mem.len()
        )));
    }
    let region = Region {
        offset: u32_at(mem, start),
        capacity: u32_at(mem, start + 4),
        length: u32_at(mem, start + 8),
    };
    validate(&region, mem.len())?;
    Ok(region)
}

fn validate(r: &Region, mem_len: usize) -> VmResult<()> {
    if r.offset == 0 {
        return Err(VmError::region("region has zero offset"));
    }
    if r.length > r.capacity {
        return Err(VmError::region(format!(
            "region length {} exceeds capacity {}",
            r.length, r.capacity
        )));
    }
    let end = r.offset as u64 + r.capacity as u64;
    if end > mem_len as u64 {
        return Err(VmError::region(format!(
            "region [{}, {}) outside memory of {mem_len} bytes",
            r.offset, end
        )));
    }
    Ok(())
}

/// The bytes of the region at `ptr`; errors if longer than `max_len`.
pub fn read_region(mem: &[u8], ptr: u32, max_len: usize) -> VmResult<Vec<u8>> {
    let r = get_region(mem, ptr)?;
    if r.length as usize > max_len {
        return Err(VmError::region(format!(
            "region length {} exceeds the limit of {max_len} bytes",
            r.length
        )));
    }
    let start = r.offset as usize;
    Ok(mem[start..start + r.length as usize].to_vec())
}

/// The length of the region at `ptr` (to price a read before doing it).
pub fn region_length(mem: &[u8], ptr: u32) -> VmResult<usize> {
    Ok(get_region(mem, ptr)?.length as usize)
}

/// Writes `data` into the region at `ptr` and sets its length.
pub fn write_region(mem: &mut [u8], ptr: u32, data: &[u8]) -> VmResult<()> {
    let r = get_region(mem, ptr)?;
    if data.len() > r.capacity as usize {
        return Err(VmError::region(format!(
            "region capacity {} too small for {} bytes",
            r.capacity,
            data.len()
        )));
    }
    let start = r.offset as usize;
    mem[start..start + data.len()].copy_from_slice(data);
    let len_at = ptr as usize + 8;
    mem[len_at..len_at + 4].copy_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem_with_region(offset: u32, capacity: u32, length: u32) -> Vec<u8> {
        let mut mem = vec![0u8; 256];
        mem[16..20].copy_from_slice(&offset.to_le_bytes());
        mem[20..24].copy_from_slice(&capacity.to_le_bytes());
        mem[24..28].copy_from_slice(&length.to_le_bytes());
        mem
    }

    #[test]
    fn read_and_write_roundtrip() {
        let mut mem = mem_with_region(64, 10, 0);
        write_region(&mut mem, 16, b"hello").unwrap();
        assert_eq!(read_region(&mem, 16, 100).unwrap(), b"hello");
        assert_eq!(region_length(&mem, 16).unwrap(), 5);
        let err = write_region(&mut mem, 16, b"hello world").unwrap_err();
        assert!(err.to_string().contains("too small"), "{err}");
        let err = read_region(&mem, 16, 4).unwrap_err();
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
    }

    #[test]
    fn rejects_bad_regions() {
        let mem = mem_with_region(0, 10, 0);
        assert!(get_region(&mem, 16)
            .unwrap_err()
            .to_string()
            .contains("zero offset"));
        let mem = mem_with_region(64, 4, 5);
        assert!(get_region(&mem, 16)
            .unwrap_err()
            .to_string()
            .contains("exceeds capacity"));
        let mem = mem_with_region(200, 100, 1);
        assert!(get_region(&mem, 16)
            .unwrap_err()
            .to_string()
            .contains("outside memory"));
        let mem = mem_with_region(u32::MAX, u32::MAX, 0);
        assert!(get_region(&mem, 16).is_err());
        assert!(get_region(&mem, 0)
            .unwrap_err()
            .to_string()
            .contains("null"));
        assert!(get_region(&mem, 250)
            .unwrap_err()
            .to_string()
            .contains("outside"));
        assert!(get_region(&mem, u32::MAX).is_err());
    }
}
