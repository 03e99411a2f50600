//! Upload-time static analysis: the wasm must be a CosmWasm contract we can run safely and
//! deterministically. Every rejection is a [`VmError::Validation`] naming the rule broken.

use std::collections::BTreeSet;

use wasmparser::{
    CompositeInnerType, ExternalKind, FuncValidatorAllocations, Operator, Parser, Payload, RefType,
    TypeRef, ValidPayload, Validator, WasmFeatures,
};

use crate::error::{VmError, VmResult};
use crate::imports::SUPPORTED_IMPORTS;

/// Limits checked at upload, CosmWasm's defaults.
#[derive(Clone, Debug)]
pub struct WasmLimits {
    pub max_wasm_bytes: usize,
    pub initial_memory_pages: u64,
    pub table_elements: u64,
    pub max_imports: usize,
    pub max_functions: usize,
    pub max_function_params: usize,
    pub max_total_function_params: usize,
    pub max_function_results: usize,
    pub max_function_locals: usize,
    pub max_total_function_locals: usize,
}

impl Default for WasmLimits {
    fn default() -> Self {
        WasmLimits {
            max_wasm_bytes: 3 * 1024 * 1024,
            initial_memory_pages: 512,
            table_elements: 2500,
            max_imports: 100,
            max_functions: 20_000,
            max_function_params: 100,
            max_total_function_params: 10_000,
            max_function_results: 1,
            max_function_locals: 100,
            max_total_function_locals: 10_000,
        }
    }
}

pub const REQUIRED_EXPORTS: &[&str] = &["allocate", "deallocate"];
pub const INTERFACE_VERSION: &str = "interface_version_8";

/// What the analysis learned about the module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Exported function names.
    pub exports: BTreeSet<String>,
    /// `requires_*` capability markers.
    pub required_capabilities: BTreeSet<String>,
    /// The module uses memory.copy/fill/init or memory.grow: it needs instrumentation.
    pub has_priced_memory_ops: bool,
    /// The `cw_migrate_version` custom section.
    pub migrate_version: Option<u64>,
    pub function_count: usize,
    /// What compiling the module costs, in units of about one byte of ordinary contract code
    /// ([`compile_weight`]): what the chain prices and bounds per block.
    pub compile_weight: u64,
}

/// The compile weight of one function body of `bytes` bytes with `branches` branches.
///
/// Cranelift's time is about linear in code size, plus a fixed cost per function, except in
/// branches: a function's time grows with about the square of its branch count (`br`, `br_if`,
/// `if`, every `br_table` target; measured in `bench/compile`: 2 000 branches in 8 KB compile in
/// 57 ms, 8 000 in 615 ms). The weight is the size, plus [`FUNCTION_WEIGHT`], plus `2·n·√n` for
/// `n` branches, an upper bound of the measured growth: no module compiles much slower per unit
/// of weight than ordinary contract code (BENCHMARKS.md, "Uploads").
pub fn compile_weight(bytes: usize, branches: u64) -> u64 {
    (bytes as u64)
        .saturating_add(FUNCTION_WEIGHT)
        .saturating_add(2 * branches * branches.isqrt())
}

/// The fixed compile cost of a function, in weight units (~100 us of cranelift's time).
pub const FUNCTION_WEIGHT: u64 = 256;

/// Features a contract may use: wasm 1.0 plus sign-extension, non-trapping float-to-int,
/// mutable globals, multi-value (results are still limited to 1) and bulk memory (priced).
/// Reference types are enabled only so the `call_indirect` encoding Rust emits parses; their
/// instructions are rejected below. SIMD, threads, memory64, GC, exceptions, tail calls: no.
pub fn features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::FLOATS
}

fn err<T>(msg: impl Into<String>) -> VmResult<T> {
    Err(VmError::Validation(msg.into()))
}

pub fn analyze(wasm: &[u8], limits: &WasmLimits) -> VmResult<Report> {
    if wasm.len() > limits.max_wasm_bytes {
        return err(format!(
            "wasm is {} bytes, over the limit of {}",
            wasm.len(),
            limits.max_wasm_bytes
        ));
    }
    let mut validator = Validator::new_with_features(features());
    let mut report = Report::default();
    let mut type_params: Vec<(usize, usize)> = Vec::new();
    let mut imports = 0usize;
    let mut memories = 0usize;
    let mut tables = 0usize;
    let mut exported_memory = false;
    let mut total_params = 0usize;
    let mut total_locals = 0usize;
    let mut allocs = FuncValidatorAllocations::default();
    let map = |e: wasmparser::BinaryReaderError| VmError::Validation(e.to_string());

    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(map)?;
        if let ValidPayload::Func(to_validate, body) = validator.payload(&payload).map_err(map)? {
            let mut locals = 0usize;
            for l in body.get_locals_reader().map_err(map)? {
                locals += l.map_err(map)?.0 as usize;
            }
            if locals > limits.max_function_locals {
                return err(format!(
                    "function with {locals} locals, over the limit of {}",
                    limits.max_function_locals
                ));
            }
            total_locals += locals;
            let branches = check_operators(&body, &mut report)?;
            report.compile_weight = report
                .compile_weight
                .saturating_add(compile_weight(body.range().len(), branches));
            let mut fv = to_validate.into_validator(std::mem::take(&mut allocs));
            fv.validate(&body).map_err(map)?;
            allocs = fv.into_allocations();
            report.function_count += 1;
        }
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for ty in group.map_err(map)?.into_types() {
                        match ty.composite_type.inner {
                            CompositeInnerType::Func(f) => {
                                type_params.push((f.params().len(), f.results().len()))
                            }
                            _ => return err("only function types are allowed"),
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(map)?;
                    imports += 1;
                    let full = format!("{}.{}", import.module, import.name);
                    if !matches!(import.ty, TypeRef::Func(_)) {
                        return err(format!("non-function import {full:?}"));
                    }
                    if import.module != "env" || !SUPPORTED_IMPORTS.contains(&import.name) {
                        return err(format!("unsupported import {full:?}"));
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for idx in reader {
                    let (params, results) = *type_params
                        .get(idx.map_err(map)? as usize)
                        .ok_or_else(|| VmError::Validation("unknown type index".into()))?;
                    if params > limits.max_function_params {
                        return err(format!(
                            "function with {params} params, over the limit of {}",
                            limits.max_function_params
                        ));
                    }
                    if results > limits.max_function_results {
                        return err(format!(
                            "function with {results} results, over the limit of {}",
                            limits.max_function_results
                        ));
                    }
                    total_params += params;
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    let t = t.map_err(map)?;
                    tables += 1;
                    if t.ty.element_type != RefType::FUNCREF {
                        return err("tables must hold funcref");
                    }
                    match t.ty.maximum {
                        None => return err("table must have a maximum size"),
                        Some(max) if max > limits.table_elements => {
                            return err(format!(
                                "table maximum {max} over the limit of {}",
                                limits.table_elements
                            ))
                        }
                        _ => {}
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    let m = m.map_err(map)?;
                    memories += 1;
                    if m.initial > limits.initial_memory_pages {
                        return err(format!(
                            "memory's initial size {} pages is over the limit of {}",
                            m.initial, limits.initial_memory_pages
                        ));
                    }
                    if m.maximum.is_some() {
                        return err("memory maximum must be unset (the host sets it)");
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(map)?;
                    match e.kind {
                        ExternalKind::Func => {
                            if let Some(cap) = e.name.strip_prefix("requires_") {
                                report.required_capabilities.insert(cap.to_string());
                            }
                            report.exports.insert(e.name.to_string());
                        }
                        ExternalKind::Memory if e.name == "memory" => exported_memory = true,
                        _ => {}
                    }
                }
            }
            Payload::CustomSection(reader) if reader.name() == "cw_migrate_version" => {
                let v = std::str::from_utf8(reader.data())
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| VmError::Validation("malformed cw_migrate_version".into()))?;
                report.migrate_version = Some(v);
            }
            _ => {}
        }
    }

    if memories != 1 {
        return err(format!("exactly one memory required, found {memories}"));
    }
    if !exported_memory {
        return err("the memory must be exported as \"memory\"");
    }
    if tables > 1 {
        return err("at most one table allowed");
    }
    if imports > limits.max_imports {
        return err(format!(
            "{imports} imports, over the limit of {}",
            limits.max_imports
        ));
    }
    if report.function_count > limits.max_functions {
        return err(format!(
            "{} functions, over the limit of {}",
            report.function_count, limits.max_functions
        ));
    }
    if total_params > limits.max_total_function_params {
        return err(format!(
            "{total_params} function params in total, over the limit of {}",
            limits.max_total_function_params
        ));
    }
    if total_locals > limits.max_total_function_locals {
        return err(format!(
            "{total_locals} function locals in total, over the limit of {}",
            limits.max_total_function_locals
        ));
    }
    let versions: Vec<&String> = report
        .exports
        .iter()
        .filter(|e| e.starts_with("interface_version_"))
        .collect();
    match versions.as_slice() {
        [] => return err("missing the interface_version_* marker export"),
        [v] if v.as_str() == INTERFACE_VERSION => {}
        [v] => return err(format!("unsupported interface version {v:?}")),
        _ => return err("more than one interface_version_* marker export"),
    }
    for req in REQUIRED_EXPORTS {
        if !report.exports.contains(*req) {
            return err(format!("missing required export {req:?}"));
        }
    }
    Ok(report)
}

/// Rejects reference-type and table instructions (allowed by the parser only for the encoding
/// of `call_indirect`), records whether priced memory instructions occur, and returns how many
/// branches the body has (for its compile weight).
fn check_operators(body: &wasmparser::FunctionBody<'_>, report: &mut Report) -> VmResult<u64> {
    let mut branches = 0u64;
    let mut reader = body
        .get_operators_reader()
        .map_err(|e| VmError::Validation(e.to_string()))?;
    while !reader.eof() {
        let op = reader
            .read()
            .map_err(|e| VmError::Validation(e.to_string()))?;
        match op {
            Operator::RefNull { .. }
            | Operator::RefIsNull
            | Operator::RefFunc { .. }
            | Operator::TableGet { .. }
            | Operator::TableSet { .. }
            | Operator::TableGrow { .. }
            | Operator::TableFill { .. }
            | Operator::TableSize { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. }
            | Operator::ElemDrop { .. }
            | Operator::TypedSelect { .. } => {
                return err(format!("reference-type instruction {op:?} is not allowed"))
            }
            Operator::CallIndirect { table_index, .. } if table_index != 0 => {
                return err("call_indirect must use table 0")
            }
            Operator::MemoryCopy { .. }
            | Operator::MemoryFill { .. }
            | Operator::MemoryInit { .. }
            | Operator::MemoryGrow { .. } => report.has_priced_memory_ops = true,
            Operator::Br { .. } | Operator::BrIf { .. } | Operator::If { .. } => branches += 1,
            Operator::BrTable { targets } => branches += u64::from(targets.len()) + 1,
            _ => {}
        }
    }
    Ok(branches)
}
