//! How much history the store keeps.

/// How much history the store keeps.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Pruning {
    /// Keep this many most recent versions queryable; 0 keeps everything (archive node).
    /// An archive node does not record what becomes prunable, so turning pruning on later only
    /// reclaims data superseded from then on.
    pub keep_recent: u64,
    /// Run the pruner every this many commits.
    pub interval: u64,
}

impl Default for Pruning {
    fn default() -> Self {
        Self {
            keep_recent: 0,
            interval: 10,
        }
    }
}
