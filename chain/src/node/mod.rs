//! Running a node: configuration, `init`/`testnet` home generation, CometBFT supervision,
//! metrics, and `start`.

pub mod cometbft;
pub mod config;
pub mod grpc;
pub mod init;
pub mod metrics;
pub mod start;
