/** A progress bar on stderr when it is a terminal; otherwise a line every 10%. */
export class ProgressBar {
  private lastPercent = -1;
  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number): void {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${mb(done)}/${mb(total)} MB`);
    } else if (percent >= this.lastPercent + 10 || (percent === 100 && this.lastPercent !== 100)) {
      this.stream.write(`${this.label}: ${percent}% (${mb(done)}/${mb(total)} MB)\n`);
      this.lastPercent = percent;
    }
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

function mb(n: number): string {
  return (n / (1024 * 1024)).toFixed(1);
}

/** Rows as an aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
