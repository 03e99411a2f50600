//! The VM: a cache of compiled codes plus the calls into them, one per entry point.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::Backend;
use crate::cache::{Cache, CacheStats, Checksum};
use crate::engine::{self, EngineConfig};
use crate::error::VmResult;
use crate::gas::GasSchedule;
use crate::instance::{self, CallOptions, CallSpec, Outcome};
use crate::validate::{Report, WasmLimits};

#[derive(Clone, Debug)]
pub struct VmConfig {
    /// Where compiled artifacts and uploaded wasm are kept; `None` keeps them in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Most bytes the disk cache keeps (least recently used files go first); it only saves
    /// compile time, so anything evicted is compiled again when next used.
    pub cache_disk_bytes: u64,
    /// Codes kept compiled in memory besides the pinned ones.
    pub lru_size: usize,
    pub engine: EngineConfig,
    pub wasm_limits: WasmLimits,
    pub schedule: GasSchedule,
}

impl Default for VmConfig {
    fn default() -> Self {
        VmConfig {
            cache_dir: None,
            cache_disk_bytes: 4 << 30,
            lru_size: 100,
            engine: EngineConfig::default(),
            wasm_limits: WasmLimits::default(),
            schedule: GasSchedule::default(),
        }
    }
}

/// IBC entry points; each takes `(env, msg)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IbcEntry {
    ChannelOpen,
    ChannelConnect,
    ChannelClose,
    PacketReceive,
    PacketAck,
    PacketTimeout,
    SourceCallback,
    DestinationCallback,
    Ibc2PacketReceive,
    Ibc2PacketAck,
    Ibc2PacketTimeout,
    Ibc2PacketSend,
}

impl IbcEntry {
    pub fn export_name(self) -> &'static str {
        match self {
            IbcEntry::ChannelOpen => "ibc_channel_open",
            IbcEntry::ChannelConnect => "ibc_channel_connect",
            IbcEntry::ChannelClose => "ibc_channel_close",
            IbcEntry::PacketReceive => "ibc_packet_receive",
            IbcEntry::PacketAck => "ibc_packet_ack",
            IbcEntry::PacketTimeout => "ibc_packet_timeout",
            IbcEntry::SourceCallback => "ibc_source_callback",
            IbcEntry::DestinationCallback => "ibc_destination_callback",
            IbcEntry::Ibc2PacketReceive => "ibc2_packet_receive",
            IbcEntry::Ibc2PacketAck => "ibc2_packet_ack",
            IbcEntry::Ibc2PacketTimeout => "ibc2_packet_timeout",
            IbcEntry::Ibc2PacketSend => "ibc2_packet_send",
        }
    }
}

pub struct Vm {
    cache: Cache,
    schedule: Arc<GasSchedule>,
    memory_limit: usize,
}

impl Vm {
    pub fn new(cfg: VmConfig) -> VmResult<Vm> {
        let engine = engine::build(&cfg.engine)?;
        let cache = Cache::new(
            engine,
            cfg.cache_dir,
            cfg.cache_disk_bytes,
            cfg.lru_size,
            cfg.wasm_limits,
        )?;
        Ok(Vm {
            cache,
            schedule: Arc::new(cfg.schedule),
            memory_limit: cfg.engine.memory_limit,
        })
    }

    /// Validates and compiles an uploaded code.
    pub fn store_code(&self, wasm: &[u8]) -> VmResult<Checksum> {
        self.cache.save_wasm(wasm)
    }

    /// Everything upload checks short of compiling (static validation and instrumentation):
    /// what a simulated upload runs, since a simulation may not spend a compile's CPU or leave
    /// an artifact behind. Cranelift accepts every module that passes these.
    pub fn check_code(&self, wasm: &[u8]) -> VmResult<Checksum> {
        self.cache.check_wasm(wasm)
    }

    pub fn analyze(&self, wasm: &[u8]) -> VmResult<Report> {
        self.cache.analyze(wasm)
    }

    pub fn pin(&self, checksum: &Checksum) -> VmResult<()> {
        self.cache.pin(checksum)
    }

    pub fn unpin(&self, checksum: &Checksum) {
        self.cache.unpin(checksum)
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Calls `entry` with JSON arguments. Queries (`read_only`) cannot write storage.
    pub fn call(
        &self,
        checksum: &Checksum,
        backend: Backend,
        entry: &str,
        args: &[&[u8]],
        read_only: bool,
        opts: &CallOptions,
    ) -> Outcome {
        let code = match self.cache.get(checksum) {
            Ok(c) => c,
            Err(e) => {
                return Outcome {
                    result: Err(e),
                    gas_used: 0,
                    debug: Vec::new(),
                    backend,
                }
            }
        };
        let spec = CallSpec {
            entry,
            args,
            read_only,
        };
        instance::call(
            &code,
            &self.schedule,
            self.memory_limit,
            backend,
            spec,
            opts,
        )
    }

    /// Creates and drops a fresh instance of a cached code without calling it: the fixed cost
    /// every call pays (benchmarks).
    pub fn instantiate_only(
        &self,
        checksum: &Checksum,
        backend: Backend,
    ) -> (VmResult<()>, Backend) {
        match self.cache.get(checksum) {
            Ok(code) => {
                instance::instantiate_only(&code, &self.schedule, self.memory_limit, backend)
            }
            Err(e) => (Err(e), backend),
        }
    }

    pub fn instantiate(
        &self,
        c: &Checksum,
        b: Backend,
        env: &[u8],
        info: &[u8],
        msg: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, "instantiate", &[env, info, msg], false, o)
    }

    pub fn execute(
        &self,
        c: &Checksum,
        b: Backend,
        env: &[u8],
        info: &[u8],
        msg: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, "execute", &[env, info, msg], false, o)
    }

    pub fn query(
        &self,
        c: &Checksum,
        b: Backend,
        env: &[u8],
        msg: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, "query", &[env, msg], true, o)
    }

    /// `migrate_info` is passed only to contracts exporting the 3-argument `migrate`.
    pub fn migrate(
        &self,
        c: &Checksum,
        b: Backend,
        env: &[u8],
        msg: &[u8],
        migrate_info: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, "migrate", &[env, msg, migrate_info], false, o)
    }

    pub fn sudo(
        &self,
        c: &Checksum,
        b: Backend,
        env: &[u8],
        msg: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, "sudo", &[env, msg], false, o)
    }

    pub fn reply(
        &self,
        c: &Checksum,
        b: Backend,
        env: &[u8],
        msg: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, "reply", &[env, msg], false, o)
    }

    pub fn ibc(
        &self,
        c: &Checksum,
        b: Backend,
        entry: IbcEntry,
        env: &[u8],
        msg: &[u8],
        o: &CallOptions,
    ) -> Outcome {
        self.call(c, b, entry.export_name(), &[env, msg], false, o)
    }
}
