import { CrashFormat, CrashReport } from '../model/crash-report';
import { ParseError } from '../model/errors';
import { clip, TextLine } from './text-lines';

/**
 * One crash format the parse stage reads (readers.ts lists them). A reader says which
 * line shapes it recognizes, so detection (detect-sections.ts) can find its section by
 * the shape of the lines alone, header or not, and then reads that section.
 *
 * Shapes are tested against the line with surrounding blanks removed, after cleaning.
 * - `head`: a line only this format prints where a report (or a part of one) starts
 *   (`goroutine 1 [running]:`, `# Problematic frame:`): it opens a section outright.
 * - `strong`: a line only this format prints, typically its frame line
 *   (`#00 pc 000.. /lib.so`, `C  [lib.so+0x..]`): outside a section of this format it
 *   opens one, so an excerpt without its header still finds its reader.
 * - `weak`: a line this format prints that others might too (`main.main()`): it keeps
 *   the line in a section of this format and scores a headless excerpt, nothing more.
 */
export interface LineShape {
  name: string;
  re: RegExp;
  role: 'head' | 'strong' | 'weak';
  /** A head that starts a whole report, so it may be found glued to the prose before it (clean/glued-head.ts). */
  glues?: boolean;
}

export interface FormatReader {
  format: CrashFormat;
  /** In words, for detection's reasons: "Go traceback". */
  description: string;
  /** What a text of this format looks like, for the error on a text nobody can read. */
  expected: string;
  shapes: LineShape[];
  /**
   * A format whose sections this reader may read better, told apart by the shapes in
   * the section (gccgo's tracebacks open like Go's: the frame lines decide).
   */
  refines?: CrashFormat;
  /** Its sections hold only its own lines (maps): the first other line ends one. */
  strict?: boolean;
  /** Reads one section (lines numbered as in the request); throws ParseError when it holds nothing of its format. */
  read(lines: TextLine[], field: string, warn: (message: string) => void): CrashReport;
}

/** An empty report to fill; every reader starts from one. */
export function emptyReport(): CrashReport {
  return { inCgo: false, goroutines: [], threads: [], registers: {}, mappings: [], panics: [] };
}

/**
 * The 422 for a text that holds nothing a reader reads: what was expected, then the first
 * non-blank line quoted with its number (or `whenEmpty`), and that line as the error's place.
 */
export function nothingToRead(lines: TextLine[], field: string, expected: string, whenEmpty = ''): ParseError {
  const first = lines.find((l) => l.text.trim() !== '');
  return new ParseError(`${expected}${first ? `; line ${first.no} reads "${clip(first.text.trim())}"` : whenEmpty}`, { line: first?.no ?? 1, field });
}
