import { ASK_FALLBACK, FunctionKind, NO_ANSWER, NONE, SymcacheFormatError, SymcacheTables, writeSymcache } from '../../../src/symcache/symcache-format';
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
