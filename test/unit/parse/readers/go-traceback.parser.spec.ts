import { parseGoTraceback } from '../../../../src/parse/readers/go-traceback.parser';
import { parseInput } from '../../../../src/parse/parse-input';
import { toLines } from '../../../../src/parse/text-lines';
import { ParseError } from '../../../../src/model/errors';
import { captured, groundTruth, VARIANTS } from '../../../support/fixtures';

describe.each(VARIANTS)('Go traceback of the cgo fixture (%s)', (variant) => {
  const text = captured(variant, 'stderr');
  const report = parseGoTraceback(toLines(text));

  it('reads the head, the signal and the faulting native PC with its line', () => {
    expect(report.headline).toEqual({ text: 'fatal error: unexpected signal during runtime execution', inputLine: 1 });
    expect(report.signal).toMatchObject({ name: 'SIGSEGV', description: 'segmentation violation', code: '0x1', addr: 0n });
    expect(report.fault).toEqual({ pc: BigInt(groundTruth(variant).captured_run.pc), source: 'signal-pc', inputLine: 2 });
  });

  it('reads every goroutine header and the runtime stack', () => {
    const headers = text.split('\n').filter((l) => /^goroutine \d+ \[/.test(l)).length;
    expect(report.goroutines.filter((g) => !g.system)).toHaveLength(headers);
    expect(report.goroutines[0]).toMatchObject({ system: true, state: 'runtime stack', inputLine: 4 });
    const g1 = report.goroutines.find((g) => g.id === 1)!;
    expect(g1.state).toBe('syscall');
    expect(g1.frames[0]).toMatchObject({ kind: 'go', function: 'runtime.cgocall', file: 'runtime/cgocall.go', line: 158, addressKind: 'return' });
    expect(g1.frames[0].pc).toBeGreaterThan(0n);
    expect(g1.frames[0].entryOffset).toBe(0x5cn);
  });

  it('every frame pair becomes one frame with its input line; inlined calls nest into the frame owning the pc', () => {
    const lines = text.split('\n');
    let inlined = 0;
    for (const g of report.goroutines) {
      for (const f of g.frames) {
        for (const c of [...(f.inlined ?? []), f]) {
          expect(lines[c.inputLine - 1].startsWith(c.function!)).toBe(true);
          expect(lines[c.inputLine]).toContain(`${c.file}:${c.line}`);
        }
        // Every physical Go frame owns a pc; the calls inlined into it were printed right above it, innermost first.
        expect(f.pc).toBeDefined();
        (f.inlined ?? []).forEach((c, i, all) => expect(c.inputLine).toBe((all[i + 1]?.inputLine ?? f.inputLine) - 2));
        inlined += f.inlined?.length ?? 0;
      }
    }
    const framePairs = lines.filter((l) => /^\t\S+:\d+/.test(l)).length;
    const createdBy = lines.filter((l) => l.startsWith('created by ')).length;
    const bare = lines.filter((l, i) => /^\t\S+:\d+$/.test(l) && lines[i - 1].endsWith('(...)')).length;
    expect(inlined).toBe(bare);
    expect(inlined).toBeGreaterThanOrEqual(4);
    expect(report.goroutines.reduce((n, g) => n + g.frames.length, 0)).toBe(framePairs - createdBy - bare);
    const forcegc = report.goroutines.find((g) => g.id === 2)!.frames[1];
    expect(forcegc).toMatchObject({ function: 'runtime.forcegchelper', line: 302, inlined: [{ function: 'runtime.goparkunlock', args: '(...)', file: 'runtime/proc.go', line: 369 }] });
  });

  it('reads created-by', () => {
    expect(report.goroutines.find((x) => x.createdBy)?.createdBy).toMatchObject({ function: 'runtime.init.6', file: 'runtime/proc.go' });
    const g = report.goroutines.find((x) => x.createdBy?.function === 'main.main');
    expect(g?.createdBy).toMatchObject({ function: 'main.main', file: expect.stringContaining('main.go') });
  });
});

describe('Go traceback forms of other versions', () => {
  it('PC= with "signal arrived during cgo execution", new goroutine headers and the register dump', () => {
    const text = [
      'SIGSEGV: segmentation violation',
      'PC=0x7f3a1c0011f2 m=0 sigcode=1 addr=0x0',
      'signal arrived during cgo execution',
      '',
      'goroutine 1 gp=0xc000002380 m=0 mp=0x5b2e40 [syscall, locked to thread]:',
      'runtime.cgocall(0x4a0f10, 0xc000059f18)',
      '\t/usr/lib/go/src/runtime/cgocall.go:157 +0x4b fp=0xc000059ef0 sp=0xc000059eb8 pc=0x40546b',
      'main._Cfunc_crash()',
      '\t_cgo_gotypes.go:39 +0x3f fp=0xc000059f18 sp=0xc000059ef0 pc=0x4a0e5f',
      'main.main()',
      '\t/src/main.go:9 +0x13 fp=0xc000059f50 sp=0xc000059f18 pc=0x4a0e93',
      '',
      'goroutine 7 [chan receive, 3 minutes]:',
      'main.worker[...](0xc0000a0000)',
      '\t/src/main.go:20 +0x29',
      'created by main.main in goroutine 1',
      '\t/src/main.go:8 +0x25',
      '',
      'rax    0x0',
      'rip    0x7f3a1c0011f2',
      'rflags 0x10246',
    ].join('\n');
    const r = parseGoTraceback(toLines(text));
    expect(r.inCgo).toBe(true);
    expect(r.fault).toEqual({ pc: 0x7f3a1c0011f2n, source: 'PC=', inputLine: 2 });
    expect(r.signal).toMatchObject({ name: 'SIGSEGV', code: '1', addr: 0n });
    expect(r.goroutines.map((g) => [g.id, g.state, g.frames.length])).toEqual([
      [1, 'syscall', 3],
      [7, 'chan receive', 1],
    ]);
    expect(r.goroutines[1].frames[0].function).toBe('main.worker[...]');
    expect(r.goroutines[1].createdBy).toEqual({ function: 'main.main', goroutine: 1, file: '/src/main.go', line: 8, entryOffset: 0x25n, inputLine: 16 });
    expect(r.registers.rip).toBe(0x7f3a1c0011f2n);
  });

  it('rip of a register dump is the fault when no PC line is given', () => {
    const text = ['SIGABRT: abort', '', 'goroutine 1 [running]:', 'main.main()', '\t/src/main.go:9 +0x13', '', 'rip    0x401234'].join('\n');
    expect(parseGoTraceback(toLines(text)).fault).toMatchObject({ pc: 0x401234n, source: 'register' });
  });

  it('the frame after runtime.sigpanic is exact; non-Go frames are native return addresses', () => {
    const text = [
      'goroutine 1 [running]:',
      'runtime.sigpanic()',
      '\t/go/src/runtime/signal_unix.go:819 +0x369 fp=0x1 sp=0x2 pc=0x448449',
      'main.deref(...)',
      '\t/src/main.go:5 +0x2 fp=0x1 sp=0x2 pc=0x401002',
      'non-Go function',
      '\tpc=0x7f0000001234',
    ].join('\n');
    const frames = parseGoTraceback(toLines(text)).goroutines[0].frames;
    expect(frames.map((f) => [f.kind, f.addressKind])).toEqual([
      ['go', 'return'],
      ['go', 'exact'],
      ['native', 'return'],
    ]);
    expect(frames[2]).toMatchObject({ pc: 0x7f0000001234n, inputLine: 6 });
  });
});

describe('Go inlined calls', () => {
  it('nest into the physical frame after them; the frame after sigpanic stays exact through them', () => {
    const text = [
      'goroutine 1 [running]:',
      'runtime.sigpanic()',
      '\t/go/src/runtime/signal_unix.go:819 +0x369 fp=0x1 sp=0x2 pc=0x448449',
      'main.inner(...)',
      '\t/src/main.go:5',
      'main.middle(...)',
      '\t/src/main.go:9',
      'main.outer(0x1)',
      '\t/src/main.go:14 +0x12 fp=0x1 sp=0x2 pc=0x401012',
      'main.main()',
      '\t/src/main.go:20 +0x1d',
      'main.cut(...)',
      '\t/src/main.go:30',
    ].join('\n');
    const frames = parseGoTraceback(toLines(text)).goroutines[0].frames;
    expect(frames.map((f) => [f.function, f.addressKind, (f.inlined ?? []).map((c) => [c.function, c.line, c.inputLine])])).toEqual([
      ['runtime.sigpanic', 'return', []],
      ['main.outer', 'exact', [['main.inner', 5, 4], ['main.middle', 9, 6]]],
      ['main.main', 'return', []],
      // nothing physical after it (a cut paste): kept as a frame of its own
      ['main.cut', 'return', []],
    ]);
  });
});

describe('parse errors name the line', () => {
  it('text with no frames', () => {
    expect(() => parseGoTraceback(toLines('\n\nnothing here\n'))).toThrow(ParseError);
    try {
      parseGoTraceback(toLines('\n\nnothing here\n'));
    } catch (e) {
      expect((e as ParseError).context.line).toBe(3);
    }
  });

  it('a paste keeps the paste line numbers for both sections', () => {
    const stderr = captured('exe', 'stderr');
    const maps = captured('exe', 'maps');
    const { report } = parseInput({ paste: `${maps}\n${stderr}` });
    const mapsLines = maps.split('\n').filter((l) => l).length;
    expect(report.mappings.length).toBe(mapsLines);
    expect(report.fault?.inputLine).toBe(mapsLines + 1 + 2);
  });
});
