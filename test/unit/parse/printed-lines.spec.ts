import { parseInput } from '../../../src/parse/parse-input';
import { captured, modeRun } from '../../support/fixtures';

/**
 * What the text rendering needs kept from a Go traceback (issue 15 item 3): each frame's
 * printed `+0x..`, fp= and sp=, `created by X` with its file line and offset, the signal
 * lines as printed; and what is not part of it: the shell's trailer after the process died.
 */
const frames = (text: string) => parseInput({ traceback: text }).report.goroutines.flatMap((g) => g.frames);

describe('printed parts kept', () => {
  const stderr = captured('pie', 'stderr');
  const { report } = parseInput({ traceback: stderr });
  const lines = stderr.split('\n');

  it('every Go frame with a `+0x.. fp=.. sp=.. pc=..` line keeps all four, as printed', () => {
    const printed = lines.filter((l) => / \+0x[0-9a-f]+ fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+$/.test(l));
    const kept = report.goroutines
      .flatMap((g) => g.frames)
      .filter((f) => f.fp !== undefined)
      .map((f) => `\t${f.file}:${f.line} +0x${f.entryOffset!.toString(16)} fp=0x${f.fp!.toString(16)} sp=0x${f.sp!.toString(16)} pc=0x${f.pc!.toString(16)}`);
    expect(printed.length).toBeGreaterThan(20);
    expect(kept).toEqual(printed);
  });

  it('`created by X` keeps its file line and offset, and the line it came from', () => {
    const g2 = report.goroutines.find((g) => g.id === 2)!;
    const at = lines.indexOf('created by runtime.init.6');
    expect(g2.createdBy).toEqual({ function: 'runtime.init.6', goroutine: undefined, file: 'runtime/proc.go', line: 290, entryOffset: 0x25n, inputLine: at + 1 });
  });

  it('`created by X in goroutine N` (Go 1.21+) keeps N', () => {
    const text = 'goroutine 7 [running]:\nmain.work()\n\t/app/main.go:12 +0x1d\ncreated by main.main in goroutine 1\n\t/app/main.go:30 +0x4f\n';
    const g = parseInput({ traceback: text }).report.goroutines[0];
    expect(g.createdBy).toMatchObject({ function: 'main.main', goroutine: 1, file: '/app/main.go', line: 30, entryOffset: 0x4fn });
  });

  it('the signal lines as printed: `[signal ..]`, or `SIGILL: ..` + `PC=..` + cgo + instruction bytes', () => {
    expect(report.signal?.text).toEqual([lines.find((l) => l.startsWith('[signal '))]);
    const trap = modeRun('trap-tb-pie').stderr.split('\n');
    expect(parseInput({ traceback: trap.join('\n') }).report.signal?.text).toEqual(trap.slice(0, 4));
  });
});

describe("the shell's trailer is not a frame", () => {
  const stderr = captured('pie', 'stderr').trimEnd();
  const base = frames(stderr);
  it.each([
    'Segmentation fault',
    'Segmentation fault (core dumped)',
    'Aborted (core dumped)',
    'Aborted',
    'Illegal instruction (core dumped)',
    'signal: segmentation fault (core dumped)',
    'exit status 2',
    './run.sh: line 3: 4242 Aborted                 (core dumped) ./crashy',
  ])('%s', (trailer) => {
    // The last goroutine of this crash ends without registers: the trailer lands right under its frames.
    for (const sep of ['\n', '\n\n']) {
      const got = frames(`${stderr}${sep}${trailer}\n`);
      expect(got.length).toBe(base.length);
      expect(got.map((f) => f.function)).not.toContain(expect.stringMatching(/Aborted|Segmentation|core dumped/i));
    }
    // In one paste with the maps after it: the same frames, every mapping still read.
    const maps = captured('pie', 'maps');
    const alone = parseInput({ paste: `${stderr}\n${maps}` }).report;
    const pasted = parseInput({ paste: `${stderr}\n${trailer}\n${maps}` }).report;
    expect(pasted.goroutines.flatMap((g) => g.frames).length).toBe(alone.goroutines.flatMap((g) => g.frames).length);
    expect(pasted.mappings.length).toBe(alone.mappings.length);
    expect(pasted.mappings.length).toBeGreaterThan(20);
  });
});

describe('goroutine headers as printed', () => {
  it('keeps the whole header: extra words in the brackets, gp= m= mp= (state keeps the first part)', () => {
    const text = [
      'goroutine 7 gp=0xc000007a40 m=nil [chan receive, 3 minutes, locked to thread]:',
      'main.worker()',
      '\t/app/main.go:20 +0x29',
    ].join('\n');
    const g = parseInput({ traceback: text }).report.goroutines[0];
    expect(g.header).toBe(text.split('\n')[0]);
    expect(g.state).toBe('chan receive');
  });
});
