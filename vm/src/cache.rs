//! Compiled-code cache. A code is validated, instrumented and compiled once (cranelift); the
//! artifact is written to disk and kept in memory as a pre-instantiated module (`InstancePre`:
//! imports resolved once, so each call only allocates). Lookup order: pinned codes (never
//! evicted), an LRU of recent codes, the disk artifact, and last a recompilation from the stored
//! wasm. Disk artifacts are trusted: the directory must be writable by this node only.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, InstancePre, Linker, Module, ModuleExport};

use crate::error::{VmError, VmResult};
use crate::imports::HostCtx;
use crate::instrument;
use crate::validate::{self, Report, WasmLimits};

/// SHA-256 of the wasm as uploaded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    pub fn of(wasm: &[u8]) -> Self {
        Checksum(Sha256::digest(wasm).into())
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({})", self.to_hex())
    }
}

pub struct CompiledCode {
    pub pre: InstancePre<HostCtx>,
    /// Exported function names (entry points present).
    pub exports: BTreeSet<String>,
    /// Export handles resolved once, so a call looks nothing up by name.
    pub(crate) funcs: HashMap<String, ModuleExport>,
    pub(crate) memory: Option<ModuleExport>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits_pinned: u64,
    pub hits_memory: u64,
    pub hits_disk: u64,
    pub compilations: u64,
}

/// A tiny LRU: codes are few and large, so a linear scan to evict is fine.
struct Lru {
    cap: usize,
    tick: u64,
    map: HashMap<Checksum, (Arc<CompiledCode>, u64)>,
}

impl Lru {
    fn get(&mut self, k: &Checksum) -> Option<Arc<CompiledCode>> {
        self.tick += 1;
        let t = self.tick;
        self.map.get_mut(k).map(|(v, used)| {
            *used = t;
            v.clone()
        })
    }
    fn put(&mut self, k: Checksum, v: Arc<CompiledCode>) {
        if self.cap == 0 {
            return;
        }
        self.tick += 1;
        if !self.map.contains_key(&k) && self.map.len() >= self.cap {
            if let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| *k)
            {
                self.map.remove(&oldest);
            }
        }
        self.map.insert(k, (v, self.tick));
    }
}

pub struct Cache {
    engine: Engine,
    linker: Linker<HostCtx>,
    dir: Option<PathBuf>,
    limits: WasmLimits,
    pinned: Mutex<HashMap<Checksum, Arc<CompiledCode>>>,
    lru: Mutex<Lru>,
    stats: Mutex<CacheStats>,
    disk: Option<Mutex<Disk>>,
}

fn io(e: std::io::Error) -> VmError {
    VmError::Cache(e.to_string())
}

/// Writes `data` to `path` through a temp file of its own and a rename, so a crash never leaves
/// half an artifact and two threads saving the same artifact each rename a complete file.
fn write_atomic(path: &Path, data: &[u8]) -> VmResult<()> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}.{n}.tmp", std::process::id()));
    let written = std::fs::write(&tmp, data).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

/// How much the disk cache holds, against its cap. The cache only saves work (every code can
/// be compiled again from the wasm the chain keeps), so it may forget anything: when it grows
/// past the cap, the least recently used files go until it is back under 90% of it.
struct Disk {
    dir: PathBuf,
    cap: u64,
    used: u64,
}

impl Disk {
    fn open(dir: PathBuf, cap: u64) -> Self {
        let used = Self::files(&dir).iter().map(|f| f.1).sum();
        let mut d = Disk { dir, cap, used };
        d.shrink(None);
        d
    }

    /// Every cached file with its size and last use (modification time).
    fn files(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        let mut out = Vec::new();
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let Ok(meta) = e.metadata() else { continue };
                if meta.is_dir() {
                    dirs.push(e.path());
                } else {
                    let used = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                    out.push((e.path(), meta.len(), used));
                }
            }
        }
        out
    }

    /// The disk cache only saves work: failing to write it (e.g. a full disk) is logged, never
    /// an error of the call that compiled the code.
    fn persist(&mut self, path: &Path, data: &[u8]) {
        match write_atomic(path, data) {
            Ok(()) => {
                self.used += data.len() as u64;
                if self.used > self.cap {
                    self.shrink(Some(path));
                }
            }
            Err(e) => tracing::warn!(path = %path.display(), "cannot write to the wasm cache: {e}"),
        }
    }

    /// Marks `path` as just used, so eviction keeps it longest.
    fn touch(path: &Path) {
        if let Ok(f) = std::fs::File::options().append(true).open(path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
    }

    /// Deletes the least recently used files (never `keep`) until under 90% of the cap.
    fn shrink(&mut self, keep: Option<&Path>) {
        let mut files = Self::files(&self.dir);
        self.used = files.iter().map(|f| f.1).sum();
        files.sort_by_key(|f| f.2);
        let target = self.cap / 10 * 9;
        for (path, size, _) in files {
            if self.used <= target {
                break;
            }
            if Some(path.as_path()) == keep {
                continue;
            }
            if std::fs::remove_file(&path).is_ok() {
                self.used -= size;
            }
        }
    }
}

impl Cache {
    /// A cache in `dir` (memory only without one) that keeps at most `disk_cap` bytes on disk.
    pub fn new(
        engine: Engine,
        dir: Option<PathBuf>,
        disk_cap: u64,
        lru_size: usize,
        limits: WasmLimits,
    ) -> VmResult<Self> {
        if let Some(d) = &dir {
            std::fs::create_dir_all(d.join("wasm")).map_err(io)?;
            std::fs::create_dir_all(d.join(Self::module_subdir(&engine))).map_err(io)?;
        }
        let disk = dir.clone().map(|d| Mutex::new(Disk::open(d, disk_cap)));
        let linker = crate::imports::linker(&engine);
        Ok(Cache {
            engine,
            linker,
            dir,
            limits,
            pinned: Mutex::new(HashMap::new()),
            lru: Mutex::new(Lru {
                cap: lru_size,
                tick: 0,
                map: HashMap::new(),
            }),
            stats: Mutex::new(CacheStats::default()),
            disk,
        })
    }

    fn persist(&self, path: &Path, data: &[u8]) {
        if let Some(d) = &self.disk {
            d.lock().unwrap().persist(path, data);
        }
    }

    /// Bytes the disk cache holds now.
    pub fn disk_bytes(&self) -> u64 {
        self.disk.as_ref().map_or(0, |d| d.lock().unwrap().used)
    }

    /// Artifacts are kept per engine configuration (a different wasmtime or config never
    /// reads another's files; wasmtime also checks on load).
    /// Compiled modules are only reusable by the same engine (wasmtime's compatibility hash)
    /// and the same instrumentation, whose limits are compiled into them.
    pub(crate) fn module_subdir(engine: &Engine) -> String {
        use crate::instrument::{FRAME_UNITS, INSTRUMENT_VERSION, STACK_LIMIT};
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        (INSTRUMENT_VERSION, FRAME_UNITS, STACK_LIMIT).hash(&mut h);
        format!("modules/i{INSTRUMENT_VERSION}-{:016x}", h.finish())
    }

    fn wasm_path(&self, c: &Checksum) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join("wasm").join(format!("{c}.wasm")))
    }

    fn module_path(&self, c: &Checksum) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| {
            d.join(Self::module_subdir(&self.engine))
                .join(format!("{c}.module"))
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Static analysis only (what upload would check).
    pub fn analyze(&self, wasm: &[u8]) -> VmResult<Report> {
        validate::analyze(wasm, &self.limits)
    }

    /// Validates, instruments and compiles `wasm`, stores it and returns its checksum.
    /// Code this process already compiled (it is in memory) is not compiled again.
    pub fn save_wasm(&self, wasm: &[u8]) -> VmResult<Checksum> {
        let checksum = Checksum::of(wasm);
        if self.pinned.lock().unwrap().contains_key(&checksum)
            || self.lru.lock().unwrap().get(&checksum).is_some()
        {
            return Ok(checksum);
        }
        let module = self.compile(wasm)?;
        if let (Some(wp), Some(mp)) = (self.wasm_path(&checksum), self.module_path(&checksum)) {
            self.persist(&wp, wasm);
            match module.serialize() {
                Ok(bytes) => self.persist(&mp, &bytes),
                Err(e) => tracing::warn!("cannot serialize compiled {checksum}: {e}"),
            }
        }
        let code = self.prepare(module)?;
        self.lru.lock().unwrap().put(checksum, code);
        Ok(checksum)
    }

    /// Validates and instruments `wasm` without compiling it.
    pub fn check_wasm(&self, wasm: &[u8]) -> VmResult<Checksum> {
        validate::analyze(wasm, &self.limits)?;
        instrument::instrument(wasm)?;
        Ok(Checksum::of(wasm))
    }

    fn compile(&self, wasm: &[u8]) -> VmResult<Module> {
        validate::analyze(wasm, &self.limits)?;
        let code = instrument::instrument(wasm)?;
        self.stats.lock().unwrap().compilations += 1;
        Module::from_binary(&self.engine, &code).map_err(|e| VmError::Compile(format!("{e:#}")))
    }

    fn prepare(&self, module: Module) -> VmResult<Arc<CompiledCode>> {
        let exports: BTreeSet<String> = module
            .exports()
            .filter(|e| e.ty().func().is_some())
            .map(|e| e.name().to_string())
            .collect();
        let funcs = exports
            .iter()
            .filter_map(|n| module.get_export_index(n).map(|i| (n.clone(), i)))
            .collect();
        let memory = module.get_export_index("memory");
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| VmError::Instantiation(format!("{e:#}")))?;
        Ok(Arc::new(CompiledCode {
            pre,
            exports,
            funcs,
            memory,
        }))
    }

    /// The compiled code, from the fastest place that has it.
    pub fn get(&self, checksum: &Checksum) -> VmResult<Arc<CompiledCode>> {
        if let Some(c) = self.pinned.lock().unwrap().get(checksum) {
            self.stats.lock().unwrap().hits_pinned += 1;
            return Ok(c.clone());
        }
        if let Some(c) = self.lru.lock().unwrap().get(checksum) {
            self.stats.lock().unwrap().hits_memory += 1;
            return Ok(c.clone());
        }
        let code = self.load(checksum)?;
        self.lru.lock().unwrap().put(*checksum, code.clone());
        Ok(code)
    }

    fn load(&self, checksum: &Checksum) -> VmResult<Arc<CompiledCode>> {
        let not_found = || VmError::CodeNotFound(checksum.to_hex());
        let mp = self.module_path(checksum).ok_or_else(not_found)?;
        if mp.exists() {
            // SAFETY: artifacts in the cache directory were written by `save_wasm` of this
            // process type; wasmtime checks they match this engine's configuration.
            if let Ok(m) = unsafe { Module::deserialize_file(&self.engine, &mp) } {
                Disk::touch(&mp);
                self.stats.lock().unwrap().hits_disk += 1;
                return self.prepare(m);
            }
        }
        let wp = self.wasm_path(checksum).ok_or_else(not_found)?;
        let wasm = std::fs::read(&wp).map_err(|_| not_found())?;
        if Checksum::of(&wasm) != *checksum {
            return Err(VmError::Cache(format!(
                "stored wasm of {checksum} is corrupt"
            )));
        }
        let module = self.compile(&wasm)?;
        if let Ok(bytes) = module.serialize() {
            self.persist(&mp, &bytes);
        }
        self.prepare(module)
    }

    /// Keeps a (hot) code in memory for good, outside the LRU.
    pub fn pin(&self, checksum: &Checksum) -> VmResult<()> {
        if self.pinned.lock().unwrap().contains_key(checksum) {
            return Ok(());
        }
        let code = self.get(checksum)?;
        self.pinned.lock().unwrap().insert(*checksum, code);
        Ok(())
    }

    pub fn unpin(&self, checksum: &Checksum) {
        if let Some(code) = self.pinned.lock().unwrap().remove(checksum) {
            self.lru.lock().unwrap().put(*checksum, code);
        }
    }

    /// Drops a code from memory (both pinned and LRU); the disk copy stays.
    pub fn evict_memory(&self, checksum: &Checksum) {
        self.pinned.lock().unwrap().remove(checksum);
        self.lru.lock().unwrap().map.remove(checksum);
    }

    pub fn stats(&self) -> CacheStats {
        *self.stats.lock().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_modules_are_kept_apart_by_instrumentation_version() {
        let engine = crate::engine::build(&Default::default()).unwrap();
        let dir = Cache::module_subdir(&engine);
        // The same engine always finds its own modules again...
        assert_eq!(dir, Cache::module_subdir(&engine));
        // ...and modules built by another instrumentation are never in its directory.
        let v = crate::instrument::INSTRUMENT_VERSION;
        assert!(dir.starts_with(&format!("modules/i{v}-")), "{dir}");
    }
}
