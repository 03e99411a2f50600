//! Lowers `memory.copy` / `memory.fill` to calls of injected wasm functions (8-byte-chunk loops),
//! so contracts built with Rust ≥ 1.87 (which emits bulk memory) also run on cosmwasm-vm 3.0.x,
//! whose gatekeeper rejects bulk memory. Both VMs then run exactly the same bytes.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{CodeSection, FunctionSection, Instruction, TypeSection, ValType};
use wasmparser::{Operator, Parser, Payload, TypeRef};

const HELPERS: &str = r#"(module
  (memory 1)
  (func $memmove (param $d i32) (param $s i32) (param $n i32)
    (local $i i32)
    (if (i32.or (i32.le_u (local.get $d) (local.get $s))
                (i32.ge_u (local.get $d) (i32.add (local.get $s) (local.get $n))))
      (then
        (block $done8 (loop $l8
          (br_if $done8 (i32.lt_u (i32.sub (local.get $n) (local.get $i)) (i32.const 8)))
          (i64.store (i32.add (local.get $d) (local.get $i))
                     (i64.load (i32.add (local.get $s) (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $l8)))
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store8 (i32.add (local.get $d) (local.get $i))
                      (i32.load8_u (i32.add (local.get $s) (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
      (else
        (local.set $i (local.get $n))
        (block $done (loop $l
          (br_if $done (i32.eqz (local.get $i)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (i32.store8 (i32.add (local.get $d) (local.get $i))
                      (i32.load8_u (i32.add (local.get $s) (local.get $i))))
          (br $l))))))
  (func $memset (param $d i32) (param $v i32) (param $n i32)
    (local $i i32) (local $p i64)
    (local.set $p (i64.mul (i64.extend_i32_u (i32.and (local.get $v) (i32.const 255)))
                           (i64.const 0x0101010101010101)))
    (block $done8 (loop $l8
      (br_if $done8 (i32.lt_u (i32.sub (local.get $n) (local.get $i)) (i32.const 8)))
      (i64.store (i32.add (local.get $d) (local.get $i)) (local.get $p))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l8)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (local.get $d) (local.get $i)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))))"#;

fn helper_bodies() -> Vec<Vec<u8>> {
    let wasm = wat::parse_str(HELPERS).unwrap();
    Parser::new(0)
        .parse_all(&wasm)
        .filter_map(|p| match p.unwrap() {
            Payload::CodeSectionEntry(body) => Some(body.as_bytes().to_vec()),
            _ => None,
        })
        .collect()
}

struct Lower {
    ty: u32,
    memmove: u32,
    memset: u32,
    bodies: Vec<Vec<u8>>,
}

type R<T> = Result<T, reencode::Error<std::convert::Infallible>>;

impl Reencode for Lower {
    type Error = std::convert::Infallible;

    fn parse_type_section(
        &mut self,
        t: &mut TypeSection,
        s: wasmparser::TypeSectionReader<'_>,
    ) -> R<()> {
        reencode::utils::parse_type_section(self, t, s)?;
        t.ty().function([ValType::I32; 3], []);
        Ok(())
    }
    fn parse_function_section(
        &mut self,
        f: &mut FunctionSection,
        s: wasmparser::FunctionSectionReader<'_>,
    ) -> R<()> {
        reencode::utils::parse_function_section(self, f, s)?;
        f.function(self.ty);
        f.function(self.ty);
        Ok(())
    }
    fn parse_code_section(
        &mut self,
        c: &mut CodeSection,
        s: wasmparser::CodeSectionReader<'_>,
    ) -> R<()> {
        reencode::utils::parse_code_section(self, c, s)?;
        for b in &self.bodies {
            c.raw(b);
        }
        Ok(())
    }
    fn parse_custom_section(
        &mut self,
        _m: &mut wasm_encoder::Module,
        _s: wasmparser::CustomSectionReader<'_>,
    ) -> R<()> {
        Ok(())
    }
    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> R<()> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            match reader.read()? {
                Operator::MemoryCopy { .. } => f.instruction(&Instruction::Call(self.memmove)),
                Operator::MemoryFill { .. } => f.instruction(&Instruction::Call(self.memset)),
                Operator::MemoryInit { .. } => panic!("memory.init not supported by the lowering"),
                op => f.instruction(&self.instruction(op)?),
            };
        }
        code.function(&f);
        Ok(())
    }
}

pub fn lower_bulk_memory(wasm: &[u8]) -> Vec<u8> {
    let (mut types, mut imported, mut defined) = (0u32, 0u32, 0u32);
    for p in Parser::new(0).parse_all(wasm) {
        match p.unwrap() {
            Payload::TypeSection(r) => {
                for g in r {
                    types += g.unwrap().types().len() as u32;
                }
            }
            Payload::ImportSection(r) => {
                for i in r {
                    if matches!(i.unwrap().ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::FunctionSection(r) => defined = r.count(),
            _ => {}
        }
    }
    let mut l = Lower {
        ty: types,
        memmove: imported + defined,
        memset: imported + defined + 1,
        bodies: helper_bodies(),
    };
    let mut module = wasm_encoder::Module::new();
    l.parse_core_module(&mut module, Parser::new(0), wasm)
        .unwrap();
    module.finish()
}
