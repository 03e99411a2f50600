//! ICS-24: this chain as ibc-rs's host. State is kept at ibc-go's paths in ibc-go's encodings,
//! so counterparties and relayers read and prove it as they would a Cosmos SDK chain's:
//! client and consensus states as protobuf `Any`s, connection and channel ends as protobuf,
//! sequences as big-endian u64, a receipt as the byte `1`, processed times as big-endian
//! nanoseconds and processed heights as `revision-height` strings.

use std::time::Duration;

use ibc::clients::tendermint::client_state::ClientState as TmClientState;
use ibc::clients::tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc::core::channel::types::channel::ChannelEnd;
use ibc::core::channel::types::commitment::{AcknowledgementCommitment, PacketCommitment};
use ibc::core::channel::types::packet::Receipt;
use ibc::core::client::types::Height;
use ibc::core::commitment_types::commitment::CommitmentPrefix;
use ibc::core::commitment_types::specs::ProofSpecs;
use ibc::core::connection::types::ConnectionEnd;
use ibc::core::handler::types::events::IbcEvent;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChainId, ConnectionId, Sequence};
use ibc::core::host::types::path::{
    AckPath, ChannelEndPath, ClientConnectionPath, CommitmentPath, ConnectionPath, ReceiptPath,
    SeqAckPath, SeqRecvPath, SeqSendPath,
};
use ibc::core::host::{ExecutionContext, ValidationContext};
use ibc::cosmos_host::ValidateSelfClientContext;
use ibc::primitives::proto::Protobuf;
use ibc::primitives::{Signer, Timestamp};
use ibc_proto::ibc::core::channel::v1::Channel as RawChannel;
use ibc_proto::ibc::core::connection::v1::{ClientPaths, ConnectionEnd as RawConnectionEnd};
use prost::Message;

use super::keys;
use super::store::IbcState;

/// The longest a block is expected to take (ibc-go's default `max_expected_time_per_block`):
/// a connection's delay period in blocks is its time delay over this.
pub const MAX_EXPECTED_TIME_PER_BLOCK: Duration = Duration::from_secs(30);

/// The block a message runs in, and what `validate_self_client` compares a counterparty's
/// client of us against.
pub struct HostBlock {
    pub chain_id: ChainId,
    pub height: u64,
    pub time_nanos: u64,
    pub unbonding: Duration,
    pub proof_specs: ProofSpecs,
    pub upgrade_path: Vec<String>,
}

impl HostBlock {
    /// `None` if this chain's id is not a valid IBC chain id (then no IBC message can run).
    pub fn new(chain_id: &str, height: u64, time_nanos: i128, unbonding: Duration) -> Option<Self> {
        // A chain id that is not `name-N` has revision 0.
        let chain_id = ChainId::new(chain_id).ok()?;
        Some(HostBlock {
            chain_id,
            height,
            time_nanos: u64::try_from(time_nanos).unwrap_or(0),
            unbonding,
            proof_specs: proof_specs(),
            upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        })
    }

    pub fn revision(&self) -> u64 {
        self.chain_id.revision_number()
    }

    pub fn height(&self) -> Result<Height, HostError> {
        Height::new(self.revision(), self.height).map_err(HostError::invalid_state)
    }
}

/// The revision of a chain id (`name-N`: N), as IBC heights carry it; 0 if it has none.
pub fn revision_of(chain_id: &str) -> u64 {
    ChainId::new(chain_id).map_or(0, |c| c.revision_number())
}

/// Our store's proof specs, one per step of a proof: a key in the `ibc` substore, then the
/// substore's root in the main tree. Both trees are JMTs, so both steps use the JMT's spec.
pub fn proof_specs() -> ProofSpecs {
    let one = jmt::ics23_spec().encode_to_vec();
    let raw = ibc_proto::ics23::ProofSpec::decode(one.as_slice()).expect("same protobuf");
    ProofSpecs::try_from(vec![raw.clone(), raw]).expect("the JMT spec is a valid spec")
}

/// ibc-rs's host context over the transaction's state.
pub struct IbcHost<'s, 'k, 'a, 'm> {
    pub st: &'s IbcState<'k, 'a, 'm>,
    pub block: &'s HostBlock,
    pub events: Vec<IbcEvent>,
}

impl<'s, 'k, 'a, 'm> IbcHost<'s, 'k, 'a, 'm> {
    pub fn new(st: &'s IbcState<'k, 'a, 'm>, block: &'s HostBlock) -> Self {
        IbcHost {
            st,
            block,
            events: Vec::new(),
        }
    }

    pub(super) fn read_u64(&self, key: &[u8]) -> Result<Option<u64>, HostError> {
        match self.st.get(key)? {
            None => Ok(None),
            Some(b) => Ok(Some(u64::from_be_bytes(b.as_slice().try_into().map_err(
                |_| {
                    HostError::invalid_state(format!(
                        "{} is not a u64",
                        String::from_utf8_lossy(key)
                    ))
                },
            )?))),
        }
    }

    fn counter(&self, key: &[u8]) -> Result<u64, HostError> {
        Ok(self.read_u64(key)?.unwrap_or(0))
    }

    fn bump(&self, key: &[u8]) -> Result<(), HostError> {
        let n = self.counter(key)?;
        let next = n
            .checked_add(1)
            .ok_or_else(|| HostError::invalid_state("counter overflow"))?;
        self.st.put(key.to_vec(), next.to_be_bytes().to_vec())
    }

    fn sequence(&self, key: Vec<u8>, what: &str) -> Result<Sequence, HostError> {
        self.read_u64(&key)?.map(Sequence::from).ok_or_else(|| {
            HostError::missing_state(format!("{what} at {}", String::from_utf8_lossy(&key)))
        })
    }

    fn put_sequence(&self, key: Vec<u8>, seq: Sequence) -> Result<(), HostError> {
        self.st.put(key, u64::from(seq).to_be_bytes().to_vec())
    }
}

/// Decodes a stored protobuf value; a value that does not decode is corrupt state.
pub(super) fn decode_stored<T, R>(key: &[u8], raw: &[u8]) -> Result<T, HostError>
where
    T: Protobuf<R>,
    R: Message + Default + From<T>,
    T: TryFrom<R>,
    <T as TryFrom<R>>::Error: std::fmt::Display,
{
    <T as Protobuf<R>>::decode_vec(raw).map_err(|e| {
        HostError::invalid_state(format!("undecodable {}: {e}", String::from_utf8_lossy(key)))
    })
}

impl ValidateSelfClientContext for IbcHost<'_, '_, '_, '_> {
    fn chain_id(&self) -> &ChainId {
        &self.block.chain_id
    }

    fn host_current_height(&self) -> Height {
        Height::new(self.block.revision(), self.block.height.max(1)).expect("height >= 1")
    }

    fn proof_specs(&self) -> &ProofSpecs {
        &self.block.proof_specs
    }

    fn unbonding_period(&self) -> Duration {
        self.block.unbonding
    }

    fn upgrade_path(&self) -> &[String] {
        &self.block.upgrade_path
    }
}

impl ValidationContext for IbcHost<'_, '_, '_, '_> {
    type V = Self;
    type HostClientState = TmClientState;
    type HostConsensusState = TmConsensusState;

    fn get_client_validation_context(&self) -> &Self::V {
        self
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.block.height()
    }

    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        Ok(Timestamp::from_nanoseconds(self.block.time_nanos))
    }

    fn host_consensus_state(&self, height: &Height) -> Result<Self::HostConsensusState, HostError> {
        if height.revision_number() != self.block.revision() {
            return Err(HostError::invalid_state(format!(
                "height {height} is not of this chain's revision {}",
                self.block.revision()
            )));
        }
        let key = keys::host_consensus(height.revision_height());
        let raw = self.st.get(&key)?.ok_or_else(|| {
            HostError::missing_state(format!(
                "this chain's consensus state at {height} (outside the retained window)"
            ))
        })?;
        decode_stored::<TmConsensusState, ibc::primitives::proto::Any>(&key, &raw)
    }

    fn client_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::NEXT_CLIENT_SEQUENCE)
    }

    fn connection_end(&self, conn_id: &ConnectionId) -> Result<ConnectionEnd, HostError> {
        let key = keys::path(&ConnectionPath::new(conn_id));
        let raw = self
            .st
            .get(&key)?
            .ok_or_else(|| HostError::missing_state(format!("connection {conn_id}")))?;
        decode_stored::<ConnectionEnd, RawConnectionEnd>(&key, &raw)
    }

    fn validate_self_client(&self, client_state: TmClientState) -> Result<(), HostError> {
        self.validate_self_tendermint_client(client_state.inner().clone())
    }

    fn commitment_prefix(&self) -> CommitmentPrefix {
        CommitmentPrefix::from_bytes(keys::COMMITMENT_PREFIX)
    }

    fn connection_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::NEXT_CONNECTION_SEQUENCE)
    }

    fn channel_end(&self, path: &ChannelEndPath) -> Result<ChannelEnd, HostError> {
        let key = keys::path(path);
        let raw = self.st.get(&key)?.ok_or_else(|| {
            HostError::missing_state(format!("channel {} on port {}", path.1, path.0))
        })?;
        decode_stored::<ChannelEnd, RawChannel>(&key, &raw)
    }

    fn get_next_sequence_send(&self, path: &SeqSendPath) -> Result<Sequence, HostError> {
        self.sequence(keys::path(path), "next sequence send")
    }

    fn get_next_sequence_recv(&self, path: &SeqRecvPath) -> Result<Sequence, HostError> {
        self.sequence(keys::path(path), "next sequence receive")
    }

    fn get_next_sequence_ack(&self, path: &SeqAckPath) -> Result<Sequence, HostError> {
        self.sequence(keys::path(path), "next sequence ack")
    }

    fn get_packet_commitment(&self, path: &CommitmentPath) -> Result<PacketCommitment, HostError> {
        self.st
            .get(&keys::path(path))?
            .map(PacketCommitment::from)
            .ok_or_else(|| HostError::missing_state(format!("packet commitment {path}")))
    }

    fn get_packet_receipt(&self, path: &ReceiptPath) -> Result<Receipt, HostError> {
        Ok(match self.st.get(&keys::path(path))? {
            Some(_) => Receipt::Ok,
            None => Receipt::None,
        })
    }

    fn get_packet_acknowledgement(
        &self,
        path: &AckPath,
    ) -> Result<AcknowledgementCommitment, HostError> {
        self.st
            .get(&keys::path(path))?
            .map(AcknowledgementCommitment::from)
            .ok_or_else(|| HostError::missing_state(format!("packet acknowledgement {path}")))
    }

    fn channel_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::NEXT_CHANNEL_SEQUENCE)
    }

    fn max_expected_time_per_block(&self) -> Duration {
        MAX_EXPECTED_TIME_PER_BLOCK
    }

    fn validate_message_signer(&self, signer: &Signer) -> Result<(), HostError> {
        signer
            .as_ref()
            .parse::<proof_sdk::Address>()
            .map(|_| ())
            .map_err(|e| HostError::invalid_state(format!("signer {signer}: {e}")))
    }
}

impl ExecutionContext for IbcHost<'_, '_, '_, '_> {
    type E = Self;

    fn get_client_execution_context(&mut self) -> &mut Self::E {
        self
    }

    fn increase_client_counter(&mut self) -> Result<(), HostError> {
        self.bump(keys::NEXT_CLIENT_SEQUENCE)
    }

    fn store_connection(
        &mut self,
        path: &ConnectionPath,
        end: ConnectionEnd,
    ) -> Result<(), HostError> {
        self.st.put(keys::path(path), end.encode_vec())
    }

    fn store_connection_to_client(
        &mut self,
        path: &ClientConnectionPath,
        conn_id: ConnectionId,
    ) -> Result<(), HostError> {
        // ibc-go keeps the list of a client's connections as `ClientPaths`. Its length is
        // bounded by the connections this client's handshakes created, each one paid for.
        let key = keys::path(path);
        let mut paths = match self.st.get(&key)? {
            Some(raw) => ClientPaths::decode(raw.as_slice())
                .map_err(|e| HostError::invalid_state(format!("client paths: {e}")))?,
            None => ClientPaths::default(),
        };
        paths.paths.push(conn_id.to_string());
        self.st.put(key, paths.encode_to_vec())
    }

    fn increase_connection_counter(&mut self) -> Result<(), HostError> {
        self.bump(keys::NEXT_CONNECTION_SEQUENCE)
    }

    fn store_packet_commitment(
        &mut self,
        path: &CommitmentPath,
        commitment: PacketCommitment,
    ) -> Result<(), HostError> {
        self.st.put(keys::path(path), commitment.into_vec())
    }

    fn delete_packet_commitment(&mut self, path: &CommitmentPath) -> Result<(), HostError> {
        self.st.delete(keys::path(path))
    }

    fn store_packet_receipt(&mut self, path: &ReceiptPath, _: Receipt) -> Result<(), HostError> {
        self.st.put(keys::path(path), vec![1])
    }

    fn store_packet_acknowledgement(
        &mut self,
        path: &AckPath,
        ack: AcknowledgementCommitment,
    ) -> Result<(), HostError> {
        self.st.put(keys::path(path), ack.into_vec())
    }

    fn delete_packet_acknowledgement(&mut self, path: &AckPath) -> Result<(), HostError> {
        self.st.delete(keys::path(path))
    }

    fn store_channel(&mut self, path: &ChannelEndPath, end: ChannelEnd) -> Result<(), HostError> {
        self.st.put(keys::path(path), end.encode_vec())
    }

    fn store_next_sequence_send(
        &mut self,
        path: &SeqSendPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.put_sequence(keys::path(path), seq)
    }

    fn store_next_sequence_recv(
        &mut self,
        path: &SeqRecvPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.put_sequence(keys::path(path), seq)
    }

    fn store_next_sequence_ack(
        &mut self,
        path: &SeqAckPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.put_sequence(keys::path(path), seq)
    }

    fn increase_channel_counter(&mut self) -> Result<(), HostError> {
        self.bump(keys::NEXT_CHANNEL_SEQUENCE)
    }

    fn emit_ibc_event(&mut self, event: IbcEvent) -> Result<(), HostError> {
        self.events.push(event);
        Ok(())
    }

    fn log_message(&mut self, message: String) -> Result<(), HostError> {
        tracing::debug!(target: "ibc", "{message}");
        Ok(())
    }
}
