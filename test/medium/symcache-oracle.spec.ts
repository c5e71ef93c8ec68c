import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Demangler } from '../../src/resolve/demangler';
import { loadModuleSymbols } from '../../src/resolve/module-symbols';
import { resolveWithoutDwarf } from '../../src/resolve/symtab.resolver';
import { demangleBatch } from '../../src/symcache/demangle-batch';
import { CANNOT_ANSWER, Symcache } from '../../src/symcache/symcache';
import { buildSymcache } from '../../src/symcache/symcache-builder';
import { CGO, FIXTURES, LIBCRASHMODES, LIBCRASHY } from '../support/fixtures';
import { boundaryAddresses, differenceClass, llvmAnswers, oracle, OracleResult, sampleAddresses } from '../support/symcache-oracle';

/**
 * Issue 17's correctness oracle on the committed fixtures (the big binaries are in
 * `npm run oracle`): llvm-symbolizer, with the worker pool's flags, against the symcache
 * built from the same file, on addresses spread over every executable section and at the
 * boundaries where answers change. No
 * difference class is allowed here: every sampled address gets the same function, file,
 * line, column and inline chain (and source) or the test fails naming the first of each class.
 */
const DWARF_CASES = join(FIXTURES, 'dwarf-cases', 'build');
const FILES: Array<[string, string, number]> = [
  ['cgo libcrashy.so', LIBCRASHY, 2000],
  ['cgo crashy-exe (Go + C, DWARF)', join(CGO, 'build', 'crashy-exe'), 3000],
  ['cgo crashy-pie', join(CGO, 'build', 'crashy-pie'), 2000],
  ['cgo libcrashmodes.so', LIBCRASHMODES, 2000],
  ['JNI libjnicrash.so', join(FIXTURES, 'jni-crash', 'build', 'libjnicrash.so'), 2000],
  ['JNI Go c-shared libgojnicrash.so', join(FIXTURES, 'jni-crash', 'build', 'libgojnicrash.so'), 3000],
  ['Go exe gocase (compressed DWARF)', join(FIXTURES, 'elf-cases', 'build', 'gocase'), 3000],
  ...['inline-dwarf2', 'inline-dwarf3', 'inline-dwarf4', 'inline-dwarf5-O2', 'inline-dwarf5-gz', 'inline-gc'].map(
    (n): [string, string, number] => [`gcc .cold + inlining (${n})`, join(DWARF_CASES, n), 2000],
  ),
];

const demangle = (names: string[]) => demangleBatch(names);
const sorted = (xs: bigint[]) => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const report = (r: OracleResult) => [...r.differences].map(([cls, d]) => `${cls}: ${d.count}, e.g. ${d.example}`);

describe('symcache vs llvm-symbolizer on the fixtures', () => {
  let total = 0;

  it.each(FILES)('%s', async (_name, path, n) => {
    const { bytes } = await buildSymcache(path, { demangle });
    const cache = Symcache.open(bytes);
    // A spread, and where answers change (symbol edges, DIE ranges, line rows, each +-1).
    const addresses = sorted([...(await sampleAddresses(path, n)), ...(await boundaryAddresses(path, n))]);
    const r = await oracle(path, cache, addresses);
    expect(report(r)).toEqual([]);
    expect(r.fallback).toBe(0); // no split DWARF here: the symcache answers everything
    expect(r.checked).toBe(addresses.length);
    expect(r.checked).toBeGreaterThanOrEqual(Math.min(n, 300));
    expect(r.inlined).toBeGreaterThan(0); // inline chains were compared, not only outermost frames
    total += r.checked;
  });

  it('checked at least 10,000 addresses in all (the 100,000 are reached with `npm run oracle`)', () => {
    expect(total).toBeGreaterThanOrEqual(10_000);
  });

  it('covers gcc .cold split functions with inline chains', async () => {
    const path = join(DWARF_CASES, 'inline-dwarf5-O2');
    const cache = Symcache.open((await buildSymcache(path, { demangle })).bytes);
    const addresses = await sampleAddresses(path, 5000);
    const names = new Set<string>();
    for (const a of addresses) {
      const s = cache.lookup(a);
      if (s && s !== CANNOT_ANSWER) names.add(s.function);
    }
    // llvm's demangler prints gcc's `.cold` clone suffix as ` (.cold)`.
    expect([...names].filter((n) => n.endsWith(' (.cold)'))).toEqual(
      expect.arrayContaining(['shapes::Ring::push(unsigned int) (.cold)', 'shapes::Ring::sum() const (.cold)', 'run(unsigned int) (.cold)']),
    );
  });
});

describe('dwz: DIEs moved to the alt file (.gnu_debugaltlink)', () => {
  // dwz-a / dwz-b (build.sh): their inlined calls of mix() and fold() have a
  // DW_AT_abstract_origin in DW_FORM_GNU_ref_alt, an offset in dwz-common.debug. llvm-symbolizer
  // 14 never reads the alt file: it looks that offset up in the file's own .debug_info, and
  // names the call after whatever DIE starts there (walk_a, for mix at 0x401150 of dwz-a), or
  // after none. The symcache cannot know which: those addresses go to the fallback.

  it.each(['dwz-a', 'dwz-b'])('%s: the same answers as llvm-symbolizer, or the fallback where a name is in the alt file', async (n) => {
    const path = join(DWARF_CASES, n);
    const cache = Symcache.open((await buildSymcache(path, { demangle })).bytes);
    const addresses = sorted([...(await sampleAddresses(path, 2000)), ...(await boundaryAddresses(path, 2000))]);
    const r = await oracle(path, cache, addresses);
    expect(report(r)).toEqual([]);
    expect(r.fallback).toBeGreaterThan(0);
    expect(r.checked).toBeGreaterThan(r.fallback);
  });

  it("llvm-symbolizer's name for an alt-file origin is the main file's DIE at that offset: the symcache does not answer", async () => {
    const path = join(DWARF_CASES, 'dwz-a');
    const [answer] = await llvmAnswers(path, [0x401150n]);
    expect(answer.Symbol?.map((s) => s.FunctionName)).toEqual(['walk_a', '', 'walk_a']); // really mix in fold in walk_a
    const cache = Symcache.open((await buildSymcache(path, { demangle })).bytes);
    expect(cache.lookup(0x401150n)).toBe(CANNOT_ANSWER);
  });
});

it('DW_FORM_strp_sup names (a supplementary file\'s .debug_str, which llvm 14 reads from the file\'s own) go to the fallback', async () => {
  // sup-strp-linkage (lies.js): inline-dwarf4 with the linkage names some inlined calls are
  // named from in DW_FORM_strp_sup. The symcache used its DW_AT_name instead (47 addresses).
  const path = join(DWARF_CASES, 'sup-strp-linkage');
  const cache = Symcache.open((await buildSymcache(path, { demangle })).bytes);
  const r = await oracle(path, cache, sorted([...(await sampleAddresses(path, 2000)), ...(await boundaryAddresses(path, 2000))]));
  expect(report(r)).toEqual([]);
  expect(r.fallback).toBeGreaterThan(0);
  expect(r.inlined).toBeGreaterThan(0);
});

describe('symcache vs the in-process resolver on files without DWARF', () => {
  const demangler = new Demangler();
  const tmp = mkdtempSync(join(tmpdir(), 'symcache-oracle-'));
  afterAll(() => {
    demangler.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  /** A Go binary without DWARF (as Go ships its tools): the cgo exe with its debug sections stripped. */
  const goStripped = () => {
    const out = join(tmp, 'crashy-exe.nodwarf');
    execFileSync('objcopy', ['--strip-debug', join(CGO, 'build', 'crashy-exe'), out]);
    return out;
  };

  it.each([
    ['Go exe without DWARF (.gopclntab, .symtab)', () => goStripped()],
    ['C exe without DWARF (.symtab)', () => join(FIXTURES, 'store-cases', 'build', 'hello.alt.stripped')],
  ])('%s', async (_name, file) => {
    const path = file();
    const mod = await loadModuleSymbols(path);
    const { bytes, stats } = await buildSymcache(path, { demangle });
    const cache = Symcache.open(bytes);
    const addresses = await sampleAddresses(path, 2000);
    let same = 0;
    const diffs: string[] = [];
    for (const a of addresses) {
      const got = cache.lookup(a);
      const want = await resolveWithoutDwarf(mod, a, demangler);
      const cls = got === CANNOT_ANSWER ? 'fallback' : differenceClass(want, got ?? undefined);
      if (cls) diffs.push(`0x${a.toString(16)} ${cls}`);
      else same++;
    }
    expect(mod.hasDwarf).toBe(false);
    expect(stats.mode).toBe('symbols');
    expect(diffs.slice(0, 5)).toEqual([]);
    expect(same).toBe(addresses.length);
  });
});
