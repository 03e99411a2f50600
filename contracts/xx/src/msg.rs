//! The contract's messages: the shared definitions in `rollup-msgs`.

pub use rollup_msgs::xx::{
    ConfigResponse, DepositOp, ExecuteMsg, InstantiateMsg, Payout, PendingDeposit, PendingResponse,
    QueryMsg, RollupBalance,
};
