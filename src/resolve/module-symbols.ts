import { FileSource } from '../adapters/range-source.adapter';
import { readElf } from '../elf/elf-file';
import { ElfInfo } from '../elf/elf-types';
import { GoPclntab, locateGofunc, locatePclntab } from '../elf/gopclntab';
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
    const text = info.sections.find((s) => s.name === '.text');
    const read = (o: number, n: number) => src.read(o, n);
    const pcln = info.header.endian === 'little' ? await locatePclntab(info.sections, read).catch(() => undefined) : undefined;
    if (pcln) {
      mod.go = new GoPclntab(Buffer.from(pcln.bytes), info.header.endian, text?.addr ?? 0n);
      const gofunc = await locateGofunc(info.sections, read, mod.go, pcln.vaddr).catch(() => undefined);
      if (gofunc) mod.go.withInlineTrees(Buffer.from(gofunc));
    }
    if (info.contents.symtab) mod.symtab = await readFunctionSymbols(src, info, '.symtab');
    if (info.contents.dynsym) mod.dynsym = await readFunctionSymbols(src, info, '.dynsym');
    return mod;
  } finally {
    await src.close();
  }
}
