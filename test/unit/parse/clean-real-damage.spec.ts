import { cleanText, parseInput } from '../../../src/parse/parse-input';

/**
 * The cleaning rules the corpus texts of issue 13 needed, each on the line shape it
 * was written for (taken from those texts) and on a look-alike it must leave alone.
 */
const clean = (text: string) => cleanText(text).map((l) => l.text);

describe('logcat prefixes real pastes carry', () => {
  it('brief without a pid (I/DEBUG: , A/libc: ), not prose that starts with a letter and a slash', () => {
    expect(clean("I/DEBUG: Build fingerprint: 'google/hammerhead/hammerhead:5.0.1/LRX22C/1602158:user/release-keys'")).toEqual([
      "Build fingerprint: 'google/hammerhead/hammerhead:5.0.1/LRX22C/1602158:user/release-keys'",
    ]);
    expect(clean('A/libc: Fatal signal 6 (SIGABRT), code -6 in tid 11196 (ster.app)')).toEqual(['Fatal signal 6 (SIGABRT), code -6 in tid 11196 (ster.app)']);
    expect(clean('I/O error: connection reset')).toEqual(['I/O error: connection reset']);
  });

  it("Android Studio columns with a time and no date, but not a Go file line's time-like text", () => {
    expect(clean('17:41:32.233 DEBUG           pid-7355         A      esi 8f64ddd0  edi 8fa30fc8')).toEqual(['esi 8f64ddd0  edi 8fa30fc8']);
    expect(clean('17:41:32.233 main.go:12 +0x1d')).toEqual(['17:41:32.233 main.go:12 +0x1d']);
  });

  it("Android Studio 1.x's fullwidth colon (U+FE55) ends the prefix like ':'", () => {
    expect(clean('08-05 12:05:18.899    7661-7661/? E/Go\uFE55 sync.runtime_Syncsemacquire(0x60d26e60)')).toEqual(['sync.runtime_Syncsemacquire(0x60d26e60)']);
  });
});

describe('Markdown bold markers', () => {
  it('drops ** opening a word, closing one, or alone on a line', () => {
    expect(clean('>  **Problematic frame:\n> C  [libagent.so+0x2b7b3]  PerfManager::closeEvents()+0x73\n>**')).toEqual([
      ' Problematic frame:',
      'C  [libagent.so+0x2b7b3]  PerfManager::closeEvents()+0x73',
      '',
    ]);
  });

  it("keeps a tombstone's *** banner and a ** inside a line", () => {
    const banner = '*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***';
    expect(clean(banner)).toEqual([banner]);
    expect(clean('x = a ** b')).toEqual(['x = a ** b']);
  });
});

describe('a crash head glued to the last log line before it', () => {
  it('splits `... MH/s  SIGABRT: abort` above `PC=0x..` although it does not start a paragraph', () => {
    const text = '2017/12/23 23:15:01 0 - Initialized  GPU - Iris Pro\n0-53.4 1-0.0 Total: 53.4 MH/s  SIGABRT: abort\nPC=0x501dd42 m=3';
    expect(clean(text)).toEqual(['0 - Initialized  GPU - Iris Pro', '0-53.4 1-0.0 Total: 53.4 MH/s', 'SIGABRT: abort', 'PC=0x501dd42 m=3']);
  });

  it('leaves a line inside prose naming a signal alone when no crash line follows it', () => {
    const text = 'We run it on a cluster.\nIt dies with SIGABRT: abort\nand nothing else is printed';
    expect(clean(text)).toEqual(['We run it on a cluster.', 'It dies with SIGABRT: abort', 'and nothing else is printed']);
  });
});

describe('the corpus sweep of 2026-12 (line numbers, prefixes, interleaved lines)', () => {
  it('copied line numbers: a counting run is removed, a lone number or a short space-separated run is kept', () => {
    // GitHub Actions' log page: the line number, then the RFC 3339 timestamp (itself a prefix).
    expect(clean(' 13044 2024-08-09T01:45:13.2083331Z WARNING: DATA RACE\n 13045 2024-08-09T01:45:13.2083589Z Write at 0x00c018f3c698 by goroutine 5536:')).toEqual([
      'WARNING: DATA RACE',
      'Write at 0x00c018f3c698 by goroutine 5536:',
    ]);
    // A numbered column with a tab: two lines are enough.
    expect(clean('1\t#00 pc 000000000065f798 /lib/arm64/libgojni.so\n2\t#01 pc 0000000000643594 /lib/arm64/libgojni.so')).toEqual([
      '#00 pc 000000000065f798 /lib/arm64/libgojni.so',
      '#01 pc 0000000000643594 /lib/arm64/libgojni.so',
    ]);
    // Glued to a logcat date: `20408-07` is line 204 of 08-07.
    expect(clean('20508-07 15:31:54.280 24309 0 E Go : runtime.goexit()\n20608-07 15:31:54.280 24309 0 E Go : runtime/asm_arm64.s:1133 +0x4')).toEqual([
      'runtime.goexit()',
      'runtime/asm_arm64.s:1133 +0x4',
    ]);
    // Two space-separated numbers that count are no evidence; numbers that do not count are none either.
    expect(clean('1 apple\n2 pears')).toEqual(['1 apple', '2 pears']);
    expect(clean('3 x\n5 y\n9 z')).toEqual(['3 x', '5 y', '9 z']);
  });

  it('journald without a host needs the [pid]; a bracketed timestamp may chain more [fields]', () => {
    expect(clean('May 03 16:11:34 containerd[19317]: runtime stack:')).toEqual(['runtime stack:']);
    // (no [pid]: not taken for a prefix; the crash head glued to it is split off as from any prose)
    expect(clean('May 03 16:11:34 panic: boom')).toEqual(['May 03 16:11:34', 'panic: boom']);
    expect(clean('[2023-03-03 10:55:38.405][ERROR][1][a7557lwr][0]     #0 0x5645e1be2295 in main')).toEqual(['    #0 0x5645e1be2295 in main']);
  });

  it("a logger's continuation is joined only when indented or at a logger's split size, not another program's line", () => {
    const p = '[2023-03-03 10:55:38.405][ERROR][1][x][0] ';
    expect(clean(`${p}    #5 0x5645e237655c in main src/main.cpp:256\nsh: 1: addr2line: not found\n${p}    #6 0x7fddd8c20082 in __libc_start_main`)).toEqual([
      '    #5 0x5645e237655c in main src/main.cpp:256',
      'sh: 1: addr2line: not found',
      '    #6 0x7fddd8c20082 in __libc_start_main',
    ]);
  });
});

describe('reader shapes the 2026-12 corpus sweep added', () => {
  const frames = (text: string) => {
    const { report } = parseInput({ paste: text });
    return [...report.goroutines, ...(report.threads ?? [])].map((t) => [t.name, t.frames.map((f) => [f.function, f.module, f.file, f.line])]);
  };

  it('a race report cut after a function line keeps that frame (its file unknown)', () => {
    expect(frames('WARNING: DATA RACE\nRead at 0x00c01bee8a80 by goroutine 40980:\n  runtime.slicecopy()\n      /go/src/runtime/slice.go:310 +0x0\n  bytes.(*Buffer).Write()\n')).toEqual([
      ['Read at 0x00c01bee8a80 by goroutine 40980', [['runtime.slicecopy', undefined, '/go/src/runtime/slice.go', 310], ['bytes.(*Buffer).Write', undefined, undefined, undefined]]],
    ]);
  });

  it('GrapheneOS module-first frames and a symbolizer\'s [file:line] in a tombstone symbol', () => {
    expect(frames('signal: 6 (SIGABRT), code -1 (SI_QUEUE)\nthreadName: NativeTombstone\n\nbacktrace:\n    /apex/com.android.runtime/lib64/bionic/libc.so (abort+156, pc 7beac)\n    /system/lib64/libfoo.so (pc 1234)\n')).toEqual([
      ['tid ? "NativeTombstone"', [['abort', '/apex/com.android.runtime/lib64/bionic/libc.so', undefined, undefined], [undefined, '/system/lib64/libfoo.so', undefined, undefined]]],
    ]);
    expect(frames('#00 pc 0x97efdc libgojni.so (runtime.futex [sys_linux_arm64.s:665]) (BuildId: de44b472ae9de8b71c9868394a8cc96bfd80ca77)\n#01 pc 0x90ffd8 libgojni.so (runtime.notesleep [lock_futex.go:47])\n')).toEqual([
      ['tid ?', [['runtime.futex', 'libgojni.so', 'sys_linux_arm64.s', 665], ['runtime.notesleep', 'libgojni.so', 'lock_futex.go', 47]]],
    ]);
  });

  it("Play Console's [abi::buildid] after a tombstone frame's module is its build id", () => {
    const { report } = parseInput({ paste: '#00 pc 000000000065f798 /data/app/x/lib/arm64/libgojni.so [arm64-v8a::8e57b7f5eede6f5405e906091a891219]\n#01 pc 0000000000643594 /data/app/x/lib/arm64/libgojni.so\n' });
    expect([report.threads![0].frames[0].module, report.threads![0].frames[0].buildId]).toEqual(['/data/app/x/lib/arm64/libgojni.so', '8e57b7f5eede6f5405e906091a891219']);
  });

  it("a bare word that no file line follows is no Go frame (a reporter's XXX), a bare symbol with its file line is", () => {
    expect(frames('goroutine 8 [running]:\nruntime.deferreturn()\n\t/go/src/runtime/panic.go:610 +0x5d\nXXX\n\tXXX\ntesting.tRunner()\n\t/go/src/testing/testing.go:1792 +0x225\n')).toEqual([
      ['goroutine 8', [['runtime.deferreturn', undefined, '/go/src/runtime/panic.go', 610], ['testing.tRunner', undefined, '/go/src/testing/testing.go', 1792]]],
    ]);
    expect(frames('goroutine 1 [running]:\nmain.main\n\t/tmp/x.go:5\n')).toEqual([['goroutine 1', [['main.main', undefined, '/tmp/x.go', 5]]]]);
  });

  it('pre-Go 1 frames: `f+0xac /file.c:1060` then the call line, one frame', () => {
    expect(frames('panic: boom\n\nruntime.panic+0xac /go/src/pkg/runtime/proc.c:1060\n    runtime.panic(0x56e560, 0xf84016dbb0)\nmain.main+0x3d /tmp/a.go:14\n    main.main()\n')).toEqual([
      ['goroutine ? (header not in the paste)', [['runtime.panic', undefined, '/go/src/pkg/runtime/proc.c', 1060], ['main.main', undefined, '/tmp/a.go', 14]]],
    ]);
  });

  it("Windows' `Exception 0xc0000005 ..` opens the signal block; `external code` is cgo", () => {
    const { report } = parseInput({ paste: 'Exception 0xc0000005 0x0 0x0 0x3a903b6\nPC=0x3a903b6\nsignal arrived during external code execution\n\nmain._Cfunc_f(0x1)\n        _cgo_gotypes.go:2691 +0x54\n' });
    expect([report.signal?.name, report.fault?.pc, report.inCgo]).toEqual(['signal 0xc0000005', 0x3a903b6n, true]);
  });

  it('a sanitizer frame: a file without its line, a logger note after it', () => {
    expect(frames('WARNING: ThreadSanitizer: data race (pid=1)\n  Read of size 4 at 0x7b04 by main thread:\n    #0 main::$_0::operator()() a.cpp (a.out+0xebc48)\n    #1 0x5645e237655c in main src/main.cpp:256, r0=1093\n')).toEqual([
      ['Read of size 4 at 0x7b04 by main thread', [['main::$_0::operator()()', 'a.out', 'a.cpp', undefined], ['main', undefined, 'src/main.cpp', 256]]],
    ]);
  });
});
