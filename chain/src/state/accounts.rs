//! Module accounts the floor itself knows: where transaction fees are collected until the epoch
//! pays them out. (Each module names its own accounts: staking's pools, gov's deposits, the
//! epoch's reward accounts.)

use proof_sdk::Address;

/// The fee collector's module name.
pub const FEE_COLLECTOR: &str = "fee_collector";

/// The account every transaction fee is paid into.
pub fn fee_collector() -> Address {
    Address::module(FEE_COLLECTOR)
}
