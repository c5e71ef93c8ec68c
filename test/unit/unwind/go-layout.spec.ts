import { join } from 'node:path';
import { SyncFileSource } from '../../../src/adapters/range-source.adapter';
import { GO119_AMD64, KnownGoLayouts } from '../../../src/unwind/go/go-layout';
import { goLayoutFromDwarf } from '../../../src/unwind/go/go-layout-dwarf';
import { readGoVersion } from '../../../src/unwind/go/go-version';
import { readElf } from '../../../src/elf/elf-file';
import { CORE_BUILD } from '../../support/core-fixtures';

/**
 * The runtime's g/m layout from each Go binary's own DWARF (src/dwarf) is what the
 * table of known layouts says for its version: the table is checked, not trusted,
 * and a binary without DWARF still gets the right offsets.
 */
describe.each(['crashy-exe', 'crashy-pie', 'gopanic'])('%s', (name) => {
  it('DWARF layout of runtime.g and runtime.m = the known go1.19 layout', async () => {
    const src = SyncFileSource.open(join(CORE_BUILD, name));
    try {
      const version = await readGoVersion(src, await readElf(src, name));
      expect(version).toMatch(/^go1\.19\./);
      const fromDwarf = await goLayoutFromDwarf([{ src, name }], version);
      expect(fromDwarf?.source).toBe(`DWARF types of ${name}`);
      const known = await new KnownGoLayouts().layoutFor({ goVersion: version });
      expect(known).toBe(GO119_AMD64);
      expect({ g: fromDwarf!.g, m: fromDwarf!.m }).toEqual({ g: known!.g, m: known!.m });
    } finally {
      await src.close();
    }
  });
});

it('an unknown Go version without DWARF has no layout (the caller says so)', async () => {
  expect(await new KnownGoLayouts().layoutFor({ goVersion: 'go1.99.1' })).toBeUndefined();
});
