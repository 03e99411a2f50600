//! The contract's messages: the shared definitions in `rollup-msgs`.

pub use rollup_msgs::verifier::{
    BatchInfo, ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg, RollupInfo, RollupsResponse,
};
pub use rollup_msgs::xx::ExecuteMsg as SettlementMsg;
