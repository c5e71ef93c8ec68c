import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnifiedFrame, UnifiedStack, UnifiedThread } from '../../src/model/unified-stack';
import { FIXTURES } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * The JNI fixture end to end (test/fixtures/jni-crash): the REAL hs_err log of
 * Java -> JNI -> three native frames goes in over HTTP, through Redis and the worker;
 * every native frame of libjnicrash.so comes back named exactly as llvm-symbolizer
 * names the address gdb confirmed on the live JVM (captured/groundtruth.json), with
 * the inlined chain both gave (the fault is in jni_load, inlined into jni_inner), the
 * Java and VM frames keep their kind and the JVM's names, and the JNI entry point is
 * also named as Java names it.
 */
const JNI = join(FIXTURES, 'jni-crash');
interface Sym {
  FunctionName: string;
  FileName: string;
  Line: number;
  Column: number;
}
interface JniTruth {
  build_id: string;
  frames: Array<{
    hs_err_offset: string;
    hs_err_function: string;
    hs_err_function_offset: string;
    gdb_pc: string;
    address_kind: 'exact' | 'return';
    module_vaddr: string;
    lookup_address: string;
    gdb_frames: Array<{ function: string; file: string; line: number }>;
    llvm_symbolizer: Array<{ Symbol: Sym[] }>;
  }>;
}
const truth = JSON.parse(readFileSync(join(JNI, 'captured', 'groundtruth.json'), 'utf8')) as JniTruth;
const hsErr = readFileSync(join(JNI, 'captured', 'hs_err.log'), 'utf8');
const goTruth = JSON.parse(readFileSync(join(JNI, 'captured', 'go-groundtruth.json'), 'utf8')) as {
  build_id: string;
  problematic_frame: { hs_err_offset: string; function: string; function_offset: string; llvm_symbolizer: Array<{ Symbol: Sym[] }> };
};
const goHsErr = readFileSync(join(JNI, 'captured', 'go-hs_err.log'), 'utf8');

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  const res = await upload(svc.url, [
    { name: 'libjnicrash.so', data: readFileSync(join(JNI, 'build', 'libjnicrash.so')) },
    { name: 'libgojnicrash.so', data: readFileSync(join(JNI, 'build', 'libgojnicrash.so')) },
  ]);
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
});

async function symbolicate(body: string, contentType: string, accept = 'application/json'): Promise<Response> {
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': contentType, accept }, body });
  expect(res.status).toBe(200);
  return res;
}

function crashed(stack: UnifiedStack): UnifiedThread {
  expect(stack.threads[0].crashed).toBe(true);
  expect(stack.threads.filter((t) => t.crashed)).toHaveLength(1);
  return stack.threads[0];
}

/** Function, file, line, column and the inlined chain (innermost first) as llvm-symbolizer gave them. */
function expectLikeSymbolizer(f: UnifiedFrame, symbols: Sym[]): void {
  const physical = symbols[symbols.length - 1];
  expect([f.function, f.file, f.line, f.column]).toEqual([physical.FunctionName, physical.FileName, physical.Line, physical.Column]);
  expect(f.inlined.map((i) => [i.function, i.file, i.line, i.column])).toEqual(
    symbols.slice(0, -1).map((s) => [s.FunctionName, s.FileName, s.Line, s.Column]),
  );
}

/** The same frame as gdb saw it on the live JVM: its backtrace entries for this pc, innermost first. */
function expectLikeGdb(f: UnifiedFrame, gdb: JniTruth['frames'][number]['gdb_frames']): void {
  const chain = [...f.inlined, f];
  expect(chain.map((x) => [x.function, x.line])).toEqual(gdb.map((g) => [g.function, g.line]));
  chain.forEach((x, i) => expect(x.file?.endsWith(`/${gdb[i].file}`)).toBe(true));
}

it('the recorded ground truth has an inlined chain at the fault pc (the fixture is what this test is about)', () => {
  const fault = truth.frames[0];
  expect(fault.llvm_symbolizer[0].Symbol.length).toBeGreaterThanOrEqual(2);
  expect(fault.gdb_frames.length).toBe(fault.llvm_symbolizer[0].Symbol.length);
  // hs_err names the physical function only: the outermost of the chain.
  for (const f of truth.frames) expect(f.llvm_symbolizer[0].Symbol.at(-1)!.FunctionName).toBe(f.hs_err_function);
});

function expectJniStack(stack: UnifiedStack): void {
  const t = crashed(stack);
  expect(t.id).toBe('main');
  expect(t.state).toBe('_thread_in_native');
  const native = t.frames.filter((f) => f.module?.endsWith('/libjnicrash.so'));
  expect(native).toHaveLength(truth.frames.length);
  native.forEach((f, i) => {
    const want = truth.frames[i];
    expect(f).toMatchObject({
      kind: 'native',
      frame_type: 'C',
      source: 'dwarf',
      build_id: truth.build_id,
      address_kind: want.address_kind,
      input_module_offset: want.hs_err_offset,
      module_offset: want.module_vaddr,
      lookup_address: want.lookup_address,
      lookup_adjusted: want.address_kind === 'return',
      input_function: `${want.hs_err_function}+${want.hs_err_function_offset}`,
    });
    expectLikeSymbolizer(f, want.llvm_symbolizer[0].Symbol);
    expectLikeGdb(f, want.gdb_frames);
  });
  expect(native[0].inlined.length).toBeGreaterThan(0);
  // The problematic frame carries the header's absolute pc, which gdb saw on the live JVM
  // at another address (ASLR) but the same offset from the module base.
  expect(native[0].pc).toBe(/at pc=(0x[0-9a-f]+)/.exec(hsErr)![1].replace(/^0x0+/, '0x'));
  // The native frames are on top, in the order printed, then the Java frames and the VM's.
  expect(t.frames.slice(0, 3)).toEqual(native);
  expect(native[2].java_method).toBe('Crash.run(I)I');
  expect(native.slice(0, 2).map((f) => f.java_method)).toEqual([undefined, undefined]);
  expect(t.frames.slice(3, 6).map((f) => [f.kind, f.frame_type, f.function, f.source])).toEqual([
    ['java', 'j', 'Crash.run(I)I', 'jvm'],
    ['java', 'j', 'Crash.main([Ljava/lang/String;)V', 'jvm'],
    ['jvm', 'v', '~StubRoutines::call_stub', 'jvm'],
  ]);
  // V frames in libjvm.so (not uploaded) keep the JVM's name and say why they were not looked up.
  const vm = t.frames.filter((f) => f.frame_type === 'V');
  expect(vm.length).toBe(3);
  for (const f of vm) {
    expect(f).toMatchObject({ kind: 'jvm', source: 'unresolved', module: expect.stringMatching(/\/libjvm\.so$/) });
    expect(f.function).toMatch(/^(JavaCalls::call_helper|jni_invoke_static|jni_CallStaticVoidMethod)/);
    expect(f.reason).toMatch(/no uploaded file named libjvm\.so/);
  }
  expect(stack.modules).toEqual(
    expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/\/libjnicrash\.so$/), status: 'found', build_id: truth.build_id })]),
  );
  expect(stack.signal).toMatchObject({ name: 'SIGSEGV' });
  // The whole log reads as one hs_err section (its "Signal Handlers:" lines are not a Go head).
  expect(stack.diagnostics.filter((d) => d.code === 'parse-partial')).toEqual([]);
}

describe('JNI crash: the real hs_err log', () => {
  it('text/plain paste: every native frame as gdb + llvm-symbolizer recorded, Java frames kept', async () => {
    expectJniStack((await (await symbolicate(hsErr, 'text/plain')).json()) as UnifiedStack);
  });

  it('JSON crash_dump field: the same stack', async () => {
    expectJniStack((await (await symbolicate(JSON.stringify({ crash_dump: hsErr }), 'application/json')).json()) as UnifiedStack);
  });

  it('text rendering: the hs_err lines as printed, each native one completed', async () => {
    const text = await (await symbolicate(hsErr, 'text/plain', 'text/plain')).text();
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith('main [_thread_in_native] (crashed):'));
    expect(start).toBeGreaterThanOrEqual(0);
    const original = hsErr.split('\n');
    const printed = original.slice(original.findIndex((l) => l.startsWith('Native frames:')) + 1);
    const loc = (s: Sym) => `${s.FileName}:${s.Line}:${s.Column}`;
    const want = truth.frames.flatMap((f, i) => {
      const s = f.llvm_symbolizer[0].Symbol;
      const p = s[s.length - 1];
      // The frames inlined at its pc, innermost first, indented above it; then the line of
      // the log, unchanged, and what it is.
      return [
        ...s.slice(0, -1).map((x) => `      ${x.FunctionName} (${loc(x)})  [inlined]`),
        `${printed[i]}  -> ${p.FunctionName} (${loc(p)})${i === 2 ? '  [Crash.run(I)I]' : ''}`,
      ];
    });
    expect(want.length).toBeGreaterThan(truth.frames.length);
    expect(lines.slice(start + 1, start + 1 + want.length + 3)).toEqual([...want, printed[3], printed[4], printed[5]]);
  });
});

describe('Go c-shared library in the JVM: the real go-hs_err log', () => {
  it('the faulting C frame (called from Go through cgo) resolves in the Go library; the Java frames come from "Java frames:"', async () => {
    const stack = (await (await symbolicate(goHsErr, 'text/plain')).json()) as UnifiedStack;
    const t = crashed(stack);
    const p = goTruth.problematic_frame;
    expect(t.frames[0]).toMatchObject({
      kind: 'native',
      source: 'dwarf',
      build_id: goTruth.build_id,
      address_kind: 'exact',
      lookup_adjusted: false,
      input_module_offset: p.hs_err_offset,
      lookup_address: p.hs_err_offset,
      input_function: `${p.function}+${p.function_offset}`,
    });
    expectLikeSymbolizer(t.frames[0], p.llvm_symbolizer[0].Symbol);
    // hs_err printed only that native frame (its walk stops at cgo's stack switch); the
    // Java callers are in its "Java frames:" section.
    expect(t.frames.slice(1).map((f) => [f.kind, f.function])).toEqual([
      ['java', 'GoCrash.run(I)I'],
      ['java', 'GoCrash.main([Ljava/lang/String;)V'],
      ['jvm', '~StubRoutines::call_stub'],
    ]);
  });
});

describe('Go c-shared library in the JVM: Go traceback and hs_err log in one paste', () => {
  // Two real runs of the same build (build.sh steps 3 and 4): with go 1.19 + JDK 17 one run
  // prints either the hs_err log (JVM's handler first) or the Go traceback (libjsig
  // preloaded: Go's handler first), never both; a paste of both is what an engineer has
  // when the logs of both are collected.
  const goTraceback = readFileSync(join(JNI, 'captured', 'go-jsig.stderr.txt'), 'utf8');

  it('the crashed JVM thread reads: C fault, the goroutine\'s Go frames, the Java callers', async () => {
    const stack = (await (await symbolicate(JSON.stringify({ traceback: goTraceback, crash_dump: goHsErr }), 'application/json')).json()) as UnifiedStack;
    const t = crashed(stack);
    expect(t.id).toBe('main');
    expect(t.frames[0]).toMatchObject({ kind: 'native', function: 'c_fault', source: 'dwarf', build_id: goTruth.build_id });
    const goFrames = t.frames.filter((f) => f.kind === 'go');
    // The goroutine that was in runtime.cgocall, as Go printed it, in its order: each physical
    // frame owns its pc, the calls Go printed as inlined (`f(...)`) nested in it innermost first.
    const printed = [...goTraceback.split('goroutine 17 [')[1].matchAll(/^([\w./*()]+?)\(.*\)$/gm)].map((m) => m[1]);
    const flat = goFrames.flatMap((f) => [...f.inlined.map((i) => i.function), f.function]);
    expect(flat).toEqual(printed.slice(0, flat.length));
    expect(flat).toEqual(expect.arrayContaining(['runtime.cgocall', 'main._Cfunc_c_fault', 'main.goMiddle', 'main.Java_GoCrash_run']));
    expect(goFrames.every((f) => f.pc !== undefined)).toBe(true);
    expect(t.frames.indexOf(goFrames[0])).toBe(1);
    const wrapper = goFrames.find((f) => f.inlined.some((i) => i.function === 'main.Java_GoCrash_run'))!;
    expect(wrapper.function).toMatch(/^_cgoexp_[0-9a-f]+_Java_GoCrash_run$/);
    expect(wrapper.inlined.find((i) => i.function === 'main.Java_GoCrash_run')!.java_method).toBe('GoCrash.run(I)I');
    expect(t.frames.slice(1 + goFrames.length).map((f) => f.function)).toEqual(['GoCrash.run(I)I', 'GoCrash.main([Ljava/lang/String;)V', '~StubRoutines::call_stub']);
    // Not listed twice; the other goroutines keep their stacks.
    expect(stack.threads.some((x) => x.id === 'goroutine 17')).toBe(false);
    expect(stack.threads.some((x) => x.id === 'goroutine 2')).toBe(true);
    expect(stack.diagnostics.some((d) => d.code === 'go-frames-spliced')).toBe(true);
    expect(stack.diagnostics.filter((d) => d.code === 'parse-partial')).toEqual([]);
  });
});
