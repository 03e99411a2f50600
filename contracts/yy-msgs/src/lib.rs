//! The messages of the `yy` system contract: the YY layer of altcoins bridged over IBC. Serde
//! only, for the contract, the chain's IBC transfer hook and Rust clients (the CLI).
//!
//! - A registry of altcoins (ICS-20 vouchers or native denoms), kept by governance.
//! - Rate limits per altcoin and channel (the Osmosis `ibc-rate-limit` design: fixed windows,
//!   absolute quotas), checked by the chain through `sudo` on every transfer packet, with a
//!   circuit breaker that pauses an altcoin whose inflow reaches a threshold.
//! - HTLC atomic swaps of any coin (sha256 hash locks, height or time expiry).
//!
//! Amounts are decimal strings ([`U128`]), in the coin's base units.

use serde::{Deserialize, Serialize};

pub use rollup_msgs::U128;

/// How an altcoin reached this chain and what it may move.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Altcoin {
    /// The denom here: an ICS-20 voucher `ibc/<64 upper-case hex>` (which must be the sha256 of
    /// `{trace_path}/{base_denom}`), or a native denom (then `trace_path` is empty).
    pub denom: String,
    /// The denom on its source chain (`uatom`).
    pub base_denom: String,
    /// The ICS-20 trace, `port/channel` pairs from this chain outwards (`transfer/channel-0`);
    /// its first channel is `channel`.
    #[serde(default)]
    pub trace_path: String,
    /// The source chain's id (`cosmoshub-4`).
    pub source_chain: String,
    /// Our end of the channel it arrives on (`channel-N`): the channel whose client freezing
    /// pauses it.
    pub channel: String,
    /// At most 18.
    pub decimals: u8,
    /// A display name: 1-32 characters of ASCII letters, digits, `-` and `.`.
    pub display: String,
    pub limits: Limits,
}

/// What an altcoin may move per channel.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// At most 4, with distinct names. None: transfers are not limited.
    #[serde(default)]
    pub quotas: Vec<Quota>,
    /// The circuit breaker: a packet that would bring any quota window's inflow to this amount
    /// or beyond is refused and pauses the altcoin until a guardian or governance resumes it. Needs a quota
    /// (its windows are the breaker's).
    #[serde(default)]
    pub breaker_inflow: Option<U128>,
}

/// A fixed window: its flows restart from zero at the first packet at or after
/// `window_start + window_seconds`. Flows are gross per direction, not netted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// 1-32 characters of ASCII letters, digits, `-` and `_`; unique per altcoin.
    pub name: String,
    /// 60 (a minute) to 31,622,400 (366 days).
    pub window_seconds: u64,
    /// Received in one window on one channel at most; 0 closes that direction.
    pub max_inflow: U128,
    /// Sent in one window on one channel at most; 0 closes that direction.
    pub max_outflow: U128,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused,
}

/// Who paused an altcoin, which decides who may resume it: a guardian's pause any guardian or
/// governance; the others governance only.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PauseCause {
    Guardian,
    Governance,
    CircuitBreaker,
    ClientFrozen,
}

/// When an HTLC swap expires: at the first block at or past this height, or whose time (unix
/// seconds) is at or past this time.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expiration {
    AtHeight(u64),
    AtTime(u64),
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// Who registers altcoins, sets limits and guardians (the governance module account).
    pub governance: String,
    /// The chain's own coin (`uxyz`): not an altcoin, so never registered.
    pub native_denom: String,
    /// Who may pause (at most 10).
    #[serde(default)]
    pub guardians: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// Governance: registers an altcoin, active.
    Register { altcoin: Altcoin },
    /// Governance: new limits. Flows recorded under a quota's name carry over to the quota of
    /// the same name (a change of limits is not a window reset).
    UpdateLimits { denom: String, limits: Limits },
    /// Governance or a guardian: pauses (both directions of every channel, and new HTLC locks)
    /// or resumes an altcoin. A guardian resumes only what a guardian paused.
    SetStatus {
        denom: String,
        status: Status,
        /// At most 256 bytes.
        #[serde(default)]
        reason: String,
    },
    /// Governance: replaces the guardians (at most 10, distinct).
    SetGuardians { guardians: Vec<String> },
    /// Locks the one attached coin until `expires`, for `recipient` against the preimage of
    /// `hash`. Refused for a paused altcoin.
    Lock {
        /// 3-64 characters of `a-z`, `0-9` and `-`, chosen by the client; never reusable.
        id: String,
        /// sha256 of the 32-byte secret, 64 hex characters.
        hash: String,
        recipient: String,
        expires: Expiration,
    },
    /// Anyone, before expiry: pays the swap to its recipient against the secret (64 hex
    /// characters, 32 bytes), which the `yy_claim` event's `preimage` attribute publishes.
    Claim { id: String, preimage: String },
    /// Anyone, at or after expiry: returns the swap to its sender.
    Refund { id: String },
}

/// The chain's IBC transfer hook. `denom` is the denom on this chain (the `ibc/…` voucher of an
/// altcoin; for a received packet, the denom the transfer module credits). Denoms not
/// registered pass unlimited.
///
/// `send_packet` and `recv_packet` answer with an error when the packet must be refused and
/// nothing changes (rate limited, paused); the chain refuses the packet and drops the call's
/// writes. A refusal that changes state (the circuit breaker pausing the altcoin) succeeds with
/// [`PacketVerdict::Refuse`] in the response data: the chain keeps the writes and refuses the
/// packet. The packet passes only on [`PacketVerdict::Allow`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SudoMsg {
    SendPacket {
        channel: String,
        denom: String,
        amount: U128,
        sender: String,
    },
    RecvPacket {
        channel: String,
        denom: String,
        amount: U128,
        receiver: String,
    },
    /// A sent packet timed out or was acknowledged with an error and was refunded: its outflow
    /// is given back to each quota's current window (saturating at zero); a window that has
    /// ended gets nothing. Never refused.
    UndoSend {
        channel: String,
        denom: String,
        amount: U128,
    },
    /// The counterparty client of `channel` is frozen: pauses every altcoin registered on it.
    ClientFrozen { channel: String },
}

/// The response data of `send_packet` and `recv_packet`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PacketVerdict {
    Allow {},
    Refuse { reason: String },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    Config {},
    Altcoin {
        denom: String,
    },
    /// By denom. `limit`: 30 unless given, 100 at most.
    Altcoins {
        #[serde(default)]
        start_after: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// The altcoin of an ICS-20 trace (`trace_path` empty for a native altcoin).
    AltcoinByTrace {
        trace_path: String,
        base_denom: String,
    },
    /// A registered altcoin's flows on a channel, as the next packet would see them.
    Flow {
        denom: String,
        channel: String,
    },
    /// An open swap.
    Swap {
        id: String,
    },
    /// Open swaps by id.
    Swaps {
        #[serde(default)]
        start_after: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// A recipient's open swaps by id.
    SwapsByRecipient {
        recipient: String,
        #[serde(default)]
        start_after: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// How a swap that is no longer open ended (a claim's preimage).
    Settled {
        id: String,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MigrateMsg {}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    pub governance: String,
    pub native_denom: String,
    pub guardians: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PauseInfo {
    pub cause: PauseCause,
    pub reason: String,
    /// Unix seconds.
    pub since: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AltcoinResponse {
    pub altcoin: Altcoin,
    pub status: Status,
    pub pause: Option<PauseInfo>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AltcoinsResponse {
    pub altcoins: Vec<AltcoinResponse>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct QuotaFlow {
    pub name: String,
    pub window_seconds: u64,
    pub max_inflow: U128,
    pub max_outflow: U128,
    pub inflow: U128,
    pub outflow: U128,
    /// Unix seconds. A window that has ended (or never started) shows as the one the next
    /// packet would open: from now, with nothing in it.
    pub window_start: u64,
    pub resets_at: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FlowResponse {
    pub denom: String,
    pub channel: String,
    pub quotas: Vec<QuotaFlow>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SwapResponse {
    pub id: String,
    pub sender: String,
    pub recipient: String,
    /// Lower-case hex.
    pub hash: String,
    pub denom: String,
    pub amount: U128,
    pub expires: Expiration,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SwapsResponse {
    pub swaps: Vec<SwapResponse>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Claimed,
    Refunded,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SettledResponse {
    pub id: String,
    pub outcome: Outcome,
    /// The secret, lower-case hex, when claimed.
    pub preimage: Option<String>,
    pub height: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_usual_cosmwasm_shapes() {
        let lock: ExecuteMsg = serde_json::from_str(
            r#"{"lock":{"id":"swap-1","hash":"ab","recipient":"r","expires":{"at_height":100}}}"#,
        )
        .unwrap();
        assert_eq!(
            lock,
            ExecuteMsg::Lock {
                id: "swap-1".into(),
                hash: "ab".into(),
                recipient: "r".into(),
                expires: Expiration::AtHeight(100),
            }
        );
        let send = SudoMsg::SendPacket {
            channel: "channel-0".into(),
            denom: "ibc/X".into(),
            amount: U128(5),
            sender: "s".into(),
        };
        assert_eq!(
            serde_json::to_string(&send).unwrap(),
            r#"{"send_packet":{"channel":"channel-0","denom":"ibc/X","amount":"5","sender":"s"}}"#
        );
        assert_eq!(
            serde_json::to_string(&PacketVerdict::Allow {}).unwrap(),
            r#"{"allow":{}}"#
        );
        let limits: Limits = serde_json::from_str(
            r#"{"quotas":[{"name":"day","window_seconds":86400,"max_inflow":"10","max_outflow":"0"}]}"#,
        )
        .unwrap();
        assert_eq!(limits.breaker_inflow, None);
        assert_eq!(limits.quotas[0].max_inflow, U128(10));
    }

    #[test]
    fn unknown_fields_and_numeric_amounts_are_refused() {
        assert!(serde_json::from_str::<ExecuteMsg>(r#"{"refund":{"id":"abc","x":1}}"#).is_err());
        assert!(serde_json::from_str::<SudoMsg>(
            r#"{"undo_send":{"channel":"channel-0","denom":"d","amount":5}}"#
        )
        .is_err());
        assert!(serde_json::from_str::<Expiration>(r#"{"at_block":5}"#).is_err());
    }
}
