import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SymbolicatePipeline } from '../../src/pipeline/symbolicate.pipeline';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { captured, CGO, FIXTURES } from '../support/fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * Texts without a PC (a maps snapshot, hs_err `Dynamic libraries:`, a tombstone's memory
 * map, each alone) answer with their module table and a `no-pcs` diagnostic, not a 422;
 * frames in Mach-O / PE modules (hs_err on macOS or Windows) are kept as printed, with one
 * diagnostic per module. Real pipeline, real store, real llvm-symbolizer.
 */
const CORPUS = join(FIXTURES, 'corpus');
const text = (name: string) => readFileSync(join(CORPUS, `${name}.txt`), 'utf8');
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
afterAll(() => {
  resolver.close();
  pool.close();
});

async function run(paste: string, files: string[] = []) {
  const s = await storeWith(files);
  try {
    return await new SymbolicatePipeline(s.store, resolver).run({ paste });
  } finally {
    await s.dispose();
  }
}

it('a maps snapshot alone: the module table with ranges, the stored build found by its layout', async () => {
  const maps = captured('exe', 'maps');
  const stack = await run(maps, [join(CGO, 'build', 'crashy-exe')]);
  expect(stack.threads).toEqual([]);
  expect(stack.diagnostics.map((d) => d.code)).toContain('no-pcs');
  expect(stack.diagnostics.map((d) => d.code)).not.toContain('no-native-pc');
  const exe = stack.modules.find((m) => m.path.endsWith('/crashy-exe'))!;
  const lines = maps.split('\n').filter((l) => l.endsWith('/crashy-exe'));
  expect(exe).toMatchObject({ status: 'found', debug_file: 'crashy-exe' });
  expect(exe.ranges).toEqual(lines.map((l) => `0x${l.split(/[- ]/)[0].replace(/^0+/, '')}-0x${l.split(/[- ]/)[1].replace(/^0+/, '')}`));
  // Files the store does not hold are listed too, as missing.
  expect(stack.modules.find((m) => m.path.endsWith('/libc.so.6'))).toMatchObject({ status: 'missing' });
});

it("a tombstone's memory map alone (split 0000'1234 addresses, load base): module table, no 422", async () => {
  const stack = await run(text('excerpts/treble-aosp108-tombstone-memory-map-split'));
  expect(stack.threads).toEqual([]);
  expect(stack.diagnostics.find((d) => d.code === 'no-pcs')?.message).toMatch(/12 mapping\(s\) but no PCs/);
  const oat = stack.modules.find((m) => m.path === '/data/misc/apexdata/com.android.art/dalvik-cache/arm64/boot.oat')!;
  expect(oat.ranges).toEqual(['0x7060b000-0x708fc000', '0x708fc000-0x713a6000', '0x7148c000-0x7148d000']);
  const old = await run(text('excerpts/mpd543-tombstone-memory-map-load-base'));
  expect(old.modules.find((m) => m.path === '/system/framework/arm/boot.oat')?.ranges).toEqual(['0x7165f000-0x745c4000', '0x745c4000-0x76860000', '0x76860000-0x76861000']);
});

it('hs_err Dynamic libraries alone (Windows): the module table, each a PE module', async () => {
  const stack = await run(text('hs-err-macos-windows/adoptium16-windows-dynamic-libraries-alone'));
  expect(stack.threads).toEqual([]);
  expect(stack.modules).toHaveLength(15);
  expect(stack.modules[0]).toMatchObject({ status: 'missing', ranges: [expect.stringMatching(/^0x[0-9a-f]+-0x[0-9a-f]+$/)] });
  expect(stack.diagnostics.map((d) => d.code)).toContain('no-pcs');
});

it.each([
  ['hs-err-macos-windows/mtgdesktop102-macos-libobjc', 'libobjc.A.dylib', 'Mach-O'],
  ['hs-err-macos-windows/temurin1281-windows-vmthread-native-frames', 'jvm.dll', 'PE'],
])('%s: frames kept as printed, one diagnostic per non-ELF module', async (name, module, format) => {
  const stack = await run(text(name));
  const frames = stack.threads.flatMap((t) => t.frames);
  expect(frames.length).toBeGreaterThan(0);
  const about = stack.diagnostics.filter((d) => d.code === 'module-format-unsupported');
  expect(about.find((d) => d.message.includes(module))?.message).toContain(`a ${format} module`);
  // One per module, and none of the ELF "upload it" advice for them.
  expect(new Set(about.map((d) => d.message.split(':')[0])).size).toBe(about.length);
  expect(stack.diagnostics.filter((d) => d.message.includes(`upload it with: npx symbridge upload path/to/${module}`))).toEqual([]);
});
