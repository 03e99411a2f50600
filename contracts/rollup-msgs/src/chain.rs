//! Chain messages the rollup contracts send as `Any` (protobuf, encoded by hand: contracts do not
//! link a protobuf library for one message). The chain's decoder is `proof-chain`'s
//! `modules::zk::msgs::MsgRecordBatch`; `chain/tests/rollup_app.rs` checks the two agree.

/// `/proof.zk.v1.MsgRecordBatch`: a verified batch, for the epoch checkpoint's records.
pub const RECORD_BATCH_TYPE_URL: &str = "/proof.zk.v1.MsgRecordBatch";

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_bytes(out: &mut Vec<u8>, tag: u64, b: &[u8]) {
    if b.is_empty() {
        return;
    }
    varint(out, tag << 3 | 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn field_varint(out: &mut Vec<u8>, tag: u64, v: u64) {
    if v == 0 {
        return;
    }
    varint(out, tag << 3);
    varint(out, v);
}

/// The protobuf bytes of `MsgRecordBatch { sender, rollup, index, old_root, new_root,
/// data_sha256 }` (proto3: zero fields omitted).
pub fn record_batch(
    sender: &str,
    rollup: u32,
    index: u64,
    old_root: &[u8; 32],
    new_root: &[u8; 32],
    data_sha256: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(200);
    field_bytes(&mut out, 1, sender.as_bytes());
    field_varint(&mut out, 2, u64::from(rollup));
    field_varint(&mut out, 3, index);
    field_bytes(&mut out, 4, old_root);
    field_bytes(&mut out, 5, new_root);
    field_bytes(&mut out, 6, data_sha256);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields_encode_as_protobuf() {
        let mut v = Vec::new();
        varint(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
        let b = record_batch("ab", 1, 0, &[0; 32], &[1; 32], &[2; 32]);
        assert_eq!(&b[..4], &[0x0a, 2, b'a', b'b']);
        assert_eq!(&b[4..6], &[0x10, 1], "rollup; index 0 is omitted");
        assert_eq!(&b[6..8], &[0x22, 32]);
    }
}
