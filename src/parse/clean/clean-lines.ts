import { TextLine } from '../text-lines';
import { unescapeLines, splitEscapedNewlines } from './escapes';
import { stripLineNumbers } from './line-numbers';
import { stripLogPrefixes } from './log-prefix';
import { removeFences, unbold, unquote } from './markdown';
import { splitGluedHeads } from './glued-head';
import { rejoinWrapped } from './wrapped-lines';

/**
 * The cleaning step, before detection: what log pipes, chat tools and Markdown did to
 * a crash text is undone, in the order it was done to it (outermost first): JSON
 * escaping, fences, `> ` quoting and bold markers, Markdown and HTML escapes, log prefixes, syslog's
 * `#011`, a head glued to prose, lines hard-wrapped by a terminal or a logger. Each
 * change is said once per kind, with the lines it touched. Line numbers stay those of
 * the request (a line split in two keeps its number; a re-joined one takes the first).
 */
export interface CleanedLines {
  lines: TextLine[];
  /** One sentence per kind of change, naming the lines. */
  changes: string[];
}

/** What cleaning needs to know of the readers (detect-sections.ts provides it). */
export interface ShapeOracle {
  recognizes(text: string): boolean;
  /** Is it a line that only a crash prints (a head or a frame line), not one any text might hold? */
  opens(text: string): boolean;
  /** Where in a line another text's head starts (a crash glued to prose), or -1. */
  headAt(text: string): number;
}

/** Collects, per kind of change, the lines it touched. */
export class ChangeLog {
  private readonly byKind = new Map<string, number[]>();

  note(kind: string, line: number): void {
    const list = this.byKind.get(kind);
    if (!list) this.byKind.set(kind, [line]);
    else if (list[list.length - 1] !== line) list.push(line);
  }

  sentences(): string[] {
    return [...this.byKind].map(([kind, lines]) => `${kind}: ${lineRanges(lines)} (${lines.length} line(s))`);
  }
}

export function cleanLines(input: TextLine[], shapes: ShapeOracle): CleanedLines {
  const log = new ChangeLog();
  let lines = splitEscapedNewlines(input, log);
  lines = removeFences(lines, log);
  lines = unquote(lines, log);
  lines = unbold(lines, log);
  lines = unescapeLines(lines, log, 'markup');
  // Copied line numbers are outside everything a log did (a viewer added them last)...
  const numbered = stripLineNumbers(lines, log);
  const stripped = stripLogPrefixes(numbered.lines, log);
  lines = unescapeLines(stripped.lines, log, 'syslog');
  let prefixed = stripped.prefixed.map((p, i) => p || numbered.stripped[i]);
  if (lines !== stripped.lines) {
    // A tab-separated prefix under syslog's (logcat via rsyslog) shows once #011 is a tab again.
    const inner = stripLogPrefixes(lines, log);
    lines = inner.lines;
    prefixed = prefixed.map((p, i) => p || inner.prefixed[i]);
  }
  // ...unless the numbered text then went through a logger: its prefix hid them, and another may be under them.
  const under = stripLineNumbers(lines, log);
  if (under.lines !== lines) {
    const inner = stripLogPrefixes(under.lines, log);
    lines = inner.lines;
    prefixed = prefixed.map((p, i) => p || under.stripped[i] || inner.prefixed[i]);
  }
  // A log prefix outside the quoting (a quoted paste that went through a logger): unquote what it hid.
  lines = unbold(unquote(lines, log), log);
  lines = splitGluedHeads(lines, shapes, log);
  lines = rejoinWrapped(lines, prefixed, shapes, log);
  return { lines, changes: log.sentences() };
}

/** `3-40, 45, 50-52` (the first 8 ranges, then how many more). */
export function lineRanges(lines: number[]): string {
  const sorted = [...lines].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1) j++;
    ranges.push(sorted[i] === sorted[j] ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  const shown = ranges.slice(0, 8).join(', ');
  return `line${sorted.length > 1 ? 's' : ''} ${shown}${ranges.length > 8 ? ` and ${ranges.length - 8} more range(s)` : ''}`;
}
