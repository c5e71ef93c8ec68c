import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { SymbolicatePipeline, SymbolicateRequest } from '../../src/pipeline/symbolicate.pipeline';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { captured, CGO, FIXTURES, LIBCRASHMODES, LIBCRASHY, modeRun, VARIANTS } from '../support/fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * Several stored builds of one file name, all fitting the process's mappings (the
 * releases of test/fixtures/releases.sh keep the real build's PT_LOAD layout), and no
 * build-ids in the request: the crash text's own evidence picks the build it came from
 * when exactly one agrees, says which evidence decided, and says "ambiguous" (resolving
 * nothing) when the text cannot tell them apart. Never a wrong guess.
 */
const JNI = join(FIXTURES, 'jni-crash');
const REL = join(CGO, 'build', 'releases');
const JREL = join(JNI, 'build', 'releases');
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
afterAll(() => {
  resolver.close();
  pool.close();
});

async function withStore(files: string[], request: SymbolicateRequest): Promise<{ stack: UnifiedStack; ids: string[] }> {
  const s = await storeWith(files);
  try {
    return { stack: await new SymbolicatePipeline(s.store, resolver).run(request), ids: s.ids };
  } finally {
    await s.dispose();
  }
}
const moduleNamed = (stack: UnifiedStack, name: string) => stack.modules.find((m) => m.path.endsWith(`/${name}`))!;

describe.each(VARIANTS)('Go binary (%s): the real build and a release with every main.go line one lower', (v) => {
  const exe = join(CGO, 'build', `crashmodes-${v}`);
  const run = modeRun(`trap-${v}`);

  it("Go's printed frames pick the build whose .gopclntab says the same", async () => {
    const { stack, ids } = await withStore([join(REL, 'go', `crashmodes-${v}`), exe, LIBCRASHMODES], { traceback: run.stderr, maps: run.maps });
    const m = moduleNamed(stack, `crashmodes-${v}`);
    expect(stack.diagnostics.filter((d) => d.code === 'module-ambiguous')).toEqual([]);
    expect(m).toMatchObject({ status: 'found', build_id: ids[1] });
    expect(m.identified_by).toMatch(new RegExp(`evidence in the crash text picked ${ids[1]} among 2 .*Go's printed frames \\(\\d+\\) agree.*${ids[0]}: Go's printed frames disagree`));
    const go = stack.threads.flatMap((t) => t.frames).filter((f) => f.kind === 'go' && f.module?.endsWith(`crashmodes-${v}`));
    expect(go.length).toBeGreaterThan(30);
    expect(go.every((f) => f.pclntab_check === 'agrees')).toBe(true);
  });

  it('only the wrong build stored: it fits the layout, but Go printed other lines: a mismatch, said', async () => {
    const { stack } = await withStore([join(REL, 'go', `crashmodes-${v}`)], { traceback: run.stderr, maps: run.maps });
    expect(moduleNamed(stack, `crashmodes-${v}`).status).toBe('mismatch');
    const d = stack.diagnostics.find((x) => x.code === 'go-frame-mismatch')!;
    expect(d.message).toMatch(/Go frame\(s\) disagree with the \.gopclntab .*not the one that crashed/);
    const go = stack.threads.flatMap((t) => t.frames).filter((f) => f.pclntab_check);
    // Frames in main.go differ (their line moved); the runtime's agree: both are said per frame.
    expect(go.some((f) => f.pclntab_check === 'differs' && f.file?.endsWith('main.go'))).toBe(true);
    expect(go.filter((f) => f.pclntab_check === 'differs').every((f) => f.file?.endsWith('crashmodes/main.go') || f.inlined.some((i) => i.file?.endsWith('main.go')))).toBe(true);
  });
});

describe('C++ library: the real build, a rebuild with identical code (r2), a release with a store before the trap (r3)', () => {
  const run = modeRun('trap-exe');
  const top = (s: UnifiedStack) => s.threads[0].frames[0];

  it("Go's instruction bytes at the SIGILL pick the real build over r3", async () => {
    const { stack, ids } = await withStore([join(REL, 'r3', 'libcrashmodes.so'), LIBCRASHMODES], { traceback: run.stderr, maps: run.maps });
    const m = moduleNamed(stack, 'libcrashmodes.so');
    expect(m).toMatchObject({ status: 'found', build_id: ids[1] });
    expect(m.identified_by).toMatch(new RegExp(`Go's instruction bytes \\(1\\) agree; ${ids[0]}: Go's instruction bytes disagree`));
    expect(top(stack)).toMatchObject({ source: 'dwarf', build_id: ids[1], module_offset: run.truth.captured_run.module_vaddr });
  });

  it('r2 has the very same code: nothing in the text tells them apart: ambiguous, nothing resolved by guess', async () => {
    const { stack, ids } = await withStore([join(REL, 'r2', 'libcrashmodes.so'), LIBCRASHMODES], { traceback: run.stderr, maps: run.maps });
    const d = stack.diagnostics.find((x) => x.code === 'module-ambiguous')!;
    expect(d.message).toMatch(/agrees with 2 of them/);
    for (const id of ids) expect(d.message).toContain(id);
    expect(top(stack).source).toBe('unresolved');
    expect(top(stack).build_id).toBeUndefined();
  });

  it('the segv text holds no evidence about libcrashy.so: two builds stay ambiguous', async () => {
    const { stack } = await withStore([LIBCRASHY, join(REL, 'r2', 'libcrashy.so')], { traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') });
    expect(stack.diagnostics.find((x) => x.code === 'module-ambiguous')?.message).toMatch(/holds no evidence about its code/);
    expect(stack.threads[0].frames[0].source).toBe('unresolved');
  });
});

describe('JNI library (hs_err, no build-ids): the real build, r2 (identical code), r3 (jni_scale changed)', () => {
  const hsErr = readFileSync(join(JNI, 'captured', 'hs_err.log'), 'utf8');
  const LIB = join(JNI, 'build', 'libjnicrash.so');

  it("hs_err's Instructions dump picks the real build; symbols and return addresses agree with both", async () => {
    const { stack, ids } = await withStore([join(JREL, 'r3', 'libjnicrash.so'), LIB], { crash_dump: hsErr });
    const m = moduleNamed(stack, 'libjnicrash.so');
    expect(m).toMatchObject({ status: 'found', build_id: ids[1] });
    for (const e of [/hs_err Instructions dump \(\d+\)/, /hs_err symbol\+offset \(3\)/, /hs_err Problematic frame \(1\)/, /return addresses after a call \(2\)/]) expect(m.identified_by).toMatch(e);
    expect(m.identified_by).toMatch(new RegExp(`${ids[0]}: hs_err Instructions dump disagree`));
    expect(stack.threads[0].frames.filter((f) => f.module?.endsWith('libjnicrash.so')).every((f) => f.source === 'dwarf')).toBe(true);
  });

  it('r2 and the real build agree on every piece of evidence: ambiguous', async () => {
    const { stack } = await withStore([join(JREL, 'r2', 'libjnicrash.so'), LIB], { crash_dump: hsErr });
    expect(stack.diagnostics.find((x) => x.code === 'module-ambiguous')?.message).toMatch(/agrees with 2 of them/);
    // The name hs_err printed stays (source hs-err); nothing was looked up in either build.
    expect(stack.threads[0].frames[0].source).toBe('hs-err');
  });
});
