import { RangeSource, SyncRangeSource } from '../../adapters/range-source.adapter';
import { DwarfFile } from '../../dwarf/dwarf-file';
import { structLayout, StructLayout } from '../../dwarf/struct-layout';
import { readElf } from '../../elf/elf-file';
import { GoLayout, GoLayoutSource, GoModuleFiles, KnownGoLayouts } from './go-layout';

/**
 * The g/m layout from the binary's own DWARF types (runtime.g, runtime.m,
 * runtime.gobuf, runtime.stack), read with src/dwarf: right for any Go version that
 * keeps these field names, which every release since 1.4 has. Wait-reason strings
 * do not live in DWARF: the runtime's table is read from the core (go-runtime.ts),
 * the known table of the version is the fallback.
 */
export async function goLayoutFromDwarf(files: { src: RangeSource & SyncRangeSource; name: string }[], goVersion?: string): Promise<GoLayout | undefined> {
  for (const f of files) {
    const info = await readElf(f.src, f.name);
    if (!info.contents.debugInfo) continue;
    const dwarf = DwarfFile.open(info, f.src);
    const g = structLayout(dwarf, 'runtime.g');
    const m = structLayout(dwarf, 'runtime.m');
    const gobuf = structLayout(dwarf, 'runtime.gobuf');
    const stack = structLayout(dwarf, 'runtime.stack');
    if (!g || !m || !gobuf || !stack) continue;
    const at = (s: StructLayout, name: string): number => {
      const v = s.members.find((x) => x.name === name)?.offset;
      if (v === undefined) throw new Error(`${s.name}.${name} is not in the DWARF of ${f.name}`);
      return v;
    };
    try {
      const sched = at(g, 'sched');
      const stk = at(g, 'stack');
      const known = await new KnownGoLayouts().layoutFor({ goVersion });
      return {
        source: `DWARF types of ${f.name}`,
        g: {
          stackLo: stk + at(stack, 'lo'), stackHi: stk + at(stack, 'hi'), m: at(g, 'm'),
          schedSp: sched + at(gobuf, 'sp'), schedPc: sched + at(gobuf, 'pc'), schedBp: sched + at(gobuf, 'bp'),
          syscallsp: at(g, 'syscallsp'), syscallpc: at(g, 'syscallpc'), atomicstatus: at(g, 'atomicstatus'), goid: at(g, 'goid'),
          waitsince: at(g, 'waitsince'), waitreason: at(g, 'waitreason'), gopc: at(g, 'gopc'), startpc: at(g, 'startpc'),
        },
        m: { g0: at(m, 'g0'), procid: at(m, 'procid'), gsignal: at(m, 'gsignal'), curg: at(m, 'curg'), id: at(m, 'id'), alllink: at(m, 'alllink') },
        waitReasons: known?.waitReasons ?? [],
      };
    } catch {
      continue; // a field renamed in this version: the known table, if any, decides
    }
  }
  return undefined;
}

/** DWARF first, then the table of known layouts. */
export class GoLayouts implements GoLayoutSource {
  private readonly known = new KnownGoLayouts();
  async layoutFor(module: GoModuleFiles): Promise<GoLayout | undefined> {
    const fromDwarf = module.files ? await goLayoutFromDwarf(module.files, module.goVersion).catch(() => undefined) : undefined;
    return fromDwarf ?? this.known.layoutFor(module);
  }
}
