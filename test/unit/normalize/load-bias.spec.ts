import { readFileSync } from 'node:fs';
import { BufferSource } from '../../../src/adapters/range-source.adapter';
import { readElf } from '../../../src/elf/elf-file';
import { loadSegments } from '../../../src/elf/elf-types';
import { lookupAddress } from '../../../src/normalize/address-kind';
import { findMapping } from '../../../src/normalize/find-mapping';
import { layoutFit } from '../../../src/normalize/layout-fit';
import { rebase } from '../../../src/normalize/load-bias';
import { parseProcMaps } from '../../../src/parse/readers/proc-maps.parser';
import { toLines } from '../../../src/parse/text-lines';
import { captured, groundTruth, LIBCRASHY, VARIANTS } from '../../support/fixtures';

describe.each(VARIANTS)('rebasing the fixture fault PC (%s)', (variant) => {
  it('equals the module vaddr gdb measured in the live process', async () => {
    const truth = groundTruth(variant);
    const maps = parseProcMaps(toLines(captured(variant, 'maps')));
    const pc = BigInt(truth.captured_run.pc);
    const mapping = findMapping(maps, pc)!;
    expect(mapping.path).toMatch(/libcrashy\.so$/);
    const loads = loadSegments(await readElf(new BufferSource(readFileSync(LIBCRASHY))));
    const r = rebase(pc, mapping, loads);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(`0x${r.elfVaddr.toString(16)}`).toBe(truth.module_vaddr);
    // With -z separate-code the text mapping sits at file offset 0x1000: `pc - start` would be wrong.
    expect(pc - mapping.start).not.toBe(r.elfVaddr);
    expect(layoutFit(maps.filter((m) => m.path === mapping.path), loads).fits).toBe(true);
  });
});

describe('layout fit and address kinds', () => {
  it('a file whose segments do not match the mappings does not fit', async () => {
    const maps = parseProcMaps(toLines(captured('exe', 'maps')));
    const exeMaps = maps.filter((m) => m.path.endsWith('crashy-exe'));
    const libLoads = loadSegments(await readElf(new BufferSource(readFileSync(LIBCRASHY))));
    expect(layoutFit(exeMaps, libLoads).fits).toBe(false);
  });

  it('return addresses are looked up at pc-1, exact and adjusted ones as they are', () => {
    expect(lookupAddress(0x1000n, 'return')).toBe(0xfffn);
    expect(lookupAddress(0x1000n, 'exact')).toBe(0x1000n);
    expect(lookupAddress(0x1000n, 'adjusted')).toBe(0x1000n);
  });
});
