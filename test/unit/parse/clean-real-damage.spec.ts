import { cleanText } from '../../../src/parse/parse-input';

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
