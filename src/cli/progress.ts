/** What the bar writes to: stderr, or a test's sink. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** A terminal line is redrawn at most this often. */
const REDRAW_MS = 100;
/** Below this size a pipe gets one line per file, not one per 10%. */
const STEPPED_BYTES = 16 * 1024 * 1024;

/**
 * Upload progress on stderr. On a terminal: one line redrawn in place, never wider than
 * the terminal (a line that wraps cannot be redrawn with \r: each redraw would add a
 * line), redrawn only when what it shows changes and at most every 100 ms. On a pipe (CI logs): one line when a
 * file is done, plus one per 10% for large files.
 */
export class ProgressBar {
  private lastPercent = -1;
  private lastLine = '';
  private lastDraw = 0;
  constructor(
    private readonly label: string,
    private readonly stream: ProgressStream = process.stderr,
    private readonly columns = terminalColumns(stream),
  ) {}

  update(done: number, total: number): void {
    const percent = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
    if (this.stream.isTTY) {
      // At most REDRAW_MS apart (a fast upload would redraw per MiB), and the last state always.
      const now = Date.now();
      if (percent < 100 && now - this.lastDraw < REDRAW_MS) return;
      const line = this.fit(percent, done, total);
      if (line === this.lastLine) return;
      this.lastLine = line;
      this.lastDraw = now;
      // \r, the line, then clear to its end (the previous one may have been longer).
      this.stream.write(`\r${line}\x1b[K`);
      return;
    }
    const stepped = total >= STEPPED_BYTES && percent >= this.lastPercent + 10;
    if (stepped || (percent === 100 && this.lastPercent !== 100)) {
      this.stream.write(`${this.label}: ${percent}% (${humanSize(done)} of ${humanSize(total)})\n`);
      this.lastPercent = percent;
    }
  }

  done(): void {
    if (this.stream.isTTY && this.lastLine) this.stream.write('\n');
  }

  /** `label [####....]  42% 1.2 MiB/3.0 MiB`: the bar shrinks first (down to 10), then the label is shortened to fit one line. */
  private fit(percent: number, done: number, total: number): string {
    const max = Math.max(20, this.columns - 1); // writing the last column wraps on some terminals
    const tail = ` ${String(percent).padStart(3)}% ${humanSize(done)}/${humanSize(total)}`;
    const room = max - tail.length;
    let bar = Math.min(30, room - this.label.length - 3);
    if (bar < 10) bar = room >= 10 + 3 + 12 ? 10 : 0; // keep 12 characters of the label before dropping the bar
    const label = elide(this.label, room - (bar > 0 ? bar + 3 : 0));
    const filled = Math.round((percent / 100) * bar);
    const drawn = bar > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(bar - filled)}]` : '';
    return `${label}${drawn}${tail}`.slice(0, max);
  }
}

function terminalColumns(stream: ProgressStream): number {
  const fromEnv = Number(process.env.COLUMNS);
  return stream.columns && stream.columns > 0 ? stream.columns : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

/** `…/the/end/of/a/long/path.so`: the end of a path is what tells files apart. */
function elide(s: string, max: number): string {
  if (s.length <= max) return s;
  return max <= 1 ? '…' : `…${s.slice(s.length - max + 1)}`;
}

/** Bytes for a person: `512 B`, `18.7 KiB`, `3.2 MiB`, `1.1 GiB` (a small file is not "0.0 MB"). */
export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 100 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** One table cell on one line: a multi-line error message would break the table's rows. */
export function oneLine(s: string, max = 160): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Rows as an aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
