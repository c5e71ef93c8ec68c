import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SymbolicatePipeline } from '../../src/pipeline/symbolicate.pipeline';
import { renderCrashPage } from '../../src/render/html.renderer';
import { renderText } from '../../src/render/text.renderer';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { captured, CGO, FIXTURES, groundTruth, LIBCRASHMODES, LIBCRASHY, modeRun } from '../support/fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * The text rendering of real fixture crashes, line by line: Go's own lines exactly as the
 * input printed them (file:line +0x.. fp= sp= pc=, created by, the signal lines, each M's
 * SIGQUIT block), the native frames filled in in Go's two-line shape with llvm-symbolizer's
 * answers (ground truth captured beside the fixture), inlined callees as `f(...)` +
 * `\tfile:line`, and one line where the text is known to lack frames.
 */
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
let pipeline: SymbolicatePipeline;
let dispose: () => Promise<void>;
beforeAll(async () => {
  const files = [LIBCRASHY, join(CGO, 'build', 'crashy-pie'), LIBCRASHMODES, join(CGO, 'build', 'crashmodes-pie')];
  const s = await storeWith(files);
  pipeline = new SymbolicatePipeline(s.store, resolver);
  dispose = s.dispose;
}, 60_000);
afterAll(async () => {
  await dispose?.();
  resolver.close();
  pool.close();
});

const render = async (traceback: string, maps: string) => renderText(await pipeline.run({ traceback, maps }));
const inputLines = (text: string) => text.split('\n').map((l) => l.replace(/\s+$/, ''));

/** The input's lines of one goroutine block (header to the blank line), as printed. */
function block(text: string, header: string): string[] {
  const lines = inputLines(text);
  const at = lines.indexOf(header);
  expect(at).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', at);
  return lines.slice(at, end < 0 ? undefined : end);
}

describe('the cgo segv (PIE), no cgo traceback walker', () => {
  let out: string[];
  const stderr = captured('pie', 'stderr');
  beforeAll(async () => {
    out = inputLines(await render(stderr, captured('pie', 'maps')));
  });

  it('opens with the head and the [signal ..] line as Go printed them', () => {
    const input = inputLines(stderr);
    expect(out[0]).toBe('fatal error: unexpected signal during runtime execution');
    expect(out[1]).toBe(input.find((l) => l.startsWith('[signal ')));
    expect(out[1]).toMatch(/^\[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x[0-9a-f]+\]$/);
  });

  it('fills in the native frames in Go\'s shape: inlined f(...) + \\tfile:line, then the function, file:line, module+offset, pc', () => {
    const truth = groundTruth('pie');
    const chain = truth.llvm_symbolizer[0].Symbol; // innermost first, the physical function last
    const at = out.indexOf('goroutine 1 [syscall]:');
    expect(at).toBeGreaterThan(1);
    let i = at + 1;
    for (const inl of chain.slice(0, -1)) {
      expect(out[i++]).toBe(`${inl.FunctionName}(...)`);
      expect(out[i++]).toBe(`\t${inl.FileName}:${inl.Line}:${inl.Column}`);
    }
    const phys = chain[chain.length - 1];
    expect(out[i++]).toBe(phys.FunctionName);
    expect(out[i++]).toBe(`\t${phys.FileName}:${phys.Line}:${phys.Column} libcrashy.so+${truth.module_vaddr} pc=${truth.captured_run.pc} [native, dwarf]`);
    // Go printed nothing between the fault and runtime.cgocall: said once, right there.
    expect(out[i++]).toMatch(/^\t\.\.\. Go prints no frames between the C fault and runtime\.cgocall/);
    // Then goroutine 1 exactly as Go printed it (header aside).
    const goLines = block(stderr, 'goroutine 1 [syscall]:').slice(1);
    expect(out.slice(i, i + goLines.length)).toEqual(goLines);
    expect(goLines[1]).toMatch(/ \+0x[0-9a-f]+ fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+$/);
  });

  it('keeps every other goroutine as printed: inlined goparkunlock(...), created by, the runtime stack', () => {
    for (const header of ['goroutine 2 [force gc (idle)]:', 'goroutine 3 [GC sweep wait]:', 'runtime stack:']) {
      const printed = block(stderr, header);
      const at = out.indexOf(header);
      expect(out.slice(at, at + printed.length)).toEqual(printed);
    }
    expect(out).toContain('created by runtime.init.6');
    expect(out[out.indexOf('created by runtime.init.6') + 1]).toBe('\truntime/proc.go:290 +0x25');
    expect(out).toContain('runtime.goparkunlock(...)');
    const headers = inputLines(stderr).filter((l) => /^goroutine \d+ .*:$/.test(l));
    expect(headers.length).toBeGreaterThan(5);
    expect(out.filter((l) => /^goroutine \d+ .*:$/.test(l)).sort()).toEqual(headers.sort());
  });

  it('the only frame lines not in the input are the filled-in native ones and the gap note', () => {
    const input = new Set(inputLines(stderr));
    const goroutines = out.slice(2, out.indexOf('diagnostics:'));
    const added = goroutines.filter((l) => l !== '' && !input.has(l));
    expect(added.length).toBeLessThanOrEqual(groundTruth('pie').llvm_symbolizer[0].Symbol.length * 2 + 1);
  });
});

describe('the crash modes (GOTRACEBACK=crash, PIE)', () => {
  it('abort with the frame-pointer walker: the walk broken after libc\'s frameless leaf is said at that spot', async () => {
    const run = modeRun('abort-tb-pie');
    const out = inputLines(await render(run.stderr, run.maps));
    const input = inputLines(run.stderr);
    expect(out.slice(0, 3)).toEqual(input.slice(0, 3)); // SIGABRT: abort / PC=.. m=3 sigcode=.. / signal arrived during cgo execution
    const at = out.indexOf('goroutine 1 [syscall]:');
    expect(out[at + 1]).toBe(`non-Go function at pc=${run.truth.captured_run.pc}`);
    expect(out[at + 2]).toMatch(new RegExp(`^\\tlibc\\.so\\.6 \\(file offset ${run.truth.captured_run.module_vaddr}\\) pc=${run.truth.captured_run.pc} \\[native, unresolved: no uploaded file named libc\\.so\\.6\\]$`));
    expect(out[at + 3]).toMatch(/^\t\.\.\. the walker lost the chain after this frame: the next pc 0x[0-9a-f]+ is not code \(libc\.so\.6 keeps no frame pointers\)/);
    expect(out[at + 4]).toBe(input[input.indexOf('goroutine 1 [syscall]:') + 2]); // the walker's second pc, kept as printed
  });

  it('trap with the walker: every walker frame filled in, no gap note (its chain is gdb\'s), each M\'s SIGQUIT block as printed', async () => {
    const run = modeRun('trap-tb-pie');
    const out = inputLines(await render(run.stderr, run.maps));
    const input = inputLines(run.stderr);
    expect(out.slice(0, 4)).toEqual(input.slice(0, 4)); // SIGILL / PC= / cgo / instruction bytes
    const at = out.indexOf('goroutine 1 [syscall]:');
    const cgocall = out.findIndex((l, i) => i > at && l.startsWith('runtime.cgocall('));
    const native = out.slice(at + 1, cgocall);
    expect(native.some((l) => l.startsWith('\t...'))).toBe(false);
    // The walker's frames as gdb named them, in order (inlined ones as f(...)).
    const names = native.filter((l) => !l.startsWith('\t')).map((l) => l.replace(/\(\.\.\.\)$/, ''));
    const gdb = run.truth.gdb.frames.filter((f) => f.module === 'libcrashmodes.so').map((f) => f.function);
    for (const g of gdb) expect(names.some((n) => n.startsWith(g!))).toBe(true);
    for (const l of native.filter((x) => x.startsWith('\t'))) expect(l).toMatch(/^\t\/src\/cgo-crash\/libcrashmodes\/crashmodes\.cpp:\d+(:\d+)?( \S+\+0x[0-9a-f]+ pc=0x[0-9a-f]+ \[native, dwarf\])?$|^\t\S+ .*\[native, /);
    // `-----`, `SIGQUIT: quit`, `PC=.. m=N sigcode=0`, then the M's g0 as `goroutine 0 [idle]:` and its frames as printed.
    const q = input.indexOf('SIGQUIT: quit');
    const o = out.indexOf('SIGQUIT: quit');
    expect(out[o - 2]).toBe('-----');
    expect(out[o + 1]).toBe(input[q + 1]);
    const g0 = block(run.stderr.split('\n').slice(q).join('\n'), 'goroutine 0 [idle]:');
    const og0 = out.indexOf('goroutine 0 [idle]:', o);
    expect(out.slice(og0, og0 + g0.length)).toEqual(g0);
  });
});

describe('nested and recovered panics (go-forms, Go 1.19)', () => {
  it.each(['recovered', 'nested'])('%s: every panic line as printed, then the goroutines as printed', async (name) => {
    const text = readFileSync(join(FIXTURES, 'go-forms', 'captured', `${name}.txt`), 'utf8');
    const out = inputLines(renderText(await pipeline.run({ traceback: text })));
    const input = inputLines(text);
    expect(out.slice(0, 2)).toEqual(input.slice(0, 2));
    expect(input[1]).toMatch(/^\tpanic: /);
    const g1 = block(text, 'goroutine 1 [running]:');
    const at = out.indexOf('goroutine 1 [running]:');
    expect(out.slice(at, at + g1.length)).toEqual(g1);
  });
});

it('a goroutine on another thread keeps Go\'s `stack unavailable` line under its header', async () => {
  const text = [
    'panic: boom',
    '',
    'goroutine 1 [running]:',
    'main.main()',
    '\t/app/main.go:9 +0x1d',
    '',
    'goroutine 5 [running]:',
    '\tgoroutine running on other thread; stack unavailable',
    'created by main.start in goroutine 1',
    '\t/app/main.go:20 +0x2a',
    '',
  ].join('\n');
  const out = inputLines(renderText(await pipeline.run({ traceback: text })));
  const at = out.indexOf('goroutine 5 [running]:');
  expect(out.slice(at, at + 4)).toEqual(text.split('\n').slice(6, 10));
});

/**
 * The corpus of real Go crashes from public reports (Go 1.4 .. 1.24, re-indented pastes,
 * docker-compose prefixes): from the first goroutine header on, every goroutine header,
 * `file:line [+0x..] [fp= sp=] [pc=]` line and `created by` line of the input is a line
 * of the text rendering, as printed (indentation aside); the crash page renders them too.
 */
describe('the Go corpus: Go\'s own lines come out as printed', () => {
  const dir = join(FIXTURES, 'corpus', 'go');
  // Texts the corpus expects refused (`error` in their .expect: no frames) are not renderings.
  const refused = (f: string) => {
    const e = join(dir, f.replace(/\.txt$/, '.expect'));
    return existsSync(e) && readFileSync(e, 'utf8').split('\n').some((l) => /^error\b/.test(l));
  };
  const texts = readdirSync(dir).filter((f) => f.endsWith('.txt') && !refused(f) && !f.startsWith('pinfinder8')); // pinfinder8 holds no frames (a 422)
  // Go before 1.0 printed `pkg.f+0xac /path/file.c:1060` (function and file on one line): we render frames in today's form.
  const PRE_GO1_FRAME = /^\S+\+0x[0-9a-f]+ \S+:\d+$/;
  // A file line right under a goroutine header (its function line cut by the reporter) is no frame (the corpus expects none).
  const fileLineAlone = (ls: string[], i: number) => /:\d+/.test(ls[i]) && !/^goroutine /.test(ls[i]) && i > 0 && /^goroutine \d+ .*\]:$/.test(ls[i - 1]);
  const GO_LINE = /^\S.*:\d+(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+)?(?: pc=0x[0-9a-f]+)?$|^goroutine \d+ .*\]:$|^created by \S+/;
  it.each(texts)('%s', async (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const stack = await pipeline.run({ paste: text });
    const out = new Set(renderText(stack).split('\n').map((l) => l.trim()));
    const lines = text.split('\n').map((l) => l.replace(/^[\w-]+ +\| /, '').trim()); // compose's `service  | ` prefix
    // From the first goroutine header; a paste cut inside a goroutine, from its first function line (a file line before it has no frame).
    const header = lines.findIndex((l) => /^goroutine \d+ /.test(l));
    const from = lines.slice(header >= 0 ? header : lines.findIndex((l) => /\)$/.test(l)));
    const printed = from.filter((l, i) => GO_LINE.test(l) && !PRE_GO1_FRAME.test(l) && !fileLineAlone(from, i));
    // A log or compose prefix before a line is the cleaning's to drop: the line ends with what we print
    // (after a space, a tab, a compose `|`, or syslog's `#011` for the tab).
    const outLines = [...out].filter((o) => /:\d+/.test(o));
    expect(printed.filter((l) => !out.has(l) && !outLines.some((o) => [' ', '\t', '|', '#011'].some((sep) => l.endsWith(`${sep}${o}`))))).toEqual([]);
    const page = renderCrashPage({ baseUrl: 'http://127.0.0.1', stack });
    for (const t of stack.threads) expect(page).toContain(`<span class="thread-id">${t.id}</span>`);
  });
});
