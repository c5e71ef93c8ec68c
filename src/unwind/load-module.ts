import { RangeSource, SyncRangeSource } from '../adapters/range-source.adapter';
import { readElf } from '../elf/elf-file';
import { GoPclntab, locatePclntab } from '../elf/gopclntab';
import { readSymbolValues } from '../elf/symbol-table';
import { loadCfi, ModuleCfi } from './cfi/cfi-sections';
import { readGoVersion } from './go/go-version';
import { UnwindModule } from './unwind-module';

const GO_SYMBOLS = new Set(['runtime.allgs', 'runtime.allm']);

export interface LoadedModule {
  module: UnwindModule;
  goVersion?: string;
  /** The files it was read from (a Go module's DWARF gives the runtime's struct layouts). */
  files: { src: RangeSource & SyncRangeSource; name: string }[];
}

/**
 * What one module offers the unwinder, read from its stored files (the executable
 * first: it has .eh_frame and .gopclntab; then the debug file, for .debug_frame and
 * a .symtab the executable may have lost to strip).
 */
export async function loadUnwindModule(
  path: string,
  files: { src: RangeSource & SyncRangeSource; name: string }[],
  ranges: { start: bigint; end: bigint }[],
  bias: bigint,
): Promise<LoadedModule> {
  const cfi: ModuleCfi = {};
  let go: GoPclntab | undefined;
  let goVersion: string | undefined;
  const symbols = new Map<string, bigint>();
  for (const { src, name } of files) {
    const info = await readElf(src, name);
    const c = await loadCfi(src, info);
    cfi.ehFrame ??= c.ehFrame;
    cfi.debugFrame ??= c.debugFrame;
    if (!go && info.header.endian === 'little') {
      const pcln = await locatePclntab(info.sections, (o, n) => src.read(o, n)).catch(() => undefined);
      if (pcln) {
        const text = info.sections.find((s) => s.name === '.text');
        go = new GoPclntab(Buffer.from(pcln.bytes), info.header.endian, text?.addr ?? 0n);
      }
    }
    goVersion ??= await readGoVersion(src, info);
    if (go && symbols.size < GO_SYMBOLS.size) {
      for (const [k, v] of await readSymbolValues(src, info, GO_SYMBOLS)) if (!symbols.has(k)) symbols.set(k, v);
    }
  }
  return { module: { path, ranges, bias, cfi, go, symbols }, goVersion, files };
}
