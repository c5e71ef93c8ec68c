import { humanSize, oneLine, ProgressBar, ProgressStream } from '../../../src/cli/progress';

/** What a terminal shows: the text after the last \r of each line (and \x1b[K, clear to end of line, removed). */
function sink(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  const stream: ProgressStream = { isTTY, columns, write: (s: string) => writes.push(s) };
  return { stream, writes, all: () => writes.join('') };
}

describe('the upload progress bar', () => {
  it('on an 80-column terminal: one line redrawn in place, never wider than 79 columns, redrawn only on change', () => {
    const t = sink(true, 80);
    const label = '/home/someone/work/a/very/long/path/to/the/build/output/directory/libsomething-with-a-long-name.so.debug';
    const bar = new ProgressBar(label, t.stream);
    const total = 1_234_567_890;
    for (let sent = 0; sent <= total; sent += 1 << 20) bar.update(sent, total);
    bar.update(total, total);
    bar.done();
    const out = t.all();
    expect(out.split('\n')).toHaveLength(2); // one line, ended once by done()
    const frames = out.replace(/\n$/, '').split('\r').filter((f) => f !== '');
    for (const f of frames) expect(f.replace(/\x1b\[K/g, '').length).toBeLessThanOrEqual(79);
    // 1178 updates in a few milliseconds: drawn at most every 100 ms, and the final state.
    expect(frames.length).toBeLessThan(10);
    expect(frames.at(-1)).toMatch(/…[^ ]*long-name\.so\.debug \[#{10}\] 100% 1\.1 GiB\/1\.1 GiB\x1b\[K$/);
  });

  it('redraws when 100 ms have passed and what it shows changed', async () => {
    const t = sink(true, 80);
    const bar = new ProgressBar('lib.so', t.stream);
    bar.update(10, 100);
    bar.update(20, 100); // too soon: not drawn
    expect(t.writes).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 120));
    bar.update(30, 100);
    expect(t.writes).toHaveLength(2);
    expect(t.writes[1]).toMatch(/ 30% 30 B\/100 B/);
  });

  it('a narrow terminal drops the bar before the file name, and never wraps', () => {
    const t = sink(true, 30);
    const bar = new ProgressBar('build/libcrashy.so', t.stream);
    bar.update(500, 1000);
    const line = t.all().replace(/^\r/, '').replace(/\x1b\[K$/, '');
    expect(line.length).toBeLessThanOrEqual(29);
    expect(line).toBe('…bcrashy.so  50% 500 B/1000 B'); // the end of the name kept, the bar dropped
  });

  it('the columns come from COLUMNS when the stream does not know them', () => {
    const before = process.env.COLUMNS;
    process.env.COLUMNS = '40';
    try {
      const t = sink(true);
      new ProgressBar('x'.repeat(100), t.stream).update(1, 2);
      expect(t.all().replace(/^\r/, '').replace(/\x1b\[K$/, '').length).toBeLessThanOrEqual(39);
    } finally {
      if (before === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = before;
    }
  });

  it('on a pipe: one line per small file, one per 10% for a large one', () => {
    const small = sink(false);
    const a = new ProgressBar('libcrashy.so', small.stream);
    for (let s = 0; s <= 19192; s += 1000) a.update(s, 19192);
    a.update(19192, 19192);
    a.done();
    expect(small.writes).toEqual(['libcrashy.so: 100% (18.7 KiB of 18.7 KiB)\n']);
    const large = sink(false);
    const b = new ProgressBar('big.debug', large.stream);
    const total = 200 * 1024 * 1024;
    for (let s = 0; s <= total; s += 1 << 20) b.update(s, total);
    expect(large.writes.length).toBe(11);
    expect(large.writes.at(-1)).toBe('big.debug: 100% (200 MiB of 200 MiB)\n');
  });
});

describe('sizes and table cells', () => {
  it('sizes for a person, never 0.0 MB', () => {
    expect([0, 512, 19192, 5840, 3 * 1024 * 1024 + 200_000, 1_234_567_890].map(humanSize)).toEqual(['0 B', '512 B', '18.7 KiB', '5.7 KiB', '3.2 MiB', '1.1 GiB']);
  });
  it('a multi-line message becomes one bounded line', () => {
    expect(oneLine('HTTP 422: bad\n  thing\n\nmore')).toBe('HTTP 422: bad thing more');
    expect(oneLine('x'.repeat(500))).toHaveLength(160);
  });
});
