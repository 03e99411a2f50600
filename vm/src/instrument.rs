//! Upload-time rewriting: bulk memory priced by length, and a deterministic stack limit.
//!
//! Pricing. wasmtime fuel charges one unit per instruction, so a single `memory.fill` of 32 MiB
//! would cost as much as an `i32.add`. Every `memory.copy`, `memory.fill` and `memory.init` is
//! therefore preceded by a call to the injected import [`CHARGE_BULK`] `(len: i32) -> i32`, which
//! charges gas for `len` bytes and returns `len` unchanged, so the stack the original
//! instruction sees is untouched. `memory.grow` is preceded by [`CHARGE_GROW`] likewise.
//!
//! Stack. How deep a contract may recurse must not depend on the machine: wasmtime's own limit
//! counts native stack bytes, which differ between CPUs, compilers and compiler settings, so the
//! gas used at the point of overflow (part of the results hash) could differ between
//! validators. Every function therefore adds its frame's size in *stack units* to an injected
//! global on entry and subtracts it on the way out, and traps through [`STACK_EXHAUSTED`] when
//! the total passes [`STACK_LIMIT`]. A frame costs [`FRAME_UNITS`] plus one unit per parameter,
//! local and operand-stack slot (its deepest point, found by validation): a measure of the
//! native frame that does not depend on how it is compiled. wasmtime's native limit stays as a
//! backstop set well above what [`STACK_LIMIT`] can reach (see `engine.rs`).
//!
//! Function bodies become `prologue; block (result t) <body> end; epilogue`: a `br` to the
//! function's label now leaves the block and passes the epilogue, and each `return` is
//! rewritten as a `br` to it. A trap needs no epilogue: the instance is discarded.
//!
//! The three imports are appended after the contract's own imports (every function index at or
//! above them shifts by three), the global after its globals. Custom sections are dropped.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, EntityType, Function, GlobalSection, GlobalType,
    ImportSection, Instruction, Module, SectionId, TypeSection, ValType,
};
use wasmparser::{
    FuncValidatorAllocations, Operator, Parser, Payload, TypeRef, ValidPayload, Validator,
    WasmModuleResources,
};

use crate::error::{VmError, VmResult};

/// Module of the injected imports; contracts cannot import from it (the whitelist is `env.*`).
pub const INTERNAL_MODULE: &str = "proof_vm_internal";
pub const CHARGE_BULK: &str = "charge_bulk_memory";
pub const CHARGE_GROW: &str = "charge_memory_grow";
pub const STACK_EXHAUSTED: &str = "stack_exhausted";

/// Stack units a frame costs besides its value slots (return address, saved registers, the
/// VM context): a native frame is never empty.
pub const FRAME_UNITS: u32 = 8;
/// Stack units one call may have live at once. With `engine.rs`'s native backstop this was
/// measured to leave a wide margin (`vm/GAS.md`, "Stack").
pub const STACK_LIMIT: u32 = 64 * 1024;

/// The version of what [`instrument`] emits. A cached compiled module carries the
/// instrumentation it was built with (stack accounting is compiled in), so the disk cache is
/// keyed by this: bump it on any change to the rewrite, or nodes that kept their cache would
/// run old code beside nodes that recompiled, and disagree.
pub const INSTRUMENT_VERSION: u32 = 1;

/// What the instrumented body of one defined function needs to know.
struct Frame {
    units: u32,
    result: Option<wasmparser::ValType>,
}

struct Injector {
    /// Function imports of the original module.
    imported_funcs: u32,
    /// Index of the `(i32) -> i32` type we append.
    charge_type: u32,
    /// Index of the stack-depth global we append.
    depth_global: u32,
    imports_done: bool,
    globals_done: bool,
    frames: Vec<Frame>,
    next_body: usize,
}

impl Injector {
    fn charge_bulk(&self) -> u32 {
        self.imported_funcs
    }
    fn charge_grow(&self) -> u32 {
        self.imported_funcs + 1
    }
    fn stack_exhausted(&self) -> u32 {
        self.imported_funcs + 2
    }
    fn add_imports(&self, imports: &mut ImportSection) {
        let ty = EntityType::Function(self.charge_type);
        imports.import(INTERNAL_MODULE, CHARGE_BULK, ty);
        imports.import(INTERNAL_MODULE, CHARGE_GROW, ty);
        imports.import(INTERNAL_MODULE, STACK_EXHAUSTED, ty);
    }
    fn add_global(&self, globals: &mut GlobalSection) {
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(0),
        );
    }

    /// `depth += units; if depth > STACK_LIMIT { stack_exhausted() }`
    fn prologue(&self, f: &mut Function, units: u32) {
        let g = self.depth_global;
        f.instruction(&Instruction::GlobalGet(g))
            .instruction(&Instruction::I32Const(units as i32))
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::GlobalSet(g))
            .instruction(&Instruction::GlobalGet(g))
            .instruction(&Instruction::I32Const(STACK_LIMIT as i32))
            .instruction(&Instruction::I32GtU)
            .instruction(&Instruction::If(BlockType::Empty))
            .instruction(&Instruction::I32Const(0))
            .instruction(&Instruction::Call(self.stack_exhausted()))
            .instruction(&Instruction::Drop)
            .instruction(&Instruction::End);
    }

    /// `depth -= units`
    fn epilogue(&self, f: &mut Function, units: u32) {
        let g = self.depth_global;
        f.instruction(&Instruction::GlobalGet(g))
            .instruction(&Instruction::I32Const(units as i32))
            .instruction(&Instruction::I32Sub)
            .instruction(&Instruction::GlobalSet(g));
    }
}

type RResult<T> = Result<T, reencode::Error<std::convert::Infallible>>;

impl Reencode for Injector {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> RResult<u32> {
        Ok(if func < self.imported_funcs {
            func
        } else {
            func + 3
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

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> RResult<()> {
        reencode::utils::parse_global_section(self, globals, section)?;
        self.add_global(globals);
        self.globals_done = true;
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> RResult<()> {
        // A module without an import (global) section still needs ours, right before the first
        // section that must follow it.
        let imports_due = !matches!(
            before,
            Some(SectionId::Type) | Some(SectionId::Import) | Some(SectionId::Custom)
        );
        if imports_due && !self.imports_done {
            let mut imports = ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
            self.imports_done = true;
        }
        let globals_due = matches!(
            before,
            None | Some(SectionId::Export)
                | Some(SectionId::Start)
                | Some(SectionId::Element)
                | Some(SectionId::DataCount)
                | Some(SectionId::Code)
                | Some(SectionId::Data)
        );
        if globals_due && !self.globals_done {
            let mut globals = GlobalSection::new();
            self.add_global(&mut globals);
            module.section(&globals);
            self.globals_done = true;
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
        let frame = &self.frames[self.next_body];
        let (units, result) = (frame.units, frame.result);
        self.next_body += 1;
        let mut f: Function = self.new_function_with_parsed_locals(&func)?;
        self.prologue(&mut f, units);
        let block = match result {
            None => BlockType::Empty,
            Some(t) => BlockType::Result(self.val_type(t)?),
        };
        f.instruction(&Instruction::Block(block));
        // Blocks open inside the body: a `return` at nesting `n` leaves `n + 1` labels, i.e.
        // branches to our block.
        let mut open = 0u32;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => open += 1,
                Operator::End if open == 0 => {
                    // The function's own `end`: close our block, then leave.
                    f.instruction(&Instruction::End);
                    self.epilogue(&mut f, units);
                    f.instruction(&Instruction::End);
                    continue;
                }
                Operator::End => open -= 1,
                Operator::Return => {
                    f.instruction(&Instruction::Br(open));
                    continue;
                }
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

/// What the rewrite needs to know about the module before it starts: imported functions,
/// types, globals, and each defined function's frame (by validating it).
struct Survey {
    imported_funcs: u32,
    types: u32,
    globals: u32,
    frames: Vec<Frame>,
}

fn survey(wasm: &[u8]) -> VmResult<Survey> {
    let bad = |e: wasmparser::BinaryReaderError| VmError::Validation(e.to_string());
    let mut s = Survey {
        imported_funcs: 0,
        types: 0,
        globals: 0,
        frames: Vec::new(),
    };
    let mut validator = Validator::new_with_features(crate::validate::features());
    let mut allocs = FuncValidatorAllocations::default();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(bad)?;
        match &payload {
            Payload::TypeSection(r) => {
                for g in r.clone() {
                    s.types += g.map_err(bad)?.types().len() as u32;
                }
            }
            Payload::ImportSection(r) => {
                for i in r.clone() {
                    if matches!(i.map_err(bad)?.ty, TypeRef::Func(_)) {
                        s.imported_funcs += 1;
                    }
                }
            }
            Payload::GlobalSection(r) => s.globals += r.count(),
            _ => {}
        }
        if let ValidPayload::Func(to_validate, body) = validator.payload(&payload).map_err(bad)? {
            let mut fv = to_validate.into_validator(std::mem::take(&mut allocs));
            let res = fv.resources();
            let result = res
                .type_id_of_function(fv.index())
                .and_then(|id| match &res.sub_type_at_id(id).composite_type.inner {
                    wasmparser::CompositeInnerType::Func(f) => Some(f.clone()),
                    _ => None,
                })
                .ok_or_else(|| VmError::Validation("function without a type".into()))?
                .results()
                .first()
                .copied();
            for local in body.get_locals_reader().map_err(bad)? {
                let (count, t) = local.map_err(bad)?;
                fv.define_locals(0, count, t).map_err(bad)?;
            }
            let mut deepest = 0u32;
            let mut ops = body.get_operators_reader().map_err(bad)?;
            while !ops.eof() {
                let (op, offset) = ops.read_with_offset().map_err(bad)?;
                fv.op(offset, &op).map_err(bad)?;
                deepest = deepest.max(fv.operand_stack_height());
            }
            let units = FRAME_UNITS
                .saturating_add(fv.len_locals())
                .saturating_add(deepest);
            s.frames.push(Frame {
                units: units.min(STACK_LIMIT + 1),
                result,
            });
            allocs = fv.into_allocations();
        }
    }
    Ok(s)
}

/// Rewrites `wasm` (already validated) so bulk memory operations and `memory.grow` are priced
/// and the wasm stack is limited deterministically.
pub fn instrument(wasm: &[u8]) -> VmResult<Vec<u8>> {
    let s = survey(wasm)?;
    if s.frames.is_empty() {
        // No function, so nothing to price or limit.
        return Ok(wasm.to_vec());
    }
    let mut injector = Injector {
        imported_funcs: s.imported_funcs,
        charge_type: s.types,
        depth_global: s.globals,
        imports_done: false,
        globals_done: false,
        frames: s.frames,
        next_body: 0,
    };
    let mut module = Module::new();
    injector
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| VmError::Validation(format!("instrumentation: {e}")))?;
    Ok(module.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(wat: &str) -> Vec<u8> {
        let out = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        let mut v = Validator::new_with_features(crate::validate::features());
        v.validate_all(&out).expect("the rewrite is valid wasm");
        out
    }

    #[test]
    fn rewrites_stay_valid_with_returns_branches_and_missing_sections() {
        // No import or global section, a `return` inside nested blocks, a branch to the
        // function's label, and results.
        rewritten(
            r#"(module
                (memory 1)
                (func $f (param i32) (result i32)
                    (block (block
                        (if (local.get 0) (then (return (i32.const 7))))
                        (br 2 (i32.const 9))))
                    (i32.const 1))
                (func (export "g") (result i32) (call $f (i32.const 0)))
                (func (export "h") (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))"#,
        );
        // With imports and globals of its own.
        rewritten(
            r#"(module
                (import "env" "db_read" (func $r (param i32) (result i32)))
                (global $g (mut i32) (i32.const 5))
                (memory 1)
                (func (export "x") (result i32) (global.set $g (call $r (global.get $g))) (global.get $g)))"#,
        );
    }
}
