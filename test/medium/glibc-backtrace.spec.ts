import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SymbolicatePipeline } from '../../src/pipeline/symbolicate.pipeline';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { FIXTURES } from '../support/fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * glibc's backtrace_symbols prints `lib.so(+0x..)` relative to the link map's l_addr, the
 * load bias: an ELF vaddr, not `pc - start of the file's first mapping`. The fixture's
 * libbt.so is linked at vaddr 0x200000 and loaded elsewhere (test/fixtures/glibc-backtrace),
 * so the two readings differ by 0x200000; its real output and maps are pasted and the
 * frames must resolve to what nm / llvm-symbolizer say (captured/truth.txt).
 */
const DIR = join(FIXTURES, 'glibc-backtrace');
const backtrace = readFileSync(join(DIR, 'captured', 'bt.backtrace.txt'), 'utf8');
const maps = readFileSync(join(DIR, 'captured', 'bt.maps.txt'), 'utf8');
const truth = Object.fromEntries(
  readFileSync(join(DIR, 'captured', 'truth.txt'), 'utf8')
    .split('\n')
    .filter((l) => /^(?:hidden_walk|bt_entry|walk_line|entry_line) /.test(l))
    .map((l) => l.split(' ') as [string, string]),
);
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
afterAll(() => {
  resolver.close();
  pool.close();
});

it('(+0x..) is an ELF vaddr: the static function and the exported one resolve to their call sites', async () => {
  const s = await storeWith([join(DIR, 'build', 'libbt.so'), join(DIR, 'build', 'bt')]);
  try {
    const stack = await new SymbolicatePipeline(s.store, resolver).run({ paste: `${backtrace}${maps}` });
    const frames = stack.threads[0].frames;
    expect(frames).toHaveLength(6);
    // Line 1: `./build/libbt.so(+0x201139)[0x7f..]`, inside the static hidden_walk (not in .dynsym).
    const off = BigInt(/libbt\.so\(\+(0x[0-9a-f]+)\)/.exec(backtrace)![1]);
    expect(off).toBeGreaterThan(BigInt(`0x${truth.hidden_walk}`));
    expect(frames[0]).toMatchObject({ function: 'hidden_walk', line: Number(truth.walk_line), module: expect.stringMatching(/\/libbt\.so$/) });
    expect(frames[0].file).toMatch(/libbt\.c$/);
    // Line 2: `libbt.so(bt_entry+0x9)[0x7f..]`, placed by its absolute pc through the maps.
    expect(frames[1]).toMatchObject({ function: 'bt_entry', line: Number(truth.entry_line) });
    expect(stack.modules.find((m) => m.path.endsWith('/libbt.so'))).toMatchObject({ status: 'found' });
  } finally {
    await s.dispose();
  }
});
