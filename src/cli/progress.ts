import { SingleBar } from 'cli-progress';

/** What the bar writes to: stderr, or a test's sink. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** A terminal line is redrawn at most this often (cli-progress's `fps`). */
const REDRAW_FPS = 10;
/** Below this size a pipe gets one line per file, not one per 10%. */
const STEPPED_BYTES = 16 * 1024 * 1024;
/** The widest `humanSize` of a size of 1 KiB or more (`1023 KiB`, `99.9 MiB`). */
const SIZE_WIDTH = 8;

/**
 * Upload progress on stderr. On a terminal: cli-progress draws one line in place, redrawn
 * only when what it shows changes and at most every 100 ms, and the last state at done().
 * The layout is fitted once, when the size is known, to one column less than the terminal
 * (a line that wraps cannot be redrawn in place: each redraw would add a line).
 * On a pipe (CI logs): our own lines, one when a file is done plus one per 10% for large
 * files (cli-progress's notty mode prints on a timer, one line per interval, not per file).
 */
export class ProgressBar {
  private lastPercent = -1;
  private bar?: SingleBar;
  constructor(
    private readonly label: string,
    private readonly stream: ProgressStream = process.stderr,
    private readonly columns = terminalColumns(stream),
  ) {}

  update(done: number, total: number): void {
    if (this.stream.isTTY) {
      const sizes = { sent: humanSize(done), size: humanSize(total) };
      if (this.bar) {
        this.bar.setTotal(total);
        this.bar.update(done, sizes);
      } else {
        this.bar = this.startBar(done, total, sizes);
      }
      return;
    }
    const percent = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
    const stepped = total >= STEPPED_BYTES && percent >= this.lastPercent + 10;
    if (stepped || (percent === 100 && this.lastPercent !== 100)) {
      this.stream.write(`${this.label}: ${percent}% (${humanSize(done)} of ${humanSize(total)})\n`);
      this.lastPercent = percent;
    }
  }

  /** Draws the last state and ends the line; stops cli-progress's redraw timer (it keeps the process alive). */
  done(): void {
    this.bar?.stop();
  }

  /**
   * `label [##########]  42% 1.2 MiB/3.0 MiB`, fitted to the widest tail this total can show:
   * the bar shrinks first (30 down to 10), then the label is shortened (its end kept), and
   * the bar is dropped before the label goes under 12 characters.
   */
  private startBar(done: number, total: number, sizes: { sent: string; size: string }): SingleBar {
    const max = Math.max(20, this.columns - 1); // writing the last column wraps on some terminals
    const size = humanSize(total);
    const tail = ' 100% '.length + (total < 1024 ? size.length : Math.max(SIZE_WIDTH, size.length)) + 1 + size.length;
    const room = max - tail;
    let barsize = Math.min(30, room - this.label.length - 3);
    if (barsize < 10) barsize = room >= 10 + 3 + 12 ? 10 : 0;
    const label = elide(this.label, room - (barsize > 0 ? barsize + 3 : 0));
    const bar = new SingleBar({
      // cli-progress substitutes once: a `{` or `$` in a file name is printed as it is.
      format: `{label}${barsize > 0 ? ' [{bar}]' : ''} {percentage}% {sent}/{size}`,
      barsize,
      barCompleteChar: '#',
      barIncompleteChar: '.',
      autopadding: true, // ` 42%`: the percentage keeps its width
      fps: REDRAW_FPS,
      // Keep the terminal's own wrapping setting (false would switch autowrap off until
      // stop(), and a crash before it would leave the user's terminal that way); the line
      // is already fitted, and cli-progress cuts it at the terminal's width as well.
      linewrap: true,
      hideCursor: false,
      stream: this.stream as NodeJS.WritableStream,
    });
    bar.start(total, done, { label, ...sizes });
    return bar;
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
