import { readFileSync } from 'node:fs';
import { UnifiedStack } from '../../src/model/unified-stack';
import { LIBCRASHMODES, MODE_RUNS, modeRun } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * The crash modes end to end (cgo-crash/build-modes.sh): C code called through cgo dies
 * of a signal Go throws on, and GOTRACEBACK=crash prints the crashing M's block, then a
 * SIGQUIT block per other M. The result headlines the real signal with the faulting C
 * frame on top of the goroutine that made the cgo call; every other M is its own thread.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  expect((await upload(svc.url, [{ name: 'libcrashmodes.so', data: readFileSync(LIBCRASHMODES) }])).status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
});

describe.each(MODE_RUNS)('%s', (name) => {
  const { stderr, maps, truth } = modeRun(name);

  it('headlines the real signal; the faulting C frame tops the crashed goroutine; each M is a thread', async () => {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traceback: stderr, maps }),
    });
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expect(stack.headline).toMatch(new RegExp(`^${truth.signal}: `));
    expect(stack.signal).toMatchObject({ name: truth.signal, pc: truth.captured_run.pc });
    const crashed = stack.threads.filter((t) => t.crashed);
    expect(crashed.map((t) => t.id)).toEqual(['goroutine 1']);
    const t = crashed[0];
    expect(stack.threads[0]).toBe(t);
    expect(t.signal?.name).toBe(truth.signal);
    expect(t.registers?.rip).toBe(truth.captured_run.pc);
    const top = t.frames[0];
    expect(top).toMatchObject({ kind: 'native', pc: truth.captured_run.pc, address_kind: 'exact' });
    expect(top.module).toMatch(new RegExp(`/${truth.captured_run.module.replace(/\./g, '\\.')}$`));
    const mapping = maps.split('\n').find((l) => l.endsWith(`/${truth.captured_run.module}`) && l.includes(' r-xp '))!.split(/\s+/);
    expect(top.file_offset).toBe(`0x${(BigInt(truth.captured_run.pc) - BigInt(`0x${mapping[0].split('-')[0]}`) + BigInt(`0x${mapping[2]}`)).toString(16)}`);
    if (truth.captured_run.module === 'libcrashmodes.so') {
      expect(top.module_offset).toBe(truth.captured_run.module_vaddr);
      // The trap itself: resolved as llvm-symbolizer answers the vaddr gdb stopped at, inlined chain included.
      const sym = truth.gdb.frames[0].llvm_symbolizer!;
      expect(top.source).toBe('dwarf');
      expect([...top.inlined, top].map((f) => [f.function, f.file, f.line, f.column])).toEqual(sym.map((s) => [s.FunctionName, s.FileName, s.Line, s.Column]));
    } else {
      // abort() & co. fault in libc, which nobody uploaded: placed and said so, not guessed.
      expect(top.source).toBe('unresolved');
      expect(top.reason).toMatch(/no uploaded file named libc\.so\.6/);
    }
    // No SIGQUIT M's PC (runtime.futex & co.) sits on the crashed goroutine.
    expect(t.frames.filter((f) => f.kind === 'go')[0].function).toBe('runtime.cgocall');
    const ms = stack.threads.filter((x) => x.signal?.name === 'SIGQUIT');
    const quitBlocks = stderr.split('\n').filter((l) => l === 'SIGQUIT: quit').length;
    expect(ms).toHaveLength(quitBlocks);
    for (const m of ms) {
      expect(m.crashed).toBe(false);
      expect(m.frames[0].pc).toBe(m.signal!.pc);
      expect(m.frames[0].address_kind).toBe('exact');
      expect(m.registers?.rip).toBe(m.signal!.pc);
    }
    expect(new Set(ms.map((m) => m.m)).size).toBe(ms.length);
  });
});
