import { join } from 'node:path';
import { loadSegments } from '../../../src/elf/elf-types';
import { lookupFor } from '../../../src/normalize/address-kind';
import { findMapping } from '../../../src/normalize/find-mapping';
import { layoutFit } from '../../../src/normalize/layout-fit';
import { rebase } from '../../../src/normalize/load-bias';
import { normalizeModuleRelative } from '../../../src/normalize/module-relative';
import { parseProcMaps } from '../../../src/parse/readers/proc-maps.parser';
import { toLines } from '../../../src/parse/text-lines';
import { CASES, caseText, caseTruth, ELF_CASES, elfOf, symbolize } from './native-fixtures.support';

/**
 * Every mapping case, each a real binary that reported its own function entry and a
 * return address and copied its /proc/self/maps (test/fixtures/elf-cases/build.sh).
 * Ground truth: nm's symbol value, the CALLSITE source line, the Go runtime's own
 * FuncForPC answer; our rebased address and llvm-symbolizer's answer must equal it.
 */
const rows = CASES.flatMap((c) => caseTruth(c).modules.map((m) => [c, m.module, m] as const));
const hex = (v: bigint) => `0x${v.toString(16)}`;

describe.each(rows)('%s: %s', (caseName, _module, truth) => {
  const maps = parseProcMaps(toLines(caseText(caseTruth(caseName).maps)));
  const file = join(ELF_CASES, truth.file);

  it('rebases the function entry and the return address to the nm / runtime vaddr', async () => {
    const info = await elfOf(file);
    const loads = loadSegments(info);
    const funcPc = BigInt(truth.func_pc);
    const retPc = BigInt(truth.ret_pc);
    const mapping = findMapping(maps, funcPc)!;
    expect(mapping.path.endsWith(`/${truth.file.split('/').pop()}`)).toBe(true);

    const f = rebase(funcPc, mapping, loads);
    const r = rebase(retPc, findMapping(maps, retPc)!, loads);
    expect(f.ok && hex(f.elfVaddr)).toBe(truth.func_vaddr);
    expect(r.ok && hex(r.elfVaddr)).toBe(truth.ret_vaddr);
    if (f.ok) expect(hex(f.loadBias)).toBe(truth.load_bias);

    // The file's layout fits its own mappings, at the same bias.
    const fit = layoutFit(maps.filter((m) => m.path === mapping.path), loads);
    expect(fit).toEqual({ fits: true, loadBias: BigInt(truth.load_bias) });
  });

  it('llvm-symbolizer at the looked-up addresses gives the function and the call-site line', async () => {
    const info = await elfOf(file);
    const loads = loadSegments(info);
    const retPc = BigInt(truth.ret_pc);
    const r = rebase(retPc, findMapping(maps, retPc)!, loads);
    if (!r.ok) throw new Error(r.reason);
    const entry = lookupFor(BigInt(truth.func_vaddr), 'exact');
    const ret = lookupFor(r.elfVaddr, 'return');
    expect(entry.subtractedOne).toBe(false);
    expect(ret).toEqual({ lookupAddress: BigInt(truth.ret_vaddr) - 1n, subtractedOne: true });
    const [atEntry, atCall] = symbolize(file, [entry.lookupAddress, ret.lookupAddress]);
    expect(atEntry.Symbol[0].FunctionName).toBe(truth.symbol);
    expect(atCall.Symbol[0].FunctionName).toBe(truth.symbol);
    expect(atCall.Symbol[0].Line).toBe(truth.callsite.line);
    // ... and what the build recorded with the same tool.
    expect(atCall.Symbol[0]).toMatchObject({
      FunctionName: truth.llvm_symbolizer_ret_minus_1[0].Symbol[0].FunctionName,
      Line: truth.llvm_symbolizer_ret_minus_1[0].Symbol[0].Line,
    });
    // Go's own runtime (FuncForPC(ret-1)) named the same function and line.
    if (truth.go_runtime) {
      expect(truth.go_runtime).toContain(truth.symbol);
      expect(truth.go_runtime).toMatch(new RegExp(`[ :]${truth.callsite.line}$`));
    }
  });

  if (truth.dladdr_relative) {
    it('the module-relative offset dladdr gives (what hs_err prints) normalizes to the same vaddr', async () => {
      const loads = loadSegments(await elfOf(file));
      const r = normalizeModuleRelative(BigInt(truth.dladdr_relative!), 'load-base', loads);
      expect(r.ok && hex(r.elfVaddr)).toBe(truth.func_vaddr);
    });
  }
});

describe('the cases differ where a naive rule would be wrong', () => {
  const pick = (c: string, m: string) => caseTruth(c).modules.find((x) => x.module === m)!;

  it('non-PIE ET_EXEC has load bias 0; PIE and the libraries do not', async () => {
    expect(pick('exe', 'main').load_bias).toBe('0x0');
    expect((await elfOf(join(ELF_CASES, 'build/main-exe'))).header.typeName).toBe('EXEC');
    expect((await elfOf(join(ELF_CASES, 'build/main-pie'))).header.typeName).toBe('DYN');
    expect((await elfOf(join(ELF_CASES, 'build/gocase'))).header.typeName).toBe('EXEC');
    expect(pick('pie', 'main').load_bias).not.toBe('0x0');
    expect(pick('golib', 'libgocase.so').load_bias).not.toBe('0x0');
  });

  it('-z separate-code: r-xp at a nonzero file offset, so pc - start is not the vaddr', () => {
    const t = pick('pie', 'libsep.so');
    const maps = parseProcMaps(toLines(caseText('captured/pie.maps.txt'))).filter((m) => m.path.endsWith('/libsep.so'));
    expect(maps.map((m) => m.perms)).toEqual(['r--p', 'r-xp', 'r--p', 'r--p', 'rw-p']);
    const text = findMapping(maps, BigInt(t.func_pc))!;
    expect(text.offset).toBe(0x1000n);
    expect(hex(BigInt(t.func_pc) - text.start)).not.toBe(t.func_vaddr);
  });

  it('nonzero first p_vaddr: vaddr = pc - bias, not pc - first mapping; hs_err-style offsets are from the first page', async () => {
    const t = pick('pie', 'libbase.so');
    const loads = loadSegments(await elfOf(join(ELF_CASES, 'build/libbase.so')));
    expect(loads[0].vaddr).toBe(0x200000n);
    expect(BigInt(t.func_vaddr)).toBe(BigInt(t.func_pc) - BigInt(t.load_bias));
    expect(BigInt(t.dladdr_relative!)).not.toBe(BigInt(t.func_vaddr));
    // A tombstone's ELF-relative pc is the vaddr itself: the two bases must not be confused.
    const asTombstone = normalizeModuleRelative(BigInt(t.dladdr_relative!), 'elf-vaddr', loads);
    expect(asTombstone.ok).toBe(false);
    const rel = normalizeModuleRelative(BigInt(t.func_vaddr), 'elf-vaddr', loads);
    expect(rel.ok && hex(rel.elfVaddr)).toBe(t.func_vaddr);
  });
});
