import { ASK_FALLBACK, BLOCK_BYTES, FunctionKind, NO_ANSWER, NONE, SymcacheFormatError, SymcacheTables, writeSymcache } from '../../../src/symcache/symcache-format';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANNOT_ANSWER, Symcache } from '../../../src/symcache/symcache';

/**
 * The symcache file on its own: what is written is read back (ranges, inline chains,
 * "nothing here" and "ask the fallback"), and a file that lies is refused: damaged
 * bytes and another version at open, a caller chain that does not end at lookup.
 */
const strings = ['', 'outer', 'inner', 'a.c'];
function tables(parentOfInner = 0): SymcacheTables {
  return {
    flags: 1,
    base: 0x1000n,
    span: 0x300,
    rangeStarts: Uint32Array.from([0, 0x100, 0x200, 0x280]),
    rangeLocs: Uint32Array.from([0, 1, NO_ANSWER, ASK_FALLBACK]),
    // location 0: outer a.c:10; location 1: inner a.c:20, inlined into location 0
    locations: Uint32Array.from([0, 0, 10, NONE, 1, 0, 20, parentOfInner]),
    columns: Uint16Array.from([3, 7]),
    functions: Uint32Array.from([1, NONE, 0, FunctionKind.Llvm, 2, NONE, 0, FunctionKind.Llvm]),
    files: Uint32Array.from([3]),
    strings,
  };
}

it('reads back what was written', () => {
  const c = Symcache.open(writeSymcache(tables()));
  expect(c.lookup(0x1010n)).toEqual({ function: 'outer', file: 'a.c', line: 10, column: 3, inlined: [], source: 'dwarf' });
  expect(c.lookup(0x11ffn)).toEqual({
    function: 'outer',
    file: 'a.c',
    line: 10,
    column: 3,
    inlined: [{ function: 'inner', file: 'a.c', line: 20, column: 7 }],
    source: 'dwarf',
  });
  expect(c.lookup(0x1200n)).toBeNull();
  expect(c.lookup(0x1280n)).toBe(CANNOT_ANSWER);
  expect(c.lookup(0xfffn)).toBe(CANNOT_ANSWER); // below the base
  expect(c.lookup(0x1300n)).toBe(CANNOT_ANSWER); // past the span
});

it('refuses damaged bytes and another version at open', () => {
  const good = writeSymcache(tables());
  const damaged = Buffer.from(good);
  damaged[damaged.length - 5] ^= 0xff;
  expect(() => Symcache.open(damaged)).toThrow(/checksum mismatch/);
  const other = Buffer.from(good);
  other.writeUInt32LE(99, 8);
  expect(() => Symcache.open(other)).toThrow(/version 99/);
  expect(() => Symcache.open(Buffer.from('not a symcache at all, not at all, no'))).toThrow(/bad magic/);
});

it('a caller chain that does not end is refused when a lookup reads it', () => {
  // location 1's caller is itself: written with a valid checksum, so only the lookup can tell.
  const c = Symcache.open(writeSymcache(tables(1)));
  expect(c.lookup(0x1010n)).toMatchObject({ function: 'outer' }); // the good location still answers
  expect(() => c.lookup(0x1100n)).toThrow(SymcacheFormatError);
  expect(() => c.lookup(0x1100n)).toThrow(/caller that does not come before it/);
});

it('reads non-ASCII names and paths back (the string table is then decoded per string, as UTF-8)', () => {
  const t = tables();
  t.strings = ['', 'outer', 'Größe::naïve', 'src/日本/a.c'];
  const c = Symcache.open(writeSymcache(t));
  expect(c.lookup(0x11ffn)).toEqual({
    function: 'outer',
    file: 'src/日本/a.c',
    line: 10,
    column: 3,
    inlined: [{ function: 'Größe::naïve', file: 'src/日本/a.c', line: 20, column: 7 }],
    source: 'dwarf',
  });
});

it('answers at a base past 2^53 (kernel-like addresses: BigInt arithmetic, not doubles)', () => {
  const t = tables();
  t.base = 0xffffffff81000000n;
  const c = Symcache.open(writeSymcache(t));
  expect(c.lookup(0xffffffff81000010n)).toMatchObject({ function: 'outer', line: 10 });
  expect(c.lookup(0xffffffff810001ffn)).toMatchObject({ function: 'outer', inlined: [{ function: 'inner' }] });
  expect(c.lookup(0xffffffff80ffffffn)).toBe(CANNOT_ANSWER); // just below the base
  expect(c.lookup(0xffffffff81000300n)).toBe(CANNOT_ANSWER); // past the span
  expect(c.lookup(0x1010n)).toBe(CANNOT_ANSWER);
});

/** A file of several 1 MiB blocks: many ranges over a wide span, each with its own long name. */
function manyBlocks(): SymcacheTables {
  const n = 40_000;
  const strings = [''];
  for (let i = 0; i < n; i++) strings.push(`ns::Function${i}<${'T'.repeat(60)}>(int)`);
  const functions = new Uint32Array(4 * n);
  const locations = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++) {
    functions.set([i + 1, NONE, i * 0x40, FunctionKind.Llvm], 4 * i);
    locations.set([i, 0, i + 1, i > 0 && i % 3 === 0 ? i - 1 : NONE], 4 * i); // every third inlined into the one before
  }
  strings.push('big.c');
  return {
    flags: 1,
    base: 0x400000n,
    span: n * 0x40,
    rangeStarts: Uint32Array.from({ length: n }, (_, i) => i * 0x40),
    rangeLocs: Uint32Array.from({ length: n }, (_, i) => i),
    locations,
    columns: new Uint16Array(n),
    functions,
    files: Uint32Array.from([strings.length - 1]),
    strings,
  };
}

describe('Symcache.load (parallel block reads, each block checked as it arrives)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'symcache-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const good = writeSymcache(manyBlocks());
  const put = (name: string, b: Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, b);
    return p;
  };

  it('reads a file of several blocks and answers as open() does', async () => {
    expect(good.length).toBeGreaterThan(3 * BLOCK_BYTES);
    const c = await Symcache.load(put('good.symcache', good));
    const o = Symcache.open(good);
    for (const i of [0, 1, 2, 3, 12_345, 39_999]) {
      const a = 0x400000n + BigInt(i * 0x40 + 7);
      expect(c.lookup(a)).toEqual(o.lookup(a));
      expect(c.lookup(a)).toMatchObject({ function: i % 3 === 0 && i > 0 ? `ns::Function${i - 1}<${'T'.repeat(60)}>(int)` : `ns::Function${i}<${'T'.repeat(60)}>(int)`, line: i % 3 === 0 && i > 0 ? i : i + 1, file: 'big.c' });
    }
  });

  it('names the damaged block, and refuses a damaged header, sum or truncated file', async () => {
    const inBlock2 = Buffer.from(good);
    inBlock2[96 + 2 * BLOCK_BYTES + 100] ^= 0x01;
    await expect(Symcache.load(put('block2.symcache', inBlock2))).rejects.toThrow(/checksum mismatch \(block 2 of \d+ is damaged\)/);
    expect(() => Symcache.open(inBlock2)).toThrow(/block 2 of/);
    const sum = Buffer.from(good);
    sum[sum.length - 1] ^= 0x80; // the last block's sum
    await expect(Symcache.load(put('sum.symcache', sum))).rejects.toThrow(/header or its block sums are damaged/);
    const header = Buffer.from(good);
    header[12] ^= 0x02; // flags
    await expect(Symcache.load(put('header.symcache', header))).rejects.toThrow(/header or its block sums are damaged/);
    await expect(Symcache.load(put('short.symcache', good.subarray(0, good.length - 4)))).rejects.toThrow(/bytes, its header says/);
    await expect(Symcache.load(put('tiny.symcache', Buffer.from('SBSYMC')))).rejects.toThrow(/bad magic/);
  });
});

it('an index past its table (in a file whose sums are right) is refused by the lookup that reads it, not walked at open', () => {
  const t = tables();
  t.functions = Uint32Array.from([1, NONE, 0, FunctionKind.Llvm, 99, NONE, 0, FunctionKind.Llvm]); // inner's name: string 99 of 4
  const c = Symcache.open(writeSymcache(t));
  expect(c.lookup(0x1010n)).toMatchObject({ function: 'outer' });
  expect(() => c.lookup(0x11ffn)).toThrow(/symcache string 99 lies outside the string table/);
});
