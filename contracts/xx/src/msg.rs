//! The contract's messages: the shared definitions in `rollup-msgs`.

pub use rollup_msgs::verifier::ExecuteMsg as VerifierMsg;
pub use rollup_msgs::xx::{
    ConfigResponse, DepositOp, ExecuteMsg, InstantiateMsg, OwnerResponse, Payout, PendingDeposit,
    PendingResponse, QueryMsg, RollupBalance,
};
