//! `proof tx ibc ...` and `proof query ibc ...`: ICS-20 transfers, and the chain's clients,
//! connections, channels and voucher traces.

mod query;
mod tx;

pub use query::{run as query, IbcQuery};
pub use tx::{run as tx, IbcTx};
