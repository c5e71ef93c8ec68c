import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SyncFileSource } from '../../../src/adapters/range-source.adapter';
import * as C from '../../../src/dwarf/dwarf-constants';
import { DieCursor } from '../../../src/dwarf/die-cursor';
import { dieFromCursor } from '../../../src/dwarf/die';
import { DwarfFile } from '../../../src/dwarf/dwarf-file';
import { LineTable } from '../../../src/dwarf/line-program';
import { structLayout } from '../../../src/dwarf/struct-layout';
import { readElf } from '../../../src/elf/elf-file';
import { FIXTURES } from '../../support/fixtures';

/**
 * The DWARF reader against llvm-dwarfdump on every fixture with DWARF: DWARF 4 (Go,
 * zlib SHF_COMPRESSED) and 5 (gcc), 32- and 64-bit, little- and big-endian, GNU
 * .zdebug, separate debug files. Every DIE's offset and tag, every subprogram's and
 * inlined subroutine's name and ranges, every line table row.
 */
const FILES = [
  'cgo-crash/build/libcrashy.so',
  'cgo-crash/build/crashy-exe',
  'elf-cases/build/libgocase.so',
  'elf-cases/build/main-pie',
  'jni-crash/build/libjnicrash.so',
  'store-cases/build/hello.debug',
  'elf-cases/build/cross/tiny-aarch64-zlib.so',
  'elf-cases/build/cross/tiny-i686.so',
  'elf-cases/build/cross/tiny-powerpc.so',
  'elf-cases/build/cross/tiny-s390x.so',
  'elf-cases/build/cross/tiny-x86_64-zdebug.so',
  'dwarf-cases/build/inline-dwarf2',
  'dwarf-cases/build/inline-dwarf3',
  'dwarf-cases/build/inline-dwarf4',
  'dwarf-cases/build/inline-dwarf5-O2',
  'dwarf-cases/build/inline-dwarf5-gz',
  'dwarf-cases/build/inline-gc',
];

async function open(rel: string): Promise<{ dwarf: DwarfFile; close: () => void }> {
  const path = join(FIXTURES, rel);
  const src = SyncFileSource.open(path);
  const info = await readElf(src, path);
  return { dwarf: DwarfFile.open(info, src), close: () => src.closeSync() };
}

interface DumpedDie {
  offset: number;
  tag: string;
  name?: string;
  ranges: string[];
}

/** llvm-dwarfdump --debug-info: DIE offsets and tags, DW_AT_name, low/high pc and range lists. */
function dumpDies(path: string): DumpedDie[] {
  const out = execFileSync('llvm-dwarfdump', ['--debug-info', path], { maxBuffer: 1 << 30 }).toString();
  const dies: DumpedDie[] = [];
  let cur: DumpedDie | undefined;
  let low: string | undefined;
  let inRanges = false;
  for (const line of out.split('\n')) {
    const head = /^0x([0-9a-f]+):\s+(DW_TAG_\w+|NULL)/.exec(line);
    if (head) {
      inRanges = false;
      low = undefined;
      cur = head[2] === 'NULL' ? undefined : { offset: parseInt(head[1], 16), tag: head[2], ranges: [] };
      if (cur) dies.push(cur);
      continue;
    }
    if (!cur) continue;
    const attr = /^\s+(DW_AT_\w+)\s+\((.*)$/.exec(line);
    if (attr) {
      inRanges = attr[1] === 'DW_AT_ranges';
      if (attr[1] === 'DW_AT_name') cur.name = /^"(.*)"\)$/.exec(attr[2])?.[1];
      if (attr[1] === 'DW_AT_low_pc') low = attr[2].replace(/\)$/, '');
      if (attr[1] === 'DW_AT_high_pc' && low) cur.ranges.push(`${BigInt(low).toString(16)}-${BigInt(attr[2].replace(/\)$/, '')).toString(16)}`);
      continue;
    }
    const range = inRanges && /^\s+\[(0x[0-9a-f]+), (0x[0-9a-f]+)\)/.exec(line);
    if (range) cur.ranges.push(`${BigInt(range[1]).toString(16)}-${BigInt(range[2]).toString(16)}`);
  }
  return dies;
}

const TAG_NAMES = Object.fromEntries(
  Object.entries(C)
    .filter(([k]) => k.startsWith('DW_TAG_'))
    .map(([k, v]) => [v as number, k]),
);

describe.each(FILES)('%s', (rel) => {
  it('every DIE (offset, tag), and the names and code ranges of subprograms and inlined subroutines, as llvm-dwarfdump reads them', async () => {
    const { dwarf, close } = await open(rel);
    try {
      const want = dumpDies(join(FIXTURES, rel));
      const got: DumpedDie[] = [];
      for (const unit of dwarf.units()) {
        const c = new DieCursor(unit);
        while (c.next()) {
          const d = dieFromCursor(c);
          const code = d.tag === C.DW_TAG_subprogram || d.tag === C.DW_TAG_inlined_subroutine || d.tag === C.DW_TAG_compile_unit;
          got.push({
            offset: d.offset,
            tag: TAG_NAMES[d.tag] ?? '',
            name: code ? d.string(C.DW_AT_name) : undefined,
            ranges: code ? d.ranges().map((r) => `${r.low.toString(16)}-${r.high.toString(16)}`) : [],
          });
        }
      }
      expect(got.map((d) => `${d.offset.toString(16)} ${d.tag}`)).toEqual(
        // Tags we have no constant for are compared by offset only.
        want.map((d) => `${d.offset.toString(16)} ${TAG_NAMES[(C as unknown as Record<string, number>)[d.tag]] ? d.tag : ''}`),
      );
      const code = (ds: DumpedDie[]) => ds.filter((d) => /subprogram|inlined_subroutine|compile_unit/.test(d.tag)).map((d) => ({ offset: d.offset, name: d.name, ranges: d.ranges }));
      expect(code(got)).toEqual(code(want));
      expect(got.length).toBeGreaterThan(5);
    } finally {
      close();
    }
  });

  it('every line table row (address, line, column, file) as llvm-dwarfdump decodes it', async () => {
    const { dwarf, close } = await open(rel);
    try {
      const out = execFileSync('llvm-dwarfdump', ['--debug-line', join(FIXTURES, rel)], { maxBuffer: 1 << 30 }).toString();
      const want = out
        .split('\n')
        .map((l) => /^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => `${BigInt(`0x${m[1]}`).toString(16)} ${m[2]} ${m[3]} ${m[4]}`);
      const got: string[] = [];
      const seen = new Set<number>();
      for (const unit of dwarf.units()) {
        if (unit.stmtList === undefined || seen.has(unit.stmtList)) continue;
        seen.add(unit.stmtList);
        const t = LineTable.read(unit, unit.stmtList);
        for (let i = 0; i < t.rowCount; i++) got.push(`${t.addresses[i].toString(16)} ${t.lines[i]} ${t.columns[i]} ${t.files16[i]}`);
      }
      expect(got).toEqual(want);
      expect(got.length).toBeGreaterThan(5);
    } finally {
      close();
    }
  });
});

describe('streaming pass', () => {
  it.each(['cgo-crash/build/crashy-exe', 'elf-cases/build/cross/tiny-x86_64-zdebug.so', 'cgo-crash/build/libcrashy.so'])(
    '%s: streamUnits (inflating as it goes when compressed) yields the same units as random access',
    async (rel) => {
      const { dwarf, close } = await open(rel);
      try {
        const streamed: string[] = [];
        for await (const u of dwarf.streamUnits()) streamed.push(`${u.offset} ${u.header.end} ${u.name} ${u.buf.toString('base64').length}`);
        const random = [...dwarf.units()].map((u) => `${u.offset} ${u.header.end} ${u.name} ${u.buf.toString('base64').length}`);
        expect(streamed).toEqual(random);
        expect(streamed.length).toBeGreaterThan(0);
      } finally {
        close();
      }
    },
  );
});

describe('struct layouts (what a core reader needs of the Go runtime)', () => {
  it('runtime.g, m and gobuf of the cgo fixture: size and every member offset and size as gdb reads them', async () => {
    const path = join(FIXTURES, 'cgo-crash/build/crashy-exe');
    const { dwarf, close } = await open('cgo-crash/build/crashy-exe');
    try {
      for (const type of ['runtime.g', 'runtime.gobuf', 'runtime.m']) {
        const layout = structLayout(dwarf, type)!;
        expect(layout).toBeDefined();
        // gdb's own reading of the type (its Python API: ptype /o does not speak Go). gdb sizes a
        // Go func value as its function type (1 byte); in memory it is a pointer: those say "func".
        const script =
          `t = gdb.lookup_type('${type}'); print(t.sizeof); ` +
          `[print(f.name, f.bitpos // 8, 'func' if f.type.strip_typedefs().code == gdb.TYPE_CODE_FUNC else f.type.sizeof) for f in t.fields()]`;
        const gdb = execFileSync('gdb', ['-batch', '-nx', '-ex', `python ${script}`, path], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim()
          .split('\n');
        expect(layout.byteSize).toBe(Number(gdb[0]));
        expect(layout.members.map((m) => `${m.name} ${m.offset} ${m.typeName?.startsWith('func(') ? 'func' : m.byteSize}`)).toEqual(gdb.slice(1));
        expect(gdb.length).toBeGreaterThan(6);
      }
    } finally {
      close();
    }
  });
});
