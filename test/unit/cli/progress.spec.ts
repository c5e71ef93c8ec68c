import { humanSize, oneLine, ProgressBar, ProgressStream } from '../../../src/cli/progress';
import { screen } from '../../support/terminal';

/** A stream that records what was written. */
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
    let updates = 0;
    for (let sent = 0; sent <= total; sent += 1 << 20, updates++) bar.update(sent, total);
    bar.update(total, total);
    bar.done();
    const { lines, frames, widest } = screen(t.all());
    expect(lines).toHaveLength(2); // one line, ended once by done()
    expect(lines[1]).toBe('');
    expect(widest).toBeLessThanOrEqual(79);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(79);
    // 1178 updates in a few milliseconds: drawn at most every 100 ms, and the final state.
    expect(updates).toBeGreaterThan(1000);
    expect(frames.length).toBeLessThan(10);
    expect(t.writes.length).toBeLessThan(40);
    expect(frames[0]).toMatch(/…[^ ]*long-name\.so\.debug \[\.{10}\]   0% 0 B\/1\.1 GiB$/);
    expect(lines[0]).toMatch(/^…[^ ]*long-name\.so\.debug \[#{10}\] 100% 1\.1 GiB\/1\.1 GiB$/);
  });

  it('redraws at most every 100 ms, the latest state; done() draws the last one', async () => {
    const t = sink(true, 80);
    const bar = new ProgressBar('lib.so', t.stream);
    try {
      bar.update(10, 100);
      bar.update(20, 100); // too soon: not drawn
      expect(screen(t.all()).frames).toEqual([expect.stringMatching(/^lib\.so \[#{3}\.{27}\]  10% 10 B\/100 B$/)]);
      await new Promise((r) => setTimeout(r, 150));
      expect(screen(t.all()).frames.at(-1)).toMatch(/ 20% 20 B\/100 B$/);
      bar.update(30, 100);
    } finally {
      bar.done();
    }
    const { lines, frames } = screen(t.all());
    expect(frames.at(-1)).toMatch(/ 30% 30 B\/100 B$/);
    expect(lines).toEqual([frames.at(-1), '']);
  });

  it('an upload spread over time is redrawn about every 100 ms, not per update', async () => {
    const t = sink(true, 80);
    const bar = new ProgressBar('lib.so', t.stream);
    const started = Date.now();
    try {
      for (let sent = 0; sent <= 60; sent++) {
        bar.update(sent, 60);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      bar.done();
    }
    const elapsed = Date.now() - started;
    const { frames, lines } = screen(t.all());
    expect(frames.length).toBeGreaterThanOrEqual(3); // it does redraw while the upload runs
    expect(frames.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 2); // the first, one per 100 ms, the last
    expect(lines[0]).toMatch(/ 100% 60 B\/60 B$/);
  });

  it('a narrow terminal drops the bar before the file name, and never wraps', () => {
    const t = sink(true, 30);
    const bar = new ProgressBar('build/libcrashy.so', t.stream);
    bar.update(500, 1000);
    bar.done();
    const { lines, widest } = screen(t.all());
    expect(widest).toBeLessThanOrEqual(29);
    expect(lines[0]).toBe('…crashy.so  50% 500 B/1000 B'); // the end of the name kept, the bar dropped
  });

  it('the columns come from COLUMNS when the stream does not know them', () => {
    const before = process.env.COLUMNS;
    process.env.COLUMNS = '40';
    try {
      const t = sink(true);
      const bar = new ProgressBar('x'.repeat(100), t.stream);
      bar.update(1, 2);
      bar.done();
      const { lines, widest } = screen(t.all());
      expect(widest).toBeLessThanOrEqual(39);
      expect(lines[0]).toMatch(/^…x+ \[#{5}\.{5}\]  50% 1 B\/2 B$/);
    } finally {
      if (before === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = before;
    }
  });

  it('done() without an update (the upload failed first) writes nothing', () => {
    const t = sink(true, 80);
    new ProgressBar('lib.so', t.stream).done();
    expect(t.writes).toEqual([]);
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
