//! ICS-26: which application owns a port. `transfer` is ICS-20; every other port is refused
//! (contract-owned `wasm.<address>` ports come with the contract IBC entry points).

use ibc::core::host::types::identifiers::PortId;
use ibc::core::router::module::Module;
use ibc::core::router::router::Router;
use ibc::core::router::types::module::ModuleId;

use super::store::IbcState;
use super::transfer::{TransferCtx, PORT};

pub struct IbcRouter<'s, 'k, 'a, 'm> {
    pub transfer: TransferCtx<'s, 'k, 'a, 'm>,
}

impl<'s, 'k, 'a, 'm> IbcRouter<'s, 'k, 'a, 'm> {
    pub fn new(st: &'s IbcState<'k, 'a, 'm>) -> Self {
        IbcRouter {
            transfer: TransferCtx { st },
        }
    }
}

fn is_transfer(id: &ModuleId) -> bool {
    id == &ModuleId::new(PORT.to_string())
}

impl Router for IbcRouter<'_, '_, '_, '_> {
    fn get_route(&self, id: &ModuleId) -> Option<&dyn Module> {
        is_transfer(id).then_some(&self.transfer as &dyn Module)
    }

    fn get_route_mut(&mut self, id: &ModuleId) -> Option<&mut dyn Module> {
        if is_transfer(id) {
            Some(&mut self.transfer as &mut dyn Module)
        } else {
            None
        }
    }

    fn lookup_module(&self, port: &PortId) -> Option<ModuleId> {
        (port.as_str() == PORT).then(|| ModuleId::new(PORT.to_string()))
    }
}
