//! Open-loop schedule: transaction `k` is due at `k / rate` seconds after the start, whatever
//! the node does. The scheduler wakes every millisecond and sends everything that is due.

use std::time::Duration;

/// Number of transactions to prepare for `secs` seconds at `rate` tx/s.
pub fn total_for(rate: f64, secs: f64) -> u64 {
    if rate <= 0.0 || secs <= 0.0 {
        return 0;
    }
    (rate * secs).ceil() as u64
}

/// When transaction `k` is due, relative to the start.
pub fn scheduled_at(k: u64, rate: f64) -> Duration {
    Duration::from_secs_f64(k as f64 / rate)
}

/// How many transactions are due (scheduled at or before `elapsed`), capped at `total`.
pub fn due(elapsed: Duration, rate: f64, total: u64) -> u64 {
    if rate <= 0.0 {
        return 0;
    }
    let n = (elapsed.as_secs_f64() * rate).floor() as u64 + 1;
    n.min(total)
}

/// Which sender signs transaction `k` and with which sequence offset: round-robin, so each
/// sender's transactions are `n` apart and its sequences stay consecutive.
pub fn slot(k: u64, senders: usize) -> (usize, u64) {
    ((k % senders as u64) as usize, k / senders as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals() {
        assert_eq!(total_for(500.0, 30.0), 15_000);
        assert_eq!(total_for(333.3, 3.0), 1000);
        assert_eq!(total_for(0.0, 3.0), 0);
        assert_eq!(total_for(10.0, 0.0), 0);
    }

    #[test]
    fn due_counts_follow_the_rate() {
        let total = 1_000_000;
        assert_eq!(due(Duration::ZERO, 1000.0, total), 1, "tx 0 is due at t=0");
        assert_eq!(due(Duration::from_micros(999), 1000.0, total), 1);
        assert_eq!(due(Duration::from_millis(1), 1000.0, total), 2);
        assert_eq!(due(Duration::from_secs(1), 5000.0, total), 5001);
        assert_eq!(due(Duration::from_millis(1500), 2.0, total), 4);
        assert_eq!(
            due(Duration::from_secs(100), 5000.0, 10),
            10,
            "capped at total"
        );
        assert_eq!(due(Duration::from_secs(1), 0.0, 10), 0);
        // Monotone and never more than one ahead of the exact schedule.
        let mut last = 0;
        for ms in 0..5000u64 {
            let t = Duration::from_millis(ms);
            let d = due(t, 777.0, total);
            assert!(d >= last);
            last = d;
            assert!(scheduled_at(d - 1, 777.0) <= t);
            assert!(scheduled_at(d, 777.0) > t);
        }
    }

    #[test]
    fn round_robin_slots() {
        assert_eq!(slot(0, 4), (0, 0));
        assert_eq!(slot(3, 4), (3, 0));
        assert_eq!(slot(4, 4), (0, 1));
        assert_eq!(slot(9, 4), (1, 2));
        // Each sender's sequences are consecutive in submission order.
        let mut next = [0u64; 3];
        for k in 0..30 {
            let (s, r) = slot(k, 3);
            assert_eq!(r, next[s]);
            next[s] += 1;
        }
    }
}
