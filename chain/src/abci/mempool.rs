//! The mempool connection: CheckTx against a check state that accumulates the ante effects
//! (sequence bumps, fees) of every transaction already admitted since the last commit.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tendermint::abci::{request, response, Code};

use super::executor::Executor;
use crate::app::ante::{self, AnteCtx, Mode};
use crate::app::decode::decode_tx;
use crate::node::metrics::Metrics;
use crate::state::gas::GasMeter;
use crate::state::params::Params;
use crate::state::{
    overlay_get, overlay_range, Metered, Order, StateError, StateRead, WrittenIter,
};
use crate::tx::TxError;

pub struct MempoolState {
    exec: Arc<Executor>,
    metrics: Arc<Metrics>,
    overlay: Mutex<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    /// Params of the committed state: read once per block rather than parsed for every CheckTx
    /// (rechecks alone run the whole mempool backlog through here after each block).
    params: Mutex<Option<Params>>,
}

/// Committed state with the check overlay on top.
struct CheckView<'a> {
    overlay: &'a BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    base: &'a dyn StateRead,
}

impl StateRead for CheckView<'_> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        overlay_get(self.overlay, self.base, key)
    }
    fn range_written<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
        order: Order,
    ) -> Result<WrittenIter<'a>, StateError> {
        overlay_range(self.overlay, self.base, start, end, order)
    }
}

impl MempoolState {
    pub fn new(exec: Arc<Executor>, metrics: Arc<Metrics>) -> Self {
        Self {
            exec,
            metrics,
            overlay: Mutex::new(BTreeMap::new()),
            params: Mutex::new(None),
        }
    }

    pub fn reset(&self) {
        self.overlay.lock().clear();
        *self.params.lock() = None;
    }

    fn params(&self) -> Result<Params, StateError> {
        let mut cached = self.params.lock();
        if let Some(p) = cached.as_ref() {
            return Ok(p.clone());
        }
        let p = Params::load(&*self.exec.store)?;
        *cached = Some(p.clone());
        Ok(p)
    }

    pub fn check_tx(&self, req: request::CheckTx) -> response::CheckTx {
        let kind = if req.kind == request::CheckTxKind::Recheck {
            "recheck"
        } else {
            "new"
        };
        let result = self.check(&req.tx);
        let code = result.as_ref().map(|_| 0).unwrap_or_else(|(e, _)| e.code());
        self.metrics
            .check_tx
            .with_label_values(&[kind, &code.to_string()])
            .inc();
        match result {
            Ok((gas_wanted, gas_used)) => response::CheckTx {
                code: Code::Ok,
                gas_wanted: gas_wanted as i64,
                gas_used: gas_used as i64,
                ..Default::default()
            },
            Err((e, gas_wanted)) => response::CheckTx {
                code: Code::from(e.code()),
                log: e.to_string(),
                codespace: e.codespace().to_string(),
                gas_wanted: gas_wanted as i64,
                ..Default::default()
            },
        }
    }

    fn check(&self, raw: &[u8]) -> Result<(u64, u64), (TxError, u64)> {
        let store: &dyn StateRead = &*self.exec.store;
        let params = self.params().map_err(|e| (e.into(), 0))?;
        let tx = decode_tx(raw, &params, false).map_err(|e| (e, 0))?;
        let height = self.exec.store.latest_version().unwrap_or(0) + 1;
        let ctx = AnteCtx {
            chain_id: &self.exec.chain_id,
            height,
            params: &params,
            mode: Mode::Check,
            sig_cache: &self.exec.sig_cache,
        };
        let mut gas = GasMeter::new(tx.gas_limit);
        let mut overlay = self.overlay.lock();
        let writes = {
            let view = CheckView {
                overlay: &overlay,
                base: store,
            };
            let mut m = Metered::new(&view, &mut gas);
            ante::run(&mut m, &tx, &ctx).map_err(|e| (e, tx.gas_limit))?;
            m.delta.into_writes()
        };
        overlay.extend(writes);
        Ok((tx.gas_limit, gas.used()))
    }
}
