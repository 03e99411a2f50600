//! ICS-02 client storage for ibc-rs's 07-tendermint light client: client and consensus states
//! at ibc-go's paths, the processed time and height of each update, and a height-ordered index
//! of each client's consensus states so the light client's neighbour lookups and pruning read
//! a few entries, never the whole list.

use ibc::clients::tendermint::client_state::ClientState as TmClientState;
use ibc::clients::tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc::core::client::context::{
    ClientExecutionContext, ClientValidationContext, ExtClientValidationContext,
};
use ibc::core::client::types::Height;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::ClientId;
use ibc::core::host::types::path::{
    ClientConsensusStatePath, ClientStatePath, ClientUpdateHeightPath, ClientUpdateTimePath,
};
use ibc::primitives::proto::{Any, Protobuf};
use ibc::primitives::Timestamp;

use super::host::{decode_stored, IbcHost};
use super::keys;
use crate::state::{prefix_end, Order};

/// How many of a client's oldest consensus states one update may prune. Each update adds at
/// most one, so expired states cannot pile up, and an update never reads more than this many.
const PRUNE_PER_UPDATE: usize = 8;

fn height_from_index(key: &[u8]) -> Result<Height, HostError> {
    let n = key.len();
    if n < 16 {
        return Err(HostError::invalid_state("short consensus height index key"));
    }
    let rev = u64::from_be_bytes(key[n - 16..n - 8].try_into().expect("8 bytes"));
    let h = u64::from_be_bytes(key[n - 8..].try_into().expect("8 bytes"));
    Height::new(rev, h).map_err(HostError::invalid_state)
}

impl IbcHost<'_, '_, '_, '_> {
    fn consensus_at(&self, client: &ClientId, h: Height) -> Result<TmConsensusState, HostError> {
        self.consensus_state(&ClientConsensusStatePath::new(
            client.clone(),
            h.revision_number(),
            h.revision_height(),
        ))
    }

    /// The nearest consensus state above (`Ascending`) or below (`Descending`) `height`.
    fn neighbour(
        &self,
        client: &ClientId,
        height: &Height,
        order: Order,
    ) -> Result<Option<TmConsensusState>, HostError> {
        let base = keys::consensus_heights(client.as_str());
        let at = keys::consensus_height(
            client.as_str(),
            height.revision_number(),
            height.revision_height(),
        );
        let end = prefix_end(&base).expect("prefix ends with '/'");
        let found = match order {
            // Strictly above: start just past `at`.
            Order::Ascending => {
                self.st
                    .first_in(&[at.as_slice(), &[0]].concat(), &end, order, 1)?
            }
            Order::Descending => self.st.first_in(&base, &at, order, 1)?,
        };
        match found.first() {
            Some((k, _)) => Ok(Some(self.consensus_at(client, height_from_index(k)?)?)),
            None => Ok(None),
        }
    }
}

impl ClientValidationContext for IbcHost<'_, '_, '_, '_> {
    type ClientStateRef = TmClientState;
    type ConsensusStateRef = TmConsensusState;

    fn client_state(&self, client_id: &ClientId) -> Result<TmClientState, HostError> {
        let key = keys::path(&ClientStatePath::new(client_id.clone()));
        let raw = self
            .st
            .get(&key)?
            .ok_or_else(|| HostError::missing_state(format!("client {client_id}")))?;
        decode_stored::<TmClientState, Any>(&key, &raw)
    }

    fn consensus_state(
        &self,
        path: &ClientConsensusStatePath,
    ) -> Result<TmConsensusState, HostError> {
        let key = keys::path(path);
        let raw = self
            .st
            .get(&key)?
            .ok_or_else(|| HostError::missing_state(format!("consensus state {path}")))?;
        decode_stored::<TmConsensusState, Any>(&key, &raw)
    }

    fn client_update_meta(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<(Timestamp, Height), HostError> {
        let (rev, h) = (height.revision_number(), height.revision_height());
        let time_key = keys::path(&ClientUpdateTimePath::new(client_id.clone(), rev, h));
        let nanos = self.read_u64(&time_key)?.ok_or_else(|| {
            HostError::missing_state(format!("processed time of {client_id} at {height}"))
        })?;
        let height_key = keys::path(&ClientUpdateHeightPath::new(client_id.clone(), rev, h));
        let raw = self.st.get(&height_key)?.ok_or_else(|| {
            HostError::missing_state(format!("processed height of {client_id} at {height}"))
        })?;
        let processed: Height = String::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| HostError::invalid_state("undecodable processed height"))?;
        Ok((Timestamp::from_nanoseconds(nanos), processed))
    }
}

impl ClientExecutionContext for IbcHost<'_, '_, '_, '_> {
    type ClientStateMut = TmClientState;

    fn store_client_state(
        &mut self,
        path: ClientStatePath,
        client_state: TmClientState,
    ) -> Result<(), HostError> {
        self.st.put(keys::client_id(path.0.as_str()), vec![1])?;
        self.st.put(
            keys::path(&path),
            <TmClientState as Protobuf<Any>>::encode_vec(client_state),
        )
    }

    fn store_consensus_state(
        &mut self,
        path: ClientConsensusStatePath,
        consensus_state: TmConsensusState,
    ) -> Result<(), HostError> {
        self.st.put(
            keys::consensus_height(
                path.client_id.as_str(),
                path.revision_number,
                path.revision_height,
            ),
            vec![1],
        )?;
        self.st.put(
            keys::path(&path),
            <TmConsensusState as Protobuf<Any>>::encode_vec(consensus_state),
        )
    }

    fn delete_consensus_state(&mut self, path: ClientConsensusStatePath) -> Result<(), HostError> {
        self.st.delete(keys::consensus_height(
            path.client_id.as_str(),
            path.revision_number,
            path.revision_height,
        ))?;
        self.st.delete(keys::path(&path))
    }

    fn store_update_meta(
        &mut self,
        client_id: ClientId,
        height: Height,
        host_timestamp: Timestamp,
        host_height: Height,
    ) -> Result<(), HostError> {
        let (rev, h) = (height.revision_number(), height.revision_height());
        self.st.put(
            keys::path(&ClientUpdateTimePath::new(client_id.clone(), rev, h)),
            host_timestamp.nanoseconds().to_be_bytes().to_vec(),
        )?;
        self.st.put(
            keys::path(&ClientUpdateHeightPath::new(client_id, rev, h)),
            host_height.to_string().into_bytes(),
        )
    }

    fn delete_update_meta(&mut self, client_id: ClientId, height: Height) -> Result<(), HostError> {
        let (rev, h) = (height.revision_number(), height.revision_height());
        self.st.delete(keys::path(&ClientUpdateTimePath::new(
            client_id.clone(),
            rev,
            h,
        )))?;
        self.st
            .delete(keys::path(&ClientUpdateHeightPath::new(client_id, rev, h)))
    }
}

impl ExtClientValidationContext for IbcHost<'_, '_, '_, '_> {
    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        ibc::core::host::ValidationContext::host_timestamp(self)
    }

    fn host_height(&self) -> Result<Height, HostError> {
        ibc::core::host::ValidationContext::host_height(self)
    }

    /// The oldest few heights only: the light client uses this list to prune from the oldest
    /// up and stops at the first unexpired one (see [`PRUNE_PER_UPDATE`]).
    fn consensus_state_heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        let base = keys::consensus_heights(client_id.as_str());
        let end = prefix_end(&base).expect("prefix ends with '/'");
        self.st
            .first_in(&base, &end, Order::Ascending, PRUNE_PER_UPDATE)?
            .iter()
            .map(|(k, _)| height_from_index(k))
            .collect()
    }

    fn next_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        self.neighbour(client_id, height, Order::Ascending)
    }

    fn prev_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        self.neighbour(client_id, height, Order::Descending)
    }
}
