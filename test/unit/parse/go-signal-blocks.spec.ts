import { parseInput } from '../../../src/parse/parse-input';
import { MODE_RUNS, modeRun } from '../../support/fixtures';

/**
 * Real GOTRACEBACK=crash runs of the cgo-crash fixture's crash modes (SIGILL from
 * __builtin_trap, SIGABRT from abort(), an uncaught C++ throw, glibc's free()):
 * Go prints the crashing M's block first, then `-----` and a SIGQUIT block per
 * other M. The first block is the crash; each block keeps its own M, PC and registers.
 */
describe.each(MODE_RUNS)('%s', (name) => {
  const { stderr, truth } = modeRun(name);
  const lines = stderr.split('\n');
  const { report } = parseInput({ traceback: stderr });
  const blocks = report.signalBlocks!;
  const signalLines = lines.map((l, i) => ({ l, no: i + 1 })).filter(({ l }) => /^SIG[A-Z]+: /.test(l));
  const pcLines = lines.map((l) => /^PC=(0x[0-9a-f]+) m=(\d+) /.exec(l)).filter((m) => m);

  it('one block per signal line; the first is the crash, the rest SIGQUIT', () => {
    expect(blocks.map((b) => b.inputLine)).toEqual(signalLines.map((s) => s.no));
    expect(blocks.map((b) => b.signal.name)).toEqual([truth.signal, ...Array(blocks.length - 1).fill('SIGQUIT')]);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks.map((b) => [b.fault?.pc, b.m])).toEqual(pcLines.map((m) => [BigInt(m![1]), Number(m![2])]));
  });

  it('the report headlines the crash block: its signal, PC, registers and cgo flag, not the last SIGQUIT', () => {
    expect(report.signal?.name).toBe(truth.signal);
    expect(report.headline?.text).toBe(signalLines[0].l);
    expect(report.fault?.pc).toBe(BigInt(truth.captured_run.pc));
    expect(report.registers.rip).toBe(BigInt(truth.captured_run.pc));
    expect(report.inCgo).toBe(true);
    expect(blocks[0].inCgo).toBe(true);
    expect(blocks.slice(1).every((b) => !b.inCgo)).toBe(true);
  });

  it('each block keeps its own registers; its M stack starts at its PC, exactly', () => {
    for (const b of blocks) {
      expect(b.registers.rip).toBe(b.fault!.pc);
      expect(b.goroutines.length).toBeGreaterThanOrEqual(1);
    }
    for (const b of blocks.slice(1)) {
      const g = b.goroutines[0];
      expect(g.frames[0]).toMatchObject({ pc: b.fault!.pc, addressKind: 'exact' });
      expect(g.block).toBe(blocks.indexOf(b));
    }
  });

  it('the crash block prints the goroutine the signal hit first: the one in the cgo call', () => {
    const g = blocks[0].goroutines[0];
    expect(g.id).toBe(1);
    const go = g.frames.filter((f) => f.kind === 'go');
    expect(go[0].function).toBe('runtime.cgocall');
    // The walker's frames, when installed: "non-Go function at pc=" above cgocall, the first at the fault pc (exact).
    const native = g.frames.filter((f) => f.kind === 'native');
    expect(native.length).toBe(truth.captured_run.walker_frames.length);
    if (native.length > 0) expect(native[0]).toMatchObject({ pc: BigInt(truth.captured_run.pc), addressKind: 'exact' });
    expect(native.slice(1).every((f) => f.addressKind === 'return')).toBe(true);
  });

  it('SIGILL keeps its instruction bytes (ud2 at the fault pc)', () => {
    if (truth.signal !== 'SIGILL') return expect(blocks[0].instructionBytes).toBeUndefined();
    expect(blocks[0].instructionBytes!.bytes.slice(0, 2)).toEqual([0x0f, 0x0b]);
  });
});
