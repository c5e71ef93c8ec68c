import { readFileSync } from 'node:fs';
import { UnifiedFrame, UnifiedStack } from '../../src/model/unified-stack';
import { captured, groundTruth, LIBCRASHY, VARIANTS } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * The mission's path end to end: the fixture's real crash goes in over HTTP, through
 * Redis and the worker, and the native frame comes back named exactly as
 * llvm-symbolizer names the correctly rebased address (ground truth recorded when
 * the fixture was built, from the live process under gdb).
 */
let svc: TestService;

beforeAll(async () => {
  svc = await startService();
  const res = await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await svc?.close();
});

function crashedThread(stack: UnifiedStack) {
  const crashed = stack.threads.filter((t) => t.crashed);
  expect(crashed).toHaveLength(1);
  return crashed[0];
}

function expectFaultFrame(frame: UnifiedFrame, variant: 'exe' | 'pie') {
  const truth = groundTruth(variant);
  const symbols = truth.llvm_symbolizer[0].Symbol;
  const physical = symbols[symbols.length - 1];
  expect(frame.kind).toBe('native');
  expect(frame.source).toBe('dwarf');
  expect(frame.address_kind).toBe('exact');
  expect(frame.pc).toBe(truth.captured_run.pc);
  expect(frame.module_offset).toBe(truth.module_vaddr);
  expect(frame.lookup_address).toBe(truth.module_vaddr); // exact: no -1
  expect(frame.function).toBe(physical.FunctionName);
  expect(frame.file).toBe(physical.FileName);
  expect(frame.line).toBe(physical.Line);
  expect(frame.inlined.map((i) => [i.function, i.file, i.line])).toEqual(
    symbols.slice(0, -1).map((s) => [s.FunctionName, s.FileName, s.Line]),
  );
  expect(frame.inlined.length).toBeGreaterThanOrEqual(1);
}

describe.each(VARIANTS)('cgo crash, %s build', (variant) => {
  const traceback = captured(variant, 'stderr');
  const maps = captured(variant, 'maps');

  it('JSON in, unified stack out: native frames on top of the cgo goroutine', async () => {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traceback, maps }),
    });
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    const thread = crashedThread(stack);
    expect(thread.id).toBe('goroutine 1');
    expectFaultFrame(thread.frames[0], variant);
    // Under the native frame: the Go frames of the cgo call, as the runtime named them.
    expect(thread.frames[1]).toMatchObject({ kind: 'go', function: 'runtime.cgocall', source: 'go-traceback' });
    expect(thread.frames.map((f) => f.function)).toEqual(
      expect.arrayContaining(['main._Cfunc_crashy_process_record', 'main.handleRecord', 'main.processBatch', 'main.main']),
    );
    expect(stack.modules).toEqual([
      expect.objectContaining({ path: expect.stringMatching(/libcrashy\.so$/), status: 'found', build_id: '4a5dec3d49a4e6fc848f77b4d53deac14f525455' }),
      // The Go executable holds the Go frames; nobody uploaded it, so they keep Go's names, said once.
      expect.objectContaining({ path: expect.stringMatching(new RegExp(`crashy-${variant}$`)), status: 'missing' }),
    ]);
    expect(stack.diagnostics.filter((d) => d.code === 'go-module-missing')).toHaveLength(1);
    expect(stack.diagnostics.filter((d) => d.code === 'frame-unresolved')).toEqual([]);
    // The other goroutines keep their own stacks.
    expect(stack.threads.filter((t) => t.id.startsWith('goroutine')).length).toBeGreaterThanOrEqual(3);
    expect(stack.signal).toMatchObject({ name: 'SIGSEGV', pc: groundTruth(variant).captured_run.pc });
  });

  it('text/plain paste (traceback then maps) finds both sections', async () => {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `${traceback}\n${maps}`,
    });
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expectFaultFrame(crashedThread(stack).frames[0], variant);
    expect(stack.diagnostics.some((d) => d.code === 'format-detected' && /maps lines/.test(d.message))).toBe(true);
  });

  it('multipart with the traceback and maps as files', async () => {
    const form = new FormData();
    form.append('traceback', new Blob([traceback]), 'stderr.txt');
    form.append('maps', new Blob([maps]), 'maps.txt');
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expectFaultFrame(crashedThread((await res.json()) as UnifiedStack).frames[0], variant);
  });
});

describe('jobs and renderings', () => {
  const traceback = captured('pie', 'stderr');
  const maps = captured('pie', 'maps');

  it('without ?wait answers 202 with a Location that yields the result', async () => {
    const res = await fetch(`${svc.url}/v1/symbolicate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traceback, maps }),
    });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/v1\/jobs\/[\w-]+$/);
    let job: { state: string; result?: UnifiedStack; progress?: { stage: string } } = { state: 'waiting' };
    for (let i = 0; i < 100 && job.state !== 'completed' && job.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await fetch(`${svc.url}${location}`)).json()) as typeof job;
    }
    expect(job.state).toBe('completed');
    expectFaultFrame(crashedThread(job.result!).frames[0], 'pie');
  });

  it('Accept: text/plain gives the traceback as the engineer knows it, native frames filled in', async () => {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'text/plain' },
      body: `${traceback}\n${maps}`,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const sym = groundTruth('pie').llvm_symbolizer[0].Symbol;
    const lines = text.split('\n');
    const g1 = lines.indexOf('goroutine 1 [syscall]:');
    expect(g1).toBeGreaterThan(0);
    // Go's shape for the native frames too: inlined callees as `f(...)` + `\tfile:line`, innermost first;
    // then the physical function, `\tfile:line` editors jump to, module+offset, pc, [kind, source].
    const loc = (x: (typeof sym)[number]) => `${x.FileName}:${x.Line}:${x.Column}`;
    const physical = sym[sym.length - 1];
    expect(lines.slice(g1 + 1, g1 + 9)).toEqual([
      `${sym[0].FunctionName}(...)`,
      `\t${loc(sym[0])}`,
      `${sym[1].FunctionName}(...)`,
      `\t${loc(sym[1])}`,
      physical.FunctionName,
      `\t${loc(physical)} libcrashy.so+${groundTruth('pie').module_vaddr} pc=${groundTruth('pie').captured_run.pc} [native, dwarf]`,
      expect.stringMatching(/^\t\.\.\. Go prints no frames between the C fault and runtime\.cgocall/),
      expect.stringMatching(/^runtime\.cgocall\(0x[0-9a-f]+, 0x[0-9a-f]+\)$/),
    ]);
    // Go's own lines as printed: the `f(...)` line and its file line above the frame owning the pc, `+0x.. fp= sp= pc=`.
    const g2 = lines.findIndex((l) => l.startsWith('goroutine 2 ['));
    const printed = traceback.split('\n');
    const at = printed.indexOf('runtime.goparkunlock(...)');
    expect(lines.slice(g2 + 3, g2 + 7)).toEqual(printed.slice(at, at + 4));
    expect(lines[g2 + 6]).toMatch(/^\truntime\/proc\.go:302 \+0x[0-9a-f]+ fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+$/);
  });

  it('the build-id from modules[] selects the file; an unknown one is a diagnostic, not a failure', async () => {
    const path = maps.split('\n').find((l) => l.endsWith('libcrashy.so'))!.split(/\s+/).pop()!;
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traceback, maps, modules: [{ path, build_id: 'deadbeefdeadbeefdeadbeef' }] }),
    });
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    const frame = crashedThread(stack).frames[0];
    expect(frame.source).toBe('unresolved');
    expect(frame.reason).toMatch(/no debug file for build-id deadbeefdeadbeefdeadbeef/);
    expect(stack.modules[0]).toMatchObject({ status: 'missing', build_id: 'deadbeefdeadbeefdeadbeef' });
    expect(stack.diagnostics.find((d) => d.code === 'frame-unresolved')?.message).toMatch(/upload it with/);
  });
});
