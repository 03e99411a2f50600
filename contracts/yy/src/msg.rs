//! The contract's messages: the shared definitions in `yy-msgs`.

pub use yy_msgs::{
    Altcoin, AltcoinResponse, AltcoinsResponse, ConfigResponse, ExecuteMsg, Expiration,
    FlowResponse, InstantiateMsg, Limits, MigrateMsg, Outcome, PacketVerdict, PauseCause,
    PauseInfo, QueryMsg, Quota, QuotaFlow, SettledResponse, Status, SudoMsg, SwapResponse,
    SwapsResponse, U128,
};
