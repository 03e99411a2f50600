//! Protobuf wire checks that decoding alone does not make: prost skips fields it does not know,
//! so a transaction could carry bytes the chain ignores. Outside the signed bytes (`TxRaw`)
//! such bytes change the transaction's hash without changing the transaction (hash
//! malleability); inside them, a client would believe a field it set (say, a newer SDK's
//! `timeout_timestamp`) was honoured. Both are refused, as the Cosmos SDK's unknown-field filter
//! does: `TxRaw` must be exactly its canonical encoding, and the envelope of `TxBody` /
//! `AuthInfo` may hold only the fields this chain reads (`TxBody` may also carry non-critical
//! fields, those with bit 11 of the number set, which the SDK lets clients add). The messages
//! inside the body's `Any`s are decoded by their own handlers; their unknown fields are not
//! checked here.
//!
//! Nesting is bounded ([`MAX_DEPTH`]): `ModeInfo.Multi` holds `ModeInfo`s, so without a bound
//! a few bytes per level would let one transaction recurse until the stack overflows.

use super::TxError;

/// The fields a message may have; a field with a nested spec is a message checked the same way.
pub struct Spec {
    pub name: &'static str,
    pub fields: &'static [(u32, Option<&'static Spec>)],
    /// Unknown fields numbered 1024 and up are allowed (and ignored).
    pub allow_non_critical: bool,
}

static ANY: Spec = Spec {
    name: "Any",
    fields: &[(1, None), (2, None)],
    allow_non_critical: false,
};
static COIN: Spec = Spec {
    name: "Coin",
    fields: &[(1, None), (2, None)],
    allow_non_critical: false,
};
static SINGLE: Spec = Spec {
    name: "ModeInfo.Single",
    fields: &[(1, None)],
    allow_non_critical: false,
};
static MULTI: Spec = Spec {
    name: "ModeInfo.Multi",
    fields: &[(1, None), (2, Some(&MODE_INFO))],
    allow_non_critical: false,
};
static MODE_INFO: Spec = Spec {
    name: "ModeInfo",
    fields: &[(1, Some(&SINGLE)), (2, Some(&MULTI))],
    allow_non_critical: false,
};
static SIGNER_INFO: Spec = Spec {
    name: "SignerInfo",
    fields: &[(1, Some(&ANY)), (2, Some(&MODE_INFO)), (3, None)],
    allow_non_critical: false,
};
static FEE: Spec = Spec {
    name: "Fee",
    fields: &[(1, Some(&COIN)), (2, None), (3, None), (4, None)],
    allow_non_critical: false,
};
static TIP: Spec = Spec {
    name: "Tip",
    fields: &[(1, Some(&COIN)), (2, None)],
    allow_non_critical: false,
};

/// `cosmos.tx.v1beta1.TxBody` as this chain reads it (no `unordered`, no `timeout_timestamp`).
pub static TX_BODY: Spec = Spec {
    name: "TxBody",
    fields: &[
        (1, Some(&ANY)),
        (2, None),
        (3, None),
        (1023, Some(&ANY)),
        (2047, Some(&ANY)),
    ],
    allow_non_critical: true,
};

/// `cosmos.tx.v1beta1.AuthInfo`.
pub static AUTH_INFO: Spec = Spec {
    name: "AuthInfo",
    fields: &[(1, Some(&SIGNER_INFO)), (2, Some(&FEE)), (3, Some(&TIP))],
    allow_non_critical: false,
};

/// Deepest message nesting checked (prost's own decoding limit is 100; real transactions use 4).
pub const MAX_DEPTH: usize = 16;

/// The SDK's non-critical fields: bit 11 of the field number set.
const NON_CRITICAL_BIT: u64 = 1 << 10;

fn bad(spec: &Spec, what: String) -> TxError {
    TxError::Decode(format!("{}: {what}", spec.name))
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Refuses any field of `buf` that `spec` does not list (recursively into listed messages, at
/// most [`MAX_DEPTH`] deep), and any group (wire types 3 and 4, which no Cosmos message uses).
pub fn check_known_fields(buf: &[u8], spec: &Spec) -> Result<(), TxError> {
    check_at(buf, spec, 0)
}

fn check_at(mut buf: &[u8], spec: &Spec, depth: usize) -> Result<(), TxError> {
    if depth > MAX_DEPTH {
        return Err(bad(spec, format!("nested more than {MAX_DEPTH} deep")));
    }
    while !buf.is_empty() {
        let tag = varint(&mut buf).ok_or_else(|| bad(spec, "truncated tag".into()))?;
        let (number, wire) = (tag >> 3, tag & 7);
        let known = spec.fields.iter().find(|(n, _)| u64::from(*n) == number);
        if known.is_none() && !(spec.allow_non_critical && number & NON_CRITICAL_BIT != 0) {
            return Err(bad(
                spec,
                format!("unknown field {number}: this chain would ignore it, so it is refused"),
            ));
        }
        match wire {
            0 => {
                varint(&mut buf).ok_or_else(|| bad(spec, "truncated varint".into()))?;
            }
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                buf = buf
                    .get(n..)
                    .ok_or_else(|| bad(spec, "truncated fixed field".into()))?;
            }
            2 => {
                let len = varint(&mut buf).ok_or_else(|| bad(spec, "truncated length".into()))?;
                let len = usize::try_from(len)
                    .ok()
                    .filter(|&l| l <= buf.len())
                    .ok_or_else(|| bad(spec, "length past the end".into()))?;
                let (field, rest) = buf.split_at(len);
                if let Some((_, Some(inner))) = known {
                    check_at(field, inner, depth + 1)?;
                }
                buf = rest;
            }
            other => return Err(bad(spec, format!("wire type {other} is not allowed"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, Fee, TxBody};
    use prost::Message;

    #[test]
    fn known_messages_pass_and_unknown_fields_do_not() {
        let body = TxBody {
            memo: "m".into(),
            timeout_height: 5,
            messages: vec![cosmos_sdk_proto::Any {
                type_url: "/x".into(),
                value: vec![1, 2],
            }],
            ..Default::default()
        }
        .encode_to_vec();
        check_known_fields(&body, &TX_BODY).unwrap();
        // `timeout_timestamp` (5), which newer SDKs have and this chain does not honour.
        let mut with_ts = body.clone();
        with_ts.extend_from_slice(&[0x2a, 0x00]);
        assert!(check_known_fields(&with_ts, &TX_BODY).is_err());
        // A non-critical field (1025, varint) is allowed in the body only.
        let mut non_critical = body.clone();
        non_critical.extend_from_slice(&[0x88, 0x40, 0x01]);
        check_known_fields(&non_critical, &TX_BODY).unwrap();
        let auth = AuthInfo {
            fee: Some(Fee {
                gas_limit: 1,
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec();
        check_known_fields(&auth, &AUTH_INFO).unwrap();
        let mut auth_nc = auth.clone();
        auth_nc.extend_from_slice(&[0x88, 0x40, 0x01]);
        assert!(check_known_fields(&auth_nc, &AUTH_INFO).is_err());
        // Unknown field nested in the fee (field 9 of Fee).
        let nested = [0x12, 0x04, 0x10, 0x01, 0x48, 0x01];
        assert!(check_known_fields(&nested, &AUTH_INFO).is_err());
        assert!(check_known_fields(&[0x12, 0x09, 0x10], &AUTH_INFO).is_err());
        assert!(check_known_fields(&[0x0b], &AUTH_INFO).is_err());
        // Field 2048 has bit 11 clear: critical, so unknown and refused even in the body.
        let mut field_2048 = body.clone();
        field_2048.extend_from_slice(&[0x80, 0x80, 0x01, 0x01]);
        assert!(check_known_fields(&field_2048, &TX_BODY).is_err());
    }

    /// `ModeInfo.Multi` nests `ModeInfo`s: a deep nest is refused, not recursed into until the
    /// stack overflows.
    #[test]
    fn deep_nesting_is_refused_not_followed() {
        // ModeInfo { multi (2): Multi { mode_infos (2): ModeInfo { multi: ... } } }, built inside
        // out: each level wraps the previous in field 2.
        let mut m: Vec<u8> = Vec::new();
        for _ in 0..1_000 {
            let mut wrapped = vec![0x12];
            prost::encoding::encode_varint(m.len() as u64, &mut wrapped);
            wrapped.extend_from_slice(&m);
            m = wrapped;
        }
        // SignerInfo { mode_info (2): m } inside AuthInfo { signer_infos (1): ... }.
        let mut signer = vec![0x12];
        prost::encoding::encode_varint(m.len() as u64, &mut signer);
        signer.extend_from_slice(&m);
        let mut auth = vec![0x0a];
        prost::encoding::encode_varint(signer.len() as u64, &mut auth);
        auth.extend_from_slice(&signer);
        let err = check_known_fields(&auth, &AUTH_INFO).unwrap_err();
        assert!(err.to_string().contains("nested more than"), "{err}");
    }
}
