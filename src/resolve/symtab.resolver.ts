import { findSymbol } from '../elf/symbol-table';
import { ResolvedSymbol } from '../model/resolved-frame';
import { Demangler } from './demangler';
import { ModuleSymbols } from './module-symbols';

/**
 * Modules without DWARF: Go's pclntab for Go code (function, file, line as the Go
 * runtime prints them), else the ELF symbol table, else .dynsym: function+offset,
 * sizes respected, demangled. The frame's source says which.
 */
export async function resolveWithoutDwarf(mod: ModuleSymbols, addr: bigint, demangler: Demangler): Promise<ResolvedSymbol | undefined> {
  const go = mod.go?.lookup(addr);
  if (go) return { function: go.function, file: go.file, line: go.line, inlined: go.inlined, source: 'gopclntab' };
  for (const [table, source] of [
    [mod.symtab, 'symtab'],
    [mod.dynsym, 'dynsym'],
  ] as const) {
    const sym = table && findSymbol(table, addr);
    if (sym) {
      const name = await demangler.demangle(sym.name);
      return { function: name, linkageName: sym.name !== name ? sym.name : undefined, offset: addr - sym.value, inlined: [], source };
    }
  }
  return undefined;
}
