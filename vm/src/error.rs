//! Errors of the VM. A failed call never panics the host: every failure is one of these.

use thiserror::Error;

/// Errors a backend (storage, querier) reports to the VM. They abort the call.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum BackendError {
    #[error("backend: {0}")]
    Other(String),
    #[error("querier ran out of gas")]
    OutOfGas,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum VmError {
    /// Upload-time (static) validation rejected the wasm.
    #[error("static validation: {0}")]
    Validation(String),
    #[error("compilation failed: {0}")]
    Compile(String),
    #[error("instantiation failed: {0}")]
    Instantiation(String),
    #[error("code {0} not found in cache")]
    CodeNotFound(String),
    /// The contract does not export the entry point (or it has the wrong signature).
    #[error("missing or malformed entry point {0:?}")]
    MissingEntryPoint(String),
    #[error("out of gas")]
    OutOfGas,
    /// The contract panicked (`abort` import).
    #[error("aborted: {0}")]
    Aborted(String),
    /// A wasm trap other than out of gas (unreachable, out-of-bounds access, stack overflow,
    /// integer division by zero, ...).
    #[error("wasm trap: {0}")]
    Trap(String),
    /// The contract broke the region protocol (bad pointer, region too small, too long...).
    #[error("region: {0}")]
    Region(String),
    /// A host function was called with input violating its contract (unknown iterator,
    /// write in a query, ...).
    #[error("host function {func}: {msg}")]
    HostCall { func: &'static str, msg: String },
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The node ran out of a local resource (e.g. all pooled instance slots in use). Not a
    /// contract failure and not deterministic: the caller must retry later or stop, never
    /// record it as the call's result.
    #[error("node resource exhausted: {0}")]
    Resource(String),
    #[error("cache: {0}")]
    Cache(String),
    /// The contract's result did not parse as JSON.
    #[error("malformed result: {0}")]
    MalformedResult(String),
}

impl VmError {
    pub(crate) fn host(func: &'static str, msg: impl Into<String>) -> Self {
        VmError::HostCall {
            func,
            msg: msg.into(),
        }
    }
    pub(crate) fn region(msg: impl Into<String>) -> Self {
        VmError::Region(msg.into())
    }
}

pub type VmResult<T> = Result<T, VmError>;
