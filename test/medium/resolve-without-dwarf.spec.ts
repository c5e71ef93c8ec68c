import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferSource } from '../../src/adapters/range-source.adapter';
import { readElf } from '../../src/elf/elf-file';
import { loadSegments } from '../../src/elf/elf-types';
import { findSymbol } from '../../src/elf/symbol-table';
import { lookupAddress } from '../../src/normalize/address-kind';
import { findMapping } from '../../src/normalize/find-mapping';
import { rebase } from '../../src/normalize/load-bias';
import { parseGoTraceback } from '../../src/parse/readers/go-traceback.parser';
import { parseProcMaps } from '../../src/parse/readers/proc-maps.parser';
import { toLines } from '../../src/parse/text-lines';
import { Demangler } from '../../src/resolve/demangler';
import { loadModuleSymbols } from '../../src/resolve/module-symbols';
import { resolveWithoutDwarf } from '../../src/resolve/symtab.resolver';
import { captured, CGO, groundTruth, LIBCRASHY, VARIANTS } from '../support/fixtures';

/**
 * Modules without DWARF, made from the real fixtures with binutils (strip/objcopy),
 * resolved in-process; the answers are checked against what gdb and the Go runtime
 * itself printed for the same code.
 */
const tmp = mkdtempSync(join(tmpdir(), 'symbridge-strip-'));
const demangler = new Demangler();
afterAll(() => {
  demangler.close();
  rmSync(tmp, { recursive: true, force: true });
});

function stripped(src: string, name: string, args: string[]): string {
  const out = join(tmp, name);
  execFileSync('objcopy', [...args, src, out]);
  return out;
}

describe('C++ library without DWARF', () => {
  const fault = BigInt(groundTruth('exe').module_vaddr);

  it('.symtab: function+offset, demangled, source symtab (gdb said checksum+46)', async () => {
    const mod = await loadModuleSymbols(stripped(LIBCRASHY, 'libcrashy.symtab.so', ['--strip-debug']));
    expect(mod.hasDwarf).toBe(false);
    const sym = await resolveWithoutDwarf(mod, fault, demangler);
    expect(sym).toMatchObject({
      function: 'storage::RecordStore::checksum(storage::Record const*)',
      linkageName: '_ZN7storage11RecordStore8checksumEPKNS_6RecordE',
      offset: 46n,
      source: 'symtab',
    });
  });

  it('.dynsym only (strip --strip-all): the exported symbol, source dynsym', async () => {
    const mod = await loadModuleSymbols(stripped(LIBCRASHY, 'libcrashy.dynsym.so', ['--strip-all']));
    expect(mod.symtab).toBeUndefined();
    const sym = await resolveWithoutDwarf(mod, fault, demangler);
    expect(sym).toMatchObject({ function: 'storage::RecordStore::checksum(storage::Record const*)', source: 'dynsym' });
  });

  it('sizes are respected: an address in the padding after a function has no symbol', async () => {
    const mod = await loadModuleSymbols(stripped(LIBCRASHY, 'libcrashy.symtab2.so', ['--strip-debug']));
    const table = mod.symtab!;
    // A sized function followed by a gap (alignment padding) before the next one.
    const i = table.findIndex((s, k) => s.size > 0n && k + 1 < table.length && table[k + 1].value > s.value + s.size);
    expect(i).toBeGreaterThanOrEqual(0);
    const sym = table[i];
    expect(findSymbol(table, sym.value + sym.size - 1n)).toBe(sym);
    expect(findSymbol(table, sym.value + sym.size)).toBeUndefined();
    expect(findSymbol(mod.symtab!, mod.symtab![0].value - 1n)).toBeUndefined();
  });
});

describe.each(VARIANTS)('stripped Go binary (%s): .gopclntab only', (variant) => {
  it('every Go frame of the real traceback resolves to the function, file and line the Go runtime printed, inlined frames too', async () => {
    const exe = join(CGO, 'build', variant === 'exe' ? 'crashy-exe' : 'crashy-pie');
    const file = stripped(exe, `${variant}.stripped`, ['--strip-all']);
    const mod = await loadModuleSymbols(file);
    expect(mod.hasDwarf).toBe(false);
    expect(mod.symtab).toBeUndefined();
    expect(mod.go?.functionCount).toBeGreaterThan(1000);
    const loads = loadSegments(await readElf(new BufferSource(readFileSync(file))));
    const maps = parseProcMaps(toLines(captured(variant, 'maps')));
    const report = parseGoTraceback(toLines(captured(variant, 'stderr')));
    let checked = 0;
    let inlinedCheck = 0;
    for (const g of report.goroutines) {
      // Go prints inlined callees (`f(...)`) above the physical frame; the parser nests them into it.
      for (const frame of g.frames) {
        if (frame.kind !== 'go') continue;
        const r = rebase(frame.pc!, findMapping(maps, frame.pc!)!, loads);
        if (!r.ok) throw new Error(r.reason);
        const sym = await resolveWithoutDwarf(mod, lookupAddress(r.elfVaddr, frame.addressKind), demangler);
        expect(sym?.source).toBe('gopclntab');
        const ours = [...sym!.inlined, sym!].map((f) => [f.function, f.file, f.line]);
        expect(ours).toEqual([...(frame.inlined ?? []), frame].map((f) => [f.function, f.file, f.line]));
        checked++;
        inlinedCheck += frame.inlined?.length ?? 0;
      }
    }
    expect(inlinedCheck).toBeGreaterThanOrEqual(2);
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});
