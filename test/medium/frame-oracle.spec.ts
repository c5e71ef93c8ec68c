import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { SymbolicatePipeline, SymbolicateRequest } from '../../src/pipeline/symbolicate.pipeline';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { captured, CGO, FIXTURES, LIBCRASHMODES, LIBCRASHY, MODE_RUNS, modeRun, VARIANTS } from '../support/fixtures';
import { checkEveryFrame, OracleCount } from '../support/oracle';
import { storeWith } from '../unit/normalize/store.support';

/**
 * The bar, as an oracle over every frame (not a few hand-picked ones): with every
 * module uploaded, each frame object of the result that has a pc resolves to the function,
 * file, line, column and inline chain llvm-symbolizer gives at the address the oracle
 * rebases it to on its own (maps + readelf, nm + Go's offset, hs_err's lib+offset), and
 * each Go frame also reads as Go printed it and agrees with its build's .gopclntab.
 * Fixtures: the cgo segv (exe, PIE), the crash modes (trap, abort, throw, free; with and
 * without the cgo traceback walker; exe, PIE), the JNI hs_err, and the Go c-shared library
 * in a JVM (its hs_err alone, and with the Go traceback of another run of it).
 */
const JNI = join(FIXTURES, 'jni-crash');
const FILES: Record<string, string> = {
  'libcrashy.so': LIBCRASHY,
  'crashy-exe': join(CGO, 'build', 'crashy-exe'),
  'crashy-pie': join(CGO, 'build', 'crashy-pie'),
  'libcrashmodes.so': LIBCRASHMODES,
  'crashmodes-exe': join(CGO, 'build', 'crashmodes-exe'),
  'crashmodes-pie': join(CGO, 'build', 'crashmodes-pie'),
  'libjnicrash.so': join(JNI, 'build', 'libjnicrash.so'),
  'libgojnicrash.so': join(JNI, 'build', 'libgojnicrash.so'),
};

const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
let pipeline: SymbolicatePipeline;
let dispose: () => Promise<void>;
beforeAll(async () => {
  const s = await storeWith(Object.values(FILES));
  pipeline = new SymbolicatePipeline(s.store, resolver);
  dispose = s.dispose;
});
afterAll(async () => {
  await dispose?.();
  resolver.close();
  pool.close();
});

async function run(request: SymbolicateRequest): Promise<UnifiedStack> {
  return pipeline.run(request);
}
const text = (r: SymbolicateRequest) => [r.traceback, r.maps, r.crash_dump, r.paste].filter((x) => x).join('\n');

const cases: Array<[string, () => SymbolicateRequest, (c: OracleCount, s: UnifiedStack) => void]> = [
  ...VARIANTS.map((v): (typeof cases)[number] => [
    `cgo segv (${v})`,
    () => ({ traceback: captured(v, 'stderr'), maps: captured(v, 'maps') }),
    (c) => {
      expect(c.checked).toBeGreaterThanOrEqual(30);
      expect(c.inlined).toBeGreaterThanOrEqual(6); // libcrashy's chain and Go's goparkunlock & co.
    },
  ]),
  ...MODE_RUNS.map((name): (typeof cases)[number] => [
    `crash mode ${name}`,
    () => ({ traceback: modeRun(name).stderr, maps: modeRun(name).maps }),
    (c, s) => {
      expect(c.checked).toBeGreaterThanOrEqual(40);
      const walker = modeRun(name).truth.captured_run.walker_frames;
      // The walker's C frames in libcrashmodes.so are checked like the rest; libc's are placed, not uploaded.
      const top = s.threads[0].frames[0];
      if (modeRun(name).truth.captured_run.module === 'libc.so.6') expect(c.notUploaded).toBeGreaterThanOrEqual(1);
      else expect(top.source).toBe('dwarf');
      expect(s.threads[0].frames.filter((f) => f.kind === 'native').length).toBe(Math.max(1, walker.length));
    },
  ]),
  [
    'JNI hs_err',
    () => ({ crash_dump: readFileSync(join(JNI, 'captured', 'hs_err.log'), 'utf8') }),
    (c) => expect(c.checked).toBeGreaterThanOrEqual(3),
  ],
  [
    'Go c-shared library in a JVM: hs_err alone',
    () => ({ crash_dump: readFileSync(join(JNI, 'captured', 'go-hs_err.log'), 'utf8') }),
    (c) => expect(c.checked).toBeGreaterThanOrEqual(1),
  ],
  [
    'Go c-shared library in a JVM: Go traceback + hs_err of another run',
    () => ({ traceback: readFileSync(join(JNI, 'captured', 'go-jsig.stderr.txt'), 'utf8'), crash_dump: readFileSync(join(JNI, 'captured', 'go-hs_err.log'), 'utf8') }),
    (c, s) => {
      // The Go pcs are in no mapping of the hs_err's maps: placed by name + offset, every one.
      expect(c.checked).toBeGreaterThanOrEqual(15);
      expect(s.diagnostics.some((d) => d.code === 'go-placed-by-name')).toBe(true);
    },
  ],
];

describe.each(cases)('%s', (_name, request, extra) => {
  it('every frame with a pc in an uploaded module resolves as llvm-symbolizer and Go say', async () => {
    const r = request();
    const stack = await run(r);
    const count = checkEveryFrame(stack, FILES, text(r));
    // No frame with a pc in an uploaded module was left out of the oracle unplaced.
    const unplaced = stack.threads.flatMap((t) => t.frames).filter((f) => f.pc && f.module && FILES[f.module.replace(/^.*\//, '')] && !f.module_offset);
    expect(unplaced).toEqual([]);
    extra(count, stack);
  });
});
