//! Upload-time rewriting that prices bulk memory operations by length.
//!
//! wasmtime fuel charges one unit per instruction, so a single `memory.fill` of 32 MiB would cost
//! as much as an `i32.add`. Every `memory.copy`, `memory.fill` and `memory.init` is therefore
//! preceded by a call to the injected import [`CHARGE_BULK`] `(len: i32) -> i32`, which charges
//! gas for `len` bytes and returns `len` unchanged, so the stack the original instruction sees is
//! untouched. `memory.grow` is preceded by [`CHARGE_GROW`] `(pages: i32) -> i32` likewise.
//! The two imports are appended after the contract's own imports; every function index at or
//! above them shifts by two. Custom sections (names, producers) are dropped.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    CodeSection, EntityType, Function, ImportSection, Instruction, Module, SectionId, TypeSection,
    ValType,
};
use wasmparser::{Operator, Parser, Payload, TypeRef};

use crate::error::{VmError, VmResult};

/// Module of the injected imports; contracts cannot import from it (the whitelist is `env.*`).
pub const INTERNAL_MODULE: &str = "proof_vm_internal";
pub const CHARGE_BULK: &str = "charge_bulk_memory";
pub const CHARGE_GROW: &str = "charge_memory_grow";

struct Injector {
    /// Function imports of the original module.
    imported_funcs: u32,
    /// Index of the `(i32) -> i32` type we append.
    charge_type: u32,
    imports_done: bool,
}

impl Injector {
    fn charge_bulk(&self) -> u32 {
        self.imported_funcs
    }
    fn charge_grow(&self) -> u32 {
        self.imported_funcs + 1
    }
    fn add_imports(&self, imports: &mut ImportSection) {
        let ty = EntityType::Function(self.charge_type);
        imports.import(INTERNAL_MODULE, CHARGE_BULK, ty);
        imports.import(INTERNAL_MODULE, CHARGE_GROW, ty);
    }
}

type RResult<T> = Result<T, reencode::Error<std::convert::Infallible>>;

impl Reencode for Injector {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> RResult<u32> {
        Ok(if func < self.imported_funcs {
            func
        } else {
            func + 2
        })
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> RResult<()> {
        reencode::utils::parse_type_section(self, types, section)?;
        types.ty().function([ValType::I32], [ValType::I32]);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> RResult<()> {
        reencode::utils::parse_import_section(self, imports, section)?;
        self.add_imports(imports);
        self.imports_done = true;
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> RResult<()> {
        // A module without an import section still needs ours, right before the first section
        // that must follow imports.
        let needs = match before {
            None => true,
            Some(SectionId::Type) | Some(SectionId::Import) | Some(SectionId::Custom) => false,
            Some(_) => true,
        };
        if needs && !self.imports_done {
            let mut imports = ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
            self.imports_done = true;
        }
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        _module: &mut Module,
        _section: wasmparser::CustomSectionReader<'_>,
    ) -> RResult<()> {
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> RResult<()> {
        let mut f: Function = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            match op {
                Operator::MemoryCopy { .. }
                | Operator::MemoryFill { .. }
                | Operator::MemoryInit { .. } => {
                    f.instruction(&Instruction::Call(self.charge_bulk()));
                }
                Operator::MemoryGrow { .. } => {
                    f.instruction(&Instruction::Call(self.charge_grow()));
                }
                _ => {}
            }
            f.instruction(&self.instruction(op)?);
        }
        code.function(&f);
        Ok(())
    }
}

/// Rewrites `wasm` (already validated) so bulk memory operations and `memory.grow` are priced.
pub fn instrument(wasm: &[u8]) -> VmResult<Vec<u8>> {
    let mut imported_funcs = 0u32;
    let mut types = 0u32;
    let bad = |e: wasmparser::BinaryReaderError| VmError::Validation(e.to_string());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(bad)? {
            Payload::TypeSection(r) => {
                for g in r {
                    types += g.map_err(bad)?.types().len() as u32;
                }
            }
            Payload::ImportSection(r) => {
                for i in r {
                    if matches!(i.map_err(bad)?.ty, TypeRef::Func(_)) {
                        imported_funcs += 1;
                    }
                }
            }
            Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    if types == 0 {
        // No type section means no functions, hence nothing to price.
        return Ok(wasm.to_vec());
    }
    let mut injector = Injector {
        imported_funcs,
        charge_type: types,
        imports_done: false,
    };
    let mut module = Module::new();
    injector
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| VmError::Validation(format!("instrumentation: {e}")))?;
    Ok(module.finish())
}
