import { ParseError } from '../../../src/model/errors';
import { parseInput } from '../../../src/parse/parse-input';

/**
 * Pastes built to make the new readers' line shapes backtrack (sanitizer `#0 0x.. in f
 * file:line (module+0x..)`, glibc `prog(sym+0x..)[0x..]`, race headers, hs_err without
 * `#`, Windows library lines), as one 5 MB line and as 5 MB of near-miss lines. Each
 * must end in a result or the parser's own 422, in time linear in its size: the 5 MB
 * paste may take at most ~10x the 0.5 MB one (linear is ~10x, quadratic ~100x).
 */
const MB = 1 << 20;
const fill = (unit: string, bytes: number) => unit.repeat(Math.ceil(bytes / unit.length));

const HOSTILE: Record<string, (bytes: number) => string> = {
  'one line: sanitizer frame that never closes': (n) => `#1 0x7f00 in ${fill('f(a, b) x.c:1:2 (lib+0x1 ', n)}`,
  'one line: glibc frame of open parentheses': (n) => `./prog${fill('((+0x1)[', n)}`,
  'one line: brackets and pluses': (n) => fill('[0x1+0x2](', n),
  'lines: sanitizer frames missing their tail': (n) => fill('    #12 0x4e1b4b in main /tmp/a.c:5:10 (/tmp/a.out+0x4e1b4b\n', n),
  'lines: glibc frames missing their pc': (n) => fill('/usr/lib/libfoo.so(foo_bar+0x1f)[0x\n', n),
  'lines: race access headers without a colon': (n) => fill('Previous write at 0x00c0000a0010 by goroutine 7\n', n),
  'lines: Windows library lines without a path': (n) => fill('0x00007ff6a4700000 - 0x00007ff6a470d000 \t\n', n),
  'lines: hs_err signal header without #, cut': (n) => fill(' EXCEPTION_ACCESS_VIOLATION (0xc0000005) at pc=\n', n),
  'lines: gccgo bare symbols without file lines': (n) => fill('runtime_mstart\nkickoff\n', n),
};

function timed(text: string): { ms: number; outcome: string } {
  const t0 = process.hrtime.bigint();
  let outcome = 'read';
  try {
    parseInput({ paste: text });
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    outcome = 'ParseError';
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, outcome };
}

describe.each(Object.keys(HOSTILE))('%s', (name) => {
  it('5 MB: a result or a 422, in linear time', () => {
    const small = HOSTILE[name](MB / 2);
    const big = HOSTILE[name](5 * MB);
    expect(big.length).toBeGreaterThanOrEqual(5 * MB);
    timed(small); // warm up the JIT
    const s = timed(small).ms;
    const b = timed(big);
    expect(['read', 'ParseError']).toContain(b.outcome);
    // A floor for the small run keeps timer noise on a busy machine from failing it.
    expect(b.ms / Math.max(s, 20)).toBeLessThan(30);
  });
});

it('a text that is not a crash: 422 naming its first line and what was expected', () => {
  const prose = 'Hi, the app crashed again this morning.\nI attached the log, let me know!\n';
  expect(() => parseInput({ paste: prose })).toThrow(ParseError);
  try {
    parseInput({ paste: `\n\n${prose}` });
  } catch (e) {
    const err = e as ParseError;
    expect(err.context.line).toBe(3);
    expect(err.message).toContain('line 3 reads "Hi, the app crashed again this morning."');
    // Every format is named, each once.
    for (const what of ['Go traceback', 'Go race report', 'JVM hs_err log', 'Android tombstone', 'sanitizer report', 'glibc backtrace_symbols', '/proc/PID/maps']) {
      expect(err.message.split(what)).toHaveLength(2);
    }
  }
});

it('a line past MAX_LINE_CHARS is read up to it, with a warning naming the line; the frames around it still come out', () => {
  const junk = 'x('.repeat(MB / 2); // 1 MiB of one line, between the header and the frames
  const paste = [
    'panic: runtime error: invalid memory address or nil pointer dereference',
    junk,
    '',
    'goroutine 1 [running]:',
    'main.main()',
    '\t/src/main.go:12 +0x1d',
  ].join('\n');
  const parsed = parseInput({ paste });
  expect(parsed.warnings.some((w) => /line 2: 1048576 characters long, only its first 65536 were read/.test(w))).toBe(true);
  const frames = parsed.report.goroutines.flatMap((g) => g.frames);
  expect(frames.map((f) => f.function)).toContain('main.main');
});
