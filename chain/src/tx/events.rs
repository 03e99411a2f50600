//! Events in the Cosmos SDK's shapes (`transfer`, `coin_spent`, `message`, `tx`), all indexed so
//! CometBFT's tx indexer can search them.

use proof_sdk::{Address, Coin};
use tendermint::abci::{Event, EventAttributeIndexExt};

pub fn coins_str(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Attributes CometBFT's tx indexer stores: the ones people search by (who, what). Amounts,
/// fees and signatures are left out: indexing them cost CometBFT ~20% of its CPU under load and
/// nobody queries a transaction by its signature.
const INDEXED_KEYS: &[&str] = &[
    "sender",
    "recipient",
    "spender",
    "receiver",
    "action",
    "module",
    "acc_seq",
    "fee_payer",
];

pub fn event(kind: &str, attrs: &[(&str, String)]) -> Event {
    Event::new(
        kind,
        attrs
            .iter()
            .map(|(k, v)| {
                if INDEXED_KEYS.contains(k) {
                    (*k, v.as_str()).index()
                } else {
                    (*k, v.as_str()).no_index()
                }
            })
            .collect::<Vec<_>>(),
    )
}

/// The events the SDK bank module emits for one movement of coins.
pub fn transfer(from: &Address, to: &Address, coins: &[Coin]) -> Vec<Event> {
    let amount = coins_str(coins);
    vec![
        event(
            "coin_spent",
            &[("spender", from.to_string()), ("amount", amount.clone())],
        ),
        event(
            "coin_received",
            &[("receiver", to.to_string()), ("amount", amount.clone())],
        ),
        event(
            "transfer",
            &[
                ("recipient", to.to_string()),
                ("sender", from.to_string()),
                ("amount", amount),
            ],
        ),
        event("message", &[("sender", from.to_string())]),
    ]
}

pub fn message(action: &str, sender: &Address, module: &str, msg_index: usize) -> Event {
    event(
        "message",
        &[
            ("action", action.to_string()),
            ("sender", sender.to_string()),
            ("module", module.to_string()),
            ("msg_index", msg_index.to_string()),
        ],
    )
}
