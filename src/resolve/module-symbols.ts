import { FileSource } from '../adapters/range-source.adapter';
import { readElf } from '../elf/elf-file';
import { ElfInfo } from '../elf/elf-types';
import { GoPclntab, readGoTable } from '../elf/gopclntab';
import { ElfSymbol, readFunctionSymbols } from '../elf/symbol-table';

/**
 * What a stored file offers for resolution, loaded once per build-id: DWARF (handed
 * to llvm-symbolizer), Go's pclntab, or a symbol table we search in-process.
 */
export interface ModuleSymbols {
  info: ElfInfo;
  hasDwarf: boolean;
  go?: GoPclntab;
  symtab?: ElfSymbol[];
  dynsym?: ElfSymbol[];
}

export async function loadModuleSymbols(path: string): Promise<ModuleSymbols> {
  const src = await FileSource.open(path);
  try {
    const info = await readElf(src, path);
    const mod: ModuleSymbols = { info, hasDwarf: info.contents.debugInfo };
    if (mod.hasDwarf) return mod; // llvm-symbolizer answers everything, inlined frames included
    mod.go = await readGoTable(info, (o, n) => src.read(o, n));
    if (info.contents.symtab) mod.symtab = await readFunctionSymbols(src, info, '.symtab');
    if (info.contents.dynsym) mod.dynsym = await readFunctionSymbols(src, info, '.dynsym');
    return mod;
  } finally {
    await src.close();
  }
}

