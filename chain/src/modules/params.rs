//! Every parameter subspace governance may change, in the order a proposal's changes are
//! checked. A module with parameters adds its `SUBSPACE` here; gov names none itself.

use crate::state::params::Subspace;

/// The chain's parameter subspaces.
pub const SUBSPACES: [&Subspace; 8] = [
    &crate::state::params::SUBSPACE,
    &crate::modules::staking::params::SUBSPACE,
    &crate::modules::slashing::params::SUBSPACE,
    &crate::modules::epoch::params::SUBSPACE,
    &crate::modules::gov::params::SUBSPACE,
    &crate::modules::zk::params::SUBSPACE,
    &crate::modules::clock::params::SUBSPACE,
    &crate::modules::fee_price::params::SUBSPACE,
];
