//! Misbehaviour detection, as Hermes does it: every header an `update_client` event says a
//! client of ours took is checked against the block the reference chain itself committed at
//! that height. A header signed by the reference chain's validators that is not that block
//! (its validators signed two blocks at one height, or the host was fed a fork) is answered
//! with the evidence, both headers, which freezes the client.

use anyhow::{anyhow, Context, Result};
use ibc_proto::google::protobuf::Any as IbcAny;
use ibc_proto::ibc::core::client::v1::MsgUpdateClient;
use ibc_proto::ibc::lightclients::tendermint::v1::{Header, Misbehaviour};
use prost::Message;
use tendermint::block::signed_header::SignedHeader;

use crate::chain::{Any, BlockEvent, Chain};
use crate::client::{header, ibc_any, tx_any, HEADER_URL};

pub const MISBEHAVIOUR_URL: &str = "/ibc.lightclients.tendermint.v1.Misbehaviour";

/// What checking one update found.
#[derive(Debug)]
pub enum Verdict {
    /// The header is the reference chain's own block.
    Genuine,
    /// The header is at a height the reference chain has not reached: nothing to compare yet.
    Ahead(u64),
    /// Not a 07-tendermint header (misbehaviour itself, or another client type).
    NotAHeader,
    /// A conflicting header: the message that freezes the client with the evidence.
    Conflict { height: u64, evidence: Box<Any> },
}

/// The header an `update_client` event carries (its `header` attribute: the hex of the
/// client message's Any), if it is a 07-tendermint header.
pub fn header_of(event: &BlockEvent) -> Result<Option<Header>> {
    let raw = hex::decode(event.get("header")?).context("update_client header is not hex")?;
    let any = IbcAny::decode(raw.as_slice()).context("update_client header is not an Any")?;
    if any.type_url != HEADER_URL {
        return Ok(None);
    }
    Header::decode(any.value.as_slice())
        .map(Some)
        .context("undecodable 07-tendermint header")
}

/// Checks the header `event` (an `update_client` on `host` of `client_id`, a client of
/// `reference`) put into the client.
pub async fn check_update(
    host: &Chain,
    reference: &Chain,
    client_id: &str,
    event: &BlockEvent,
) -> Result<Verdict> {
    let Some(seen) = header_of(event)? else {
        return Ok(Verdict::NotAHeader);
    };
    let seen_signed = SignedHeader::try_from(
        seen.signed_header
            .clone()
            .ok_or_else(|| anyhow!("update_client header without a signed header"))?,
    )
    .context("invalid signed header in update_client")?;
    let height = seen_signed.header().height.value();
    if reference.latest_height().await? < height {
        return Ok(Verdict::Ahead(height));
    }
    let own = reference.signed_header(height).await?;
    if own.header().hash() == seen_signed.header().hash() {
        return Ok(Verdict::Genuine);
    }
    // The reference chain's own header at that height, from the same trusted height as the
    // one the client took (the client holds that consensus state: it verified `seen` from it).
    let trusted = seen
        .trusted_height
        .ok_or_else(|| anyhow!("update_client header without a trusted height"))?
        .revision_height;
    let genuine = header(reference, trusted, height).await?;
    Ok(Verdict::Conflict {
        height,
        evidence: Box::new(evidence_msg(host, client_id, genuine, seen)),
    })
}

/// `MsgUpdateClient` carrying the two headers as misbehaviour (ibc-go v8 and ibc-rs take
/// evidence through the update message; `MsgSubmitMisbehaviour` is deprecated).
pub fn evidence_msg(host: &Chain, client_id: &str, first: Header, second: Header) -> Any {
    // ibc-go ignores the deprecated `client_id`; ibc-rs requires it to be a valid identifier.
    #[allow(deprecated)]
    let evidence = Misbehaviour {
        client_id: client_id.into(),
        header_1: Some(first),
        header_2: Some(second),
    };
    tx_any(
        "/ibc.core.client.v1.MsgUpdateClient",
        &MsgUpdateClient {
            client_id: client_id.into(),
            client_message: Some(ibc_any(MISBEHAVIOUR_URL, &evidence)),
            signer: host.signer(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn event(header_hex: &str) -> BlockEvent {
        BlockEvent {
            kind: "update_client".into(),
            attrs: BTreeMap::from([("header".to_string(), header_hex.to_string())]),
            height: 7,
        }
    }

    #[test]
    fn a_header_attribute_decodes_to_its_header() {
        let h = Header {
            trusted_height: Some(ibc_proto::ibc::core::client::v1::Height {
                revision_number: 1,
                revision_height: 41,
            }),
            ..Default::default()
        };
        let hex = hex::encode(ibc_any(HEADER_URL, &h).encode_to_vec());
        let got = header_of(&event(&hex)).unwrap().unwrap();
        assert_eq!(got.trusted_height.unwrap().revision_height, 41);
    }

    #[test]
    fn evidence_and_other_client_messages_are_not_headers() {
        let m = ibc_any(MISBEHAVIOUR_URL, &Misbehaviour::default());
        assert!(header_of(&event(&hex::encode(m.encode_to_vec())))
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_malformed_attribute_is_an_error_not_a_panic() {
        assert!(header_of(&event("zz")).is_err());
        assert!(header_of(&event("00ff")).is_err());
        let mut no_attr = event("");
        no_attr.attrs.clear();
        assert!(header_of(&no_attr).is_err());
    }
}
