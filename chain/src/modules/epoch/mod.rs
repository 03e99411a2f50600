//! Epochs of the ZZ layer: the checkpoint written when an epoch's block time is up, the
//! emission minted and paid with it, and the activity that decides the "most active
//! participant".
//!
//! An epoch starts at a block (height `start`, time `t0`). The first block whose header time is
//! at least `t0 + epoch_secs` closes it: it writes the checkpoint over blocks `start..=h-1` (whose
//! app hashes are committed; its own cannot be in its own content) and starts the next epoch at
//! itself. Rewards: `emission_per_epoch >> halvings`, where `halvings` counts whole
//! `halving_secs` of block time since genesis; split by basis points into most-active,
//! validators (by stake, after commission, to delegators by shares; collected fees join this
//! pool), liquidity incentives and the development fund. Every floor-division remainder, and any
//! share nobody can claim (no fee-paying transaction, no bonded validator), goes to the
//! development fund, so exactly `emission + fees` is paid out: supply grows by the emission only.

mod activity;
pub mod checkpoint;
pub mod hooks;
pub mod params;
pub mod query;
mod rewards;
pub mod schedule;

pub use activity::*;
pub use checkpoint::*;
pub use params::*;
pub use rewards::*;
pub use schedule::*;

#[cfg(test)]
mod tests {
    use super::*;
    use proof_sdk::Address;

    #[test]
    fn emission_halves_every_period() {
        let p = EpochParams {
            emission_per_epoch: 1000,
            halving_secs: 10,
            ..Default::default()
        };
        assert_eq!(p.emission_at(0, 9 * NS), 1000);
        assert_eq!(p.emission_at(0, 10 * NS), 500);
        assert_eq!(p.emission_at(0, 25 * NS), 250);
        assert_eq!(p.emission_at(0, 10_000 * NS), 0);
    }

    #[test]
    fn most_active_ranks_by_fees_then_transactions_then_address() {
        let a = Address::from_bytes(&[1; 20]).unwrap();
        let b = Address::from_bytes(&[2; 20]).unwrap();
        let act = |txs, fees| Activity { txs, fees };
        // Many cheap transactions do not beat fewer that paid more.
        assert_eq!(
            most_active(&[(a.clone(), act(1, 5)), (b.clone(), act(2, 1))]),
            Some(a.clone())
        );
        assert_eq!(
            most_active(&[(a.clone(), act(1, 9)), (b.clone(), act(2, 9))]),
            Some(b.clone())
        );
        assert_eq!(
            most_active(&[(a.clone(), act(2, 9)), (b.clone(), act(2, 9))]),
            Some(a)
        );
        assert_eq!(most_active(&[]), None);
    }

    #[test]
    fn params_must_split_exactly() {
        assert!(EpochParams::default().validate().is_ok());
        let bad = EpochParams {
            liquidity_bps: 999,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
