//! The contract's messages: the shared definitions in `rollup-msgs`.

pub use rollup_msgs::verifier::{
    BatchInfo, ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg, RollupInfo, RollupsResponse,
};
pub use rollup_msgs::xx::{
    ConfigResponse as SettlementConfig, ExecuteMsg as SettlementMsg, PendingResponse,
    QueryMsg as SettlementQuery, RollupBalance,
};
