/**
 * One line of the benchmark table: a figure for symbridge beside a baseline measured
 * in the same run, their ratio, and the issue's target with PASS/MISS.
 */
export interface Row {
  section: string;
  metric: string;
  symbridge: string;
  baseline: string;
  ratio?: string;
  target?: string;
  verdict?: 'PASS' | 'MISS' | '';
  note?: string;
}

export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];

  add(row: Row): void {
    this.rows.push(row);
    const v = row.verdict ? ` [${row.verdict}]` : '';
    const t = row.target ? ` target ${row.target}` : '';
    const r = row.ratio ? ` ratio ${row.ratio}` : '';
    process.stdout.write(`  ${row.section} | ${row.metric}: ${row.symbridge} vs ${row.baseline}${r}${t}${v}${row.note ? ` (${row.note})` : ''}\n`);
  }

  note(text: string): void {
    this.notes.push(text);
    process.stdout.write(`  note: ${text}\n`);
  }

  markdown(): string {
    const head = '| # | metric | symbridge | baseline (same run) | ratio | target | verdict | note |\n|---|---|---|---|---|---|---|---|\n';
    const esc = (s?: string) => (s ?? '').replace(/\|/g, '\\|');
    const body = this.rows
      .map((r) => `| ${esc(r.section)} | ${esc(r.metric)} | ${esc(r.symbridge)} | ${esc(r.baseline)} | ${esc(r.ratio)} | ${esc(r.target)} | ${r.verdict ?? ''} | ${esc(r.note)} |`)
      .join('\n');
    const notes = this.notes.length ? `\n\n${this.notes.map((n) => `- ${n}`).join('\n')}` : '';
    return head + body + notes + '\n';
  }
}

export const fmt = {
  n: (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }),
  ms: (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`),
  mb: (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`,
  x: (r: number) => (r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`),
};

/** Ratio verdict: higher is better unless `lowerIsBetter`. */
export function verdict(value: number, target: number, lowerIsBetter = false): 'PASS' | 'MISS' {
  return (lowerIsBetter ? value <= target : value >= target) ? 'PASS' : 'MISS';
}
