import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { CorePipeline } from '../../src/pipeline/core.pipeline';
import { SymbolicatePipeline } from '../../src/pipeline/symbolicate.pipeline';
import { renderText } from '../../src/render/text.renderer';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { coreModuleFiles, corePath } from '../support/core-fixtures';
import { captured, CGO, LIBCRASHY, VARIANTS } from '../support/fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * The text rendering shows Go's inlined frames as Go prints them: the callee's
 * `pkg.f(...)` line and its tab-indented file:line, innermost first, right above the
 * physical frame that owns the pc; whether Go's own text named them or DWARF did (a core).
 */
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
afterAll(() => {
  resolver.close();
  pool.close();
});

/** Index of `seq` as consecutive lines of `lines`, or -1. */
function findRun(lines: string[], seq: string[]): number {
  for (let i = 0; i + seq.length <= lines.length; i++) if (seq.every((s, k) => lines[i + k] === s)) return i;
  return -1;
}

describe.each(VARIANTS)('a Go traceback with inlined calls (cgo %s)', (variant) => {
  let stack: UnifiedStack;
  beforeAll(async () => {
    const s = await storeWith([LIBCRASHY, join(CGO, 'build', `crashy-${variant}`)]);
    try {
      stack = await new SymbolicatePipeline(s.store, resolver).run({ traceback: captured(variant, 'stderr'), maps: captured(variant, 'maps') });
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it("every `f(...)` + file:line Go printed reappears as Go printed it, above its physical frame", () => {
    const input = captured(variant, 'stderr').split('\n');
    const out = renderText(stack).split('\n');
    let seen = 0;
    for (let i = 0; i + 3 < input.length; i++) {
      if (!/^\S+\(\.\.\.\)$/.test(input[i])) continue;
      // Go's lines: the inlined call, its file:line (no pc: it has none), the physical frame, its file:line +off pc=.
      const physicalWhere = input[i + 3].trim().split(' ')[0];
      const at = findRun(out, [input[i], input[i + 1], input[i + 2]]);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(out[at + 3].startsWith(`\t${physicalWhere} `)).toBe(true);
      expect(out[at + 3]).toBe(input[i + 3]); // the physical frame's file line exactly as printed (+0x.. fp= sp= pc=)
      seen++;
    }
    expect(seen).toBeGreaterThanOrEqual(4);
    // The JSON model under it: the inlined call nested in the physical frame that owns the pc.
    const physical = stack.threads.flatMap((t) => t.frames).filter((f) => f.kind === 'go' && f.inlined.length > 0);
    expect(physical.length).toBe(seen);
    for (const f of physical) expect(f.pc).toMatch(/^0x[0-9a-f]+$/);
  });
});

describe('a core: Go frames whose inline chain comes from DWARF', () => {
  it('render their inlined callees as Go prints them, innermost first, above the physical frame', async () => {
    const s = await storeWith(coreModuleFiles());
    let stack: UnifiedStack;
    try {
      stack = await new CorePipeline(s.store, resolver).run({ corePath: corePath('go-exe-kernel'), coreName: 'go-exe-kernel.core' });
    } finally {
      await s.dispose();
    }
    const out = renderText(stack).split('\n');
    const withInlined = stack.threads.flatMap((t) => t.frames).filter((f) => f.kind === 'go' && f.source !== 'go-traceback' && f.inlined.length > 0);
    expect(withInlined.length).toBeGreaterThan(0);
    for (const f of withInlined) {
      const goLines = f.inlined.flatMap((i) => [`${i.function}(...)`, `\t${i.file}:${i.line}`]);
      // The physical frame in Go's two-line shape: `function(args)`, then `\tfile:line ...`.
      const physical = out.flatMap((l, i) => (l === `${f.function}${f.args ?? ''}` && out[i + 1]?.startsWith(`\t${f.file}:${f.line}`) ? [i] : []));
      expect(physical.length).toBeGreaterThan(0);
      // Some occurrence of the physical frame has exactly Go's inlined lines right above it.
      const above = physical.filter((i) => i >= goLines.length).map((i) => out.slice(i - goLines.length, i));
      expect(above).toContainEqual(goLines);
    }
    expect(out.some((l) => /\[inlined\]/.test(l) && /^ +runtime\./.test(l))).toBe(false);
  }, 60_000);
});
