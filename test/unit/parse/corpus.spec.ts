import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { ParseError } from '../../../src/model/errors';
import { RawFrame } from '../../../src/model/crash-report';
import { cleanText, parseInput } from '../../../src/parse/parse-input';
import { NATIVE_EXPECT } from './corpus-native.expect';
import { CorpusExpect, parseExpect } from './corpus-expect';

/**
 * Real crash texts from public bug reports (test/fixtures/corpus/<format>/<name>.txt, the
 * source URL in <name>.source). Expected values were read off each text by hand; counts
 * that can be derived independently (goroutine headers, frame lines) are derived too.
 * Texts with a <name>.expect file (corpus-expect.ts) are asserted frame by frame from it.
 */
const ROOT = join(__dirname, '../../fixtures/corpus');
type Expect = {
  threads?: Array<[string, number]>; // thread name, frame count, in input order
  signal?: string;
  fault?: bigint;
  registers?: number;
  frame?: { thread: number; index: number; is: Record<string, unknown> };
  error?: number; // a ParseError at this line
  mappings?: number; // mappings read (a text without PCs answers with its module table)
};
const G = '/usr/local/go/src/runtime/';
const EXPECT: Record<string, Expect> = {
  'go/loggie-cgo-getaddrinfo': { threads: [['runtime stack', 2], ['goroutine 86', 7]], signal: 'SIGSEGV', fault: 0x7f59b4528360n,
    frame: { thread: 1, index: 5, is: { function: 'net.cgoLookupIP·dwrap·25', line: 230, pc: 0x5c9e36n, inputLine: 21 } } },
  'go/go12746-darwin-go15': { threads: [['runtime stack', 2], ['goroutine 67', 3]], signal: 'signal 0xa', fault: 0x4004794n,
    frame: { thread: 1, index: 0, is: { function: 'runtime.cgocall', line: 120, entryOffset: 0x11bn, pc: undefined } } },
  'go/go24824-go110-cgo-getpwuid': { threads: [['goroutine 1', 8]], frame: { thread: 0, index: 1, is: { function: 'os/user._Cfunc_mygetpwuid_r', file: '_cgo_gotypes.go', line: 170, pc: 0x90580dn } } },
  'go/go16331-go183-cgo-sm2': { threads: [['runtime stack', 2], ['goroutine 1835190', 1]], fault: 0x7fbe13b8112dn },
  'go/go-python31-go14-gothrow': { threads: [['runtime stack', 2], ['goroutine 36', 4]], signal: 'SIGSEGV',
    frame: { thread: 1, index: 1, is: { file: '/data/tlt/go/src/github.com/sbinet/go-python/', line: 758 } } },
  'go/go9549-indented-4-spaces': { threads: [['goroutine 8', 4], ['goroutine 67', 5]], frame: { thread: 1, index: 4, is: { function: 'net.(*pollDesc).WaitRead', line: 89 } } },
  'go/onnxruntime-go95-gp-header': { threads: [['goroutine 1', 1]], signal: 'SIGSEGV', fault: 0x1a1090d0en },
  'go/cmu440-signal-0xb-exit-status': { threads: [['goroutine 1', 1], ['goroutine 6', 1]], signal: 'SIGSEGV', fault: 0x8048f30n },
  'go/grmon8-nil-deref': { threads: [['goroutine 1', 4]], fault: 0x1385f7cn, frame: { thread: 0, index: 3, is: { function: 'main.main', line: 202, entryOffset: 0xe7n } } },
  'go/gaper9-text-around': { threads: [['goroutine 154', 2]], fault: 0x4d0ca6n },
  'go/digitalrain5-windows': { threads: [['goroutine 1', 2]], signal: 'signal 0xc0000005', fault: 0x456849n },
  'go/pinfinder8-no-frames': { error: 1 },
  'go/go26393-systemstack-indented': { threads: [['goroutine 1', 8], ['goroutine 2', 1]],
    frame: { thread: 0, index: 0, is: { function: 'runtime.systemstack_switch', line: 311, entryOffset: undefined, pc: 0x105ea40n } } },
  'go/goloader116-go124': { threads: [['goroutine ? (header not in the paste)', 4], ['goroutine 19', 2]] },
  'go/nixos-facter253-arm64-registers': { threads: [['goroutine ? (header not in the paste)', 1]], registers: 34 },
  'go/ollama9665-go123': { threads: [['goroutine 4', 5]] },
  'go/clamav43-compose-prefix': { threads: [['goroutine ? (header not in the paste)', 1], ['goroutine 18', 4]],
    frame: { thread: 1, index: 0, is: { function: 'runtime.gopark', file: `${G}proc.go`, line: 424, inputLine: 8 } } },
  'go/sherpa2694-two-space-no-blank': { threads: [['goroutine ? (header not in the paste)', 2], ['goroutine 19', 4]] },
  'go/frankenphp676-cgocallback': { threads: [['goroutine ? (header not in the paste)', 3], ['goroutine 2', 3], ['goroutine 3', 1]] },
  'go/walker181-locked-m1': { threads: [['goroutine ? (header not in the paste)', 1], ['goroutine 17', 1], ['goroutine 2', 3]] },
  'go/kafka1260-unique-cleanup': { threads: [['goroutine 6', 5]], frame: { thread: 0, index: 3, is: { function: 'runtime.unique_runtime_registerUniqueMapCleanup.gowrap1', line: 1735, pc: 0x41f98fn,
    inlined: [{ function: 'runtime.unique_runtime_registerUniqueMapCleanup.func1', args: '(...)', file: '/usr/local/go/src/runtime/mgc.go', line: 1732, inputLine: 12 }] } } },
  'go/mp4-3-go15-truncated': { threads: [['goroutine 1', 3]], signal: 'SIGSEGV' },
  'hs-err/kylinsoong-001-windows-gc-thread': { threads: [['GCTaskThread', 1]], signal: 'EXCEPTION_ACCESS_VIOLATION', registers: 18,
    frame: { thread: 0, index: 0, is: { kind: 'jvm', module: 'jvm.dll', moduleOffset: 0x3d3718n, addressKind: 'exact', inputLine: 75 } } },
  'hs-err/kylinsoong-004-linux-compiled-java': { threads: [['pool-13-thread-4', 1]], signal: 'SIGSEGV', registers: 21,
    frame: { thread: 0, index: 0, is: { kind: 'java', frameType: 'J', function: 'org.apache.http.client.protocol.RequestAddCookies.process(Lorg/apache/http/HttpRequest;Lorg/apache/http/protocol/HttpContext;)V' } } },
  'hs-err/tnvme23-header-on-stdout': { threads: [['current thread', 1]], signal: 'SIGSEGV',
    frame: { thread: 0, index: 0, is: { kind: 'native', module: 'ld-linux-x86-64.so.2', moduleOffset: 0x15de0n, inputLine: 8 } } },
  'hs-err/jruby37-aarch64': { threads: [['main', 1]], registers: 5, frame: { thread: 0, index: 0, is: { kind: 'native', pc: 0x5e30n, addressKind: 'exact' } } },
  'hs-err/libunwind107-linux-arm': { threads: [['current thread', 1]], frame: { thread: 0, index: 0, is: { module: 'libunwind.so.8', moduleOffset: 0x3aa8n, function: '_ULarm_step', entryOffset: 0x1b0n } } },
  'hs-err/dragonwell52-aarch64-null-pc': { threads: [['current thread', 1]], frame: { thread: 0, index: 0, is: { kind: 'native', pc: 0n } } },
  'tombstone/firefoxlite1159-arm64-unknown': { threads: [['tid 1084 "Thread-2181"', 2]], signal: 'SIGSEGV', registers: 34,
    frame: { thread: 0, index: 1, is: { moduleOffset: 0x9dfa0n, module: undefined, addressKind: 'return', inputLine: 18 } } },
  'tombstone/syncthing997-android4-logcat': { threads: [['tid 1490', 0]], signal: 'SIGSEGV', registers: 29 },
  'tombstone/jsc84-android9-logcat-threadtime': { threads: [['tid 18979 "ts.football2017"', 0]], signal: 'SIGSEGV' },
  'tombstone/backtrace43-android-buildid': { threads: [['tid 16066 "platform.productId"', 2]], signal: 'SIGSEGV',
    frame: { thread: 0, index: 1, is: { moduleOffset: 0x8fdc4n, buildId: '3914dc78c1683aa29e25f1ec66091638a0598489', addressKind: 'adjusted', function: undefined } } },
  'tombstone/yahfa167-android12-registers': { threads: [['tid 9415 "e.pine.examples"', 0]], signal: 'SIGSEGV', registers: 12 },
  'tombstone/rnfirebase8433-arm32-tabs': { threads: [['tid ?', 4]],
    frame: { thread: 0, index: 3, is: { module: '/apex/com.android.art/lib/libart.so', moduleOffset: 0x2f0badn, function: 'art::Thread::CreateCallback(void*)', entryOffset: 424n, buildId: '72acbd633b92a2d8c94a7758a3f31f4a' } } },
  'tombstone/realm3726-android23': { threads: [['tid 2045', 0]], signal: 'SIGSEGV', registers: 17 },
  'tombstone/activitywatch166-android15': { threads: [['tid 30490 "AsyncTask #1"', 0]], signal: 'SIGABRT', registers: 4 },
};

// The native formats' texts (sanitizer, glibc, race, gccgo, macOS/Windows hs_err, excerpts).
Object.assign(EXPECT, NATIVE_EXPECT);

const files = readdirSync(ROOT).flatMap((fmt) =>
  readdirSync(join(ROOT, fmt)).filter((f) => f.endsWith('.txt')).map((f) => `${fmt}/${f.slice(0, -4)}`),
);

const BY_HAND: Record<string, CorpusExpect> = Object.fromEntries(
  files.filter((f) => existsSync(join(ROOT, `${f}.expect`))).map((f) => [f, parseExpect(readFileSync(join(ROOT, `${f}.expect`), 'utf8'), `${f}.expect`)]),
);

it('every corpus file has its source URL and an expectation', () => {
  expect(files.length).toBeGreaterThanOrEqual(140);
  for (const f of files) {
    expect(readFileSync(join(ROOT, `${f}.source`), 'utf8')).toMatch(/^https:\/\/github\.com\//);
    expect([f, EXPECT[f] ?? BY_HAND[f]]).toEqual([f, expect.anything()]);
  }
});

describe.each(files)('%s', (name) => {
  const text = readFileSync(join(ROOT, `${name}.txt`), 'utf8');
  const byHand = BY_HAND[name];
  const want: Expect = EXPECT[name] ?? byHand ?? {};

  if (want.error !== undefined) {
    it('is a ParseError naming the line', () => {
      expect(() => parseInput({ paste: text })).toThrow(ParseError);
      try {
        parseInput({ paste: text });
      } catch (e) {
        expect((e as ParseError).context.line).toBe(want.error);
      }
    });
    return;
  }
  let parsed: ReturnType<typeof parseInput> | undefined;
  let refused: unknown;
  try {
    parsed = parseInput({ paste: text });
  } catch (e) {
    refused = e;
  }
  if (!parsed) {
    it('is read, not refused', () => {
      throw refused;
    });
    return;
  }
  const { report } = parsed;
  const threads = [...report.goroutines, ...(report.threads ?? [])];

  it('threads and frame counts', () => {
    expect(threads.map((t) => [t.name, t.frames.length])).toEqual(want.threads);
  });

  it('goroutine headers counted independently', () => {
    const plain = cleanText(text).map((l) => l.text);
    const headers = plain.filter((l) => /^\s*goroutine [1-9]\d* (gp=\S+ m=\S+ (mp=\S+ )?)?\[/.test(l)).length;
    expect(report.goroutines.filter((g) => !g.system && g.id !== 0)).toHaveLength(headers);
    // Every Go frame is a func line immediately followed by a file line, except a truncated last one.
    // Inlined calls are nested into the frame after them, so they count inside it.
    // The race detector prints the same Go frame pairs in its threads.
    const goStacks = [...report.goroutines, ...(report.threads ?? []).filter((t) => t.format === 'go-race')];
    const goFrames = goStacks.flatMap((g) => g.frames.flatMap((f) => [f, ...(f.inlined ?? [])]));
    const withFile = goFrames.filter((f) => f.file !== undefined).length;
    // gccgo prints the function as a bare symbol (`main.main`), Go with its arguments.
    // (The file line's indent is not required: some pastes lost every indentation.)
    const funcLine = (l: string) => /\)\s*$/.test(l) || /^\s*[A-Za-z_.$][\w.$:<>~@-]*$/.test(l);
    const fileLines = plain.filter((l, i) => i > 0 && /^\s*\S+:\d+(\s|$)/.test(l) && funcLine(plain[i - 1])).length;
    // Go before 1.0 printed the file on the frame's own line: `pkg.f+0xac /path/file.c:1060`.
    const oldFrameLines = plain.filter((l) => /^[^\s/:(][^\s(]*?(\+0x[0-9a-f]+)? \/\S+:\d+$/.test(l)).length;
    expect(withFile).toBe(fileLines + oldFrameLines);
    // Go's inlined shape: `f(...)` then a file line with no +0x, fp= or pc=; each is nested, none stays a frame...
    const inlinedLines = plain.filter((l, i) => /^\s*\S+:\d+\s*$/.test(l) && /\(\.\.\.\)\s*$/.test(plain[i - 1] ?? '')).length;
    const inlinedShape = (f: RawFrame) => f.args === '(...)' && f.pc === undefined && f.entryOffset === undefined && f.file !== undefined;
    const nested = report.goroutines.flatMap((g) => g.frames.flatMap((f) => f.inlined ?? []));
    const standalone = report.goroutines.flatMap((g) => g.frames.filter(inlinedShape));
    expect(nested.length + standalone.length).toBe(inlinedLines);
    // ...unless nothing physical follows it in its goroutine (a cut paste).
    for (const g of report.goroutines) {
      const last = g.frames.map((f) => !inlinedShape(f)).lastIndexOf(true);
      expect(g.frames.slice(0, last + 1).filter(inlinedShape)).toEqual([]);
    }
  });

  it('signal, fault, registers and the chosen frame', () => {
    if (want.signal) expect(report.signal?.name).toBe(want.signal);
    if (want.fault !== undefined) expect(report.fault?.pc).toBe(want.fault);
    if (want.registers !== undefined) expect(Object.keys(report.registers)).toHaveLength(want.registers);
    if (want.mappings !== undefined) expect(report.mappings).toHaveLength(want.mappings);
    if (want.frame) {
      const f = threads[want.frame.thread].frames[want.frame.index] as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(want.frame.is)) expect([k, f[k]]).toEqual([k, v]);
    }
  });

  if (byHand) {
    it('each frame as read by hand (.expect)', () => {
      const got = threads.map((t) =>
        t.frames.map((f) => ({
          inputLine: f.inputLine, pc: f.pc, module: f.module, moduleOffset: f.moduleOffset, function: f.function,
          inlined: f.inlined?.map((i) => i.function),
        })),
      );
      expect(got).toEqual(byHand.frames);
    });
  }

  it('every frame points at a line of the paste that holds it', () => {
    const lines = text.split('\n');
    for (const f of threads.flatMap((t) => t.frames)) {
      const l = lines[f.inputLine - 1];
      if (f.function) expect(l).toContain(f.function.slice(0, 20));
      else if (f.moduleOffset !== undefined) expect(l.toLowerCase()).toContain(f.moduleOffset.toString(16));
    }
  });
});
