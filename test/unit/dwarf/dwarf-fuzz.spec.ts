import { join } from 'node:path';
import { SyncFileSource } from '../../../src/adapters/range-source.adapter';
import * as C from '../../../src/dwarf/dwarf-constants';
import { DieCursor } from '../../../src/dwarf/die-cursor';
import { dieFromCursor } from '../../../src/dwarf/die';
import { DwarfFile } from '../../../src/dwarf/dwarf-file';
import { DwarfSections, SectionName } from '../../../src/dwarf/dwarf-sections';
import { LineTable } from '../../../src/dwarf/line-program';
import { readElf } from '../../../src/elf/elf-file';
import { DwarfError } from '../../../src/model/errors';
import { FIXTURES } from '../../support/fixtures';
import { prng } from '../../support/mutator';

/**
 * DWARF that lies: real sections with bytes flipped, runs zeroed or set to 0xff, and
 * lengths cut. Reading everything (units, every DIE and attribute, names through
 * abstract origins, ranges, line programs) either works or fails with a DwarfError
 * that names a section and offset: never a RangeError, a TypeError or a hang.
 */
const NAMES: SectionName[] = ['debug_info', 'debug_abbrev', 'debug_line', 'debug_str', 'debug_rnglists', 'debug_ranges', 'debug_line_str', 'debug_aranges'];

async function sectionsOf(rel: string): Promise<Partial<Record<SectionName, Buffer>>> {
  const path = join(FIXTURES, rel);
  const src = SyncFileSource.open(path);
  try {
    const info = await readElf(src, path);
    const s = DwarfSections.of(info, src);
    const out: Partial<Record<SectionName, Buffer>> = {};
    for (const n of NAMES) {
      const d = s.get(n);
      if (d) out[n] = Buffer.from(d.bytes(0, d.size));
    }
    return out;
  } finally {
    src.closeSync();
  }
}

function readEverything(dwarf: DwarfFile): number {
  let n = 0;
  for (const unit of dwarf.units()) {
    const c = new DieCursor(unit);
    while (c.next()) {
      const d = dieFromCursor(c);
      n++;
      if (d.tag === C.DW_TAG_subprogram || d.tag === C.DW_TAG_inlined_subroutine) {
        d.name();
        d.linkageName();
        d.ranges();
      }
    }
    if (unit.stmtList !== undefined) LineTable.read(unit, unit.stmtList);
  }
  return n;
}

function mutated(base: Partial<Record<SectionName, Buffer>>, rnd: () => number): Partial<Record<SectionName, Buffer>> {
  const out: Partial<Record<SectionName, Buffer>> = {};
  for (const [k, v] of Object.entries(base) as [SectionName, Buffer][]) out[k] = Buffer.from(v);
  const names = Object.keys(out) as SectionName[];
  for (let e = 0; e < 1 + Math.floor(rnd() * 6); e++) {
    const name = names[Math.floor(rnd() * names.length)];
    let b = out[name]!;
    if (b.length === 0) continue;
    const at = Math.floor(rnd() * b.length);
    const op = rnd();
    if (op < 0.4) b[at] = Math.floor(rnd() * 256);
    else if (op < 0.6) b.fill(0xff, at, Math.min(b.length, at + 1 + Math.floor(rnd() * 8)));
    else if (op < 0.8) b.fill(0, at, Math.min(b.length, at + 1 + Math.floor(rnd() * 8)));
    else b = b.subarray(0, at);
    out[name] = b;
  }
  return out;
}

describe.each(['cgo-crash/build/libcrashy.so', 'dwarf-cases/build/inline-dwarf4', 'dwarf-cases/build/inline-dwarf5-O2'])('%s mutated', (rel) => {
  it('1,000 mutations: every failure is a DwarfError with a section and offset', async () => {
    const base = await sectionsOf(rel);
    expect(readEverything(new DwarfFile(DwarfSections.fromBuffers(base)))).toBeGreaterThan(20);
    const rnd = prng(17);
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const dwarf = new DwarfFile(DwarfSections.fromBuffers(mutated(base, rnd)));
      try {
        readEverything(dwarf);
      } catch (err) {
        if (!(err instanceof DwarfError)) throw new Error(`mutation ${i}: ${(err as Error).stack}`);
        expect(typeof err.context.section).toBe('string');
        expect(Number.isInteger(err.context.offset)).toBe(true);
        failed++;
      }
    }
    // The mutations do reach the reader: a good share of them are caught.
    expect(failed).toBeGreaterThan(100);
  });
});
