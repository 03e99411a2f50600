//! IBC events as CometBFT events. Every attribute is indexed: relayers find packets, acks and
//! client updates by querying the event index (`send_packet.packet_src_channel='channel-0'`),
//! as they do on ibc-go chains.

use ibc::core::handler::types::events::IbcEvent;
use tendermint::abci::Event;

/// The events ibc-rs emitted, in order, each attribute indexed. ibc-rs cannot render a packet
/// event whose data is not UTF-8; no port routed here sends or accepts such data (ICS-20's is
/// JSON), so none is dropped.
pub fn to_abci(events: Vec<IbcEvent>) -> Vec<Event> {
    events
        .into_iter()
        .filter_map(|e| Event::try_from(e).ok())
        .map(|mut e| {
            for a in &mut e.attributes {
                a.set_index(true);
            }
            e
        })
        .collect()
}
