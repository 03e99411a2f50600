//! The contract's messages: the shared definitions in `amm-msgs`.

pub use amm_msgs::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, Params, PendingResponse, PendingSwap, PoolResponse,
    PoolsResponse, QueryMsg, QuoteResponse, SharesResponse, SudoMsg, TwapResponse, PRICE_SCALE,
    U128,
};
