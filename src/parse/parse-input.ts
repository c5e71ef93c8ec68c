import { CrashReport } from '../model/crash-report';
import { ParseError, SymbridgeError } from '../model/errors';
import { cleanLines } from './clean/clean-lines';
import { SectionDetector } from './detect-sections';
import { emptyReport, nothingToRead } from './format-reader';
import { parseProcMaps } from './readers/proc-maps.parser';
import { READERS } from './readers';
import { capLongLines, MAX_LINE_CHARS, TextLine, toLines } from './text-lines';

/** The crash texts of one request, as the API received them. */
export interface CrashInput {
  traceback?: string;
  maps?: string;
  /** A single paste holding everything; its sections are detected. */
  paste?: string;
  /** Another crash text (an hs_err log, a tombstone), e.g. the JVM's report of the crash the Go traceback also shows. */
  crash_dump?: string;
}

export interface ParsedInput {
  report: CrashReport;
  /** What cleaning changed in the text (prefixes, quoting, escapes, wraps), with the lines. */
  cleaning: string[];
  /** How the text was split into sections, and why. */
  detection: string[];
  /** Parts that could not be read (a partly parseable paste): said, not thrown. */
  warnings: string[];
}

const detector = new SectionDetector(READERS);

/**
 * parse stage entry point: text -> CrashReport. Each text is cleaned (clean/), split
 * into sections by the shapes of its lines (detect-sections.ts), and each section read
 * by its format's reader (readers.ts). A text that holds only mappings (a maps snapshot,
 * hs_err `Dynamic libraries:`, a tombstone's memory map) is a report without threads.
 */
export function parseInput(input: CrashInput): ParsedInput {
  if (input.paste !== undefined) return parseText(input.paste, 'paste', undefined);
  const has = (t: string | undefined) => t !== undefined && t.trim() !== '';
  if (!has(input.traceback) && !has(input.crash_dump)) {
    if (has(input.maps)) return { report: { ...emptyReport(), formats: ['maps'], mappings: parseProcMaps(toLines(input.maps!), 'maps') }, cleaning: [], detection: [], warnings: [] };
    throw new SymbridgeError('INPUT_EMPTY', 'traceback is empty: send the Go traceback text (stderr of the crash) or crash_dump (an hs_err log or tombstone)', {
      field: 'traceback',
    });
  }
  // A traceback field may still carry the maps (or an hs_err / tombstone) after it.
  const parsed = has(input.traceback) ? prefixed(parseText(input.traceback!, 'traceback', input.maps), 'traceback') : undefined;
  if (!has(input.crash_dump)) return parsed!;
  const dump = prefixed(parseText(input.crash_dump!, 'crash_dump', parsed ? undefined : input.maps), 'crash_dump');
  if (!parsed) return dump;
  // Both texts of one crash (a Go c-shared library in a JVM): one report, the traceback's parts first.
  merge(parsed.report, dump.report);
  parsed.report.mappings.sort(byStart);
  return {
    report: parsed.report,
    cleaning: [...parsed.cleaning, ...dump.cleaning],
    detection: [...parsed.detection, ...dump.detection],
    warnings: [...parsed.warnings, ...dump.warnings],
  };
}

/** The cleaning step alone (tests derive counts from the cleaned text independently of the readers). */
export function cleanText(text: string): TextLine[] {
  return cleanLines(capLongLines(toLines(text)).lines, detector).lines;
}

function prefixed(p: ParsedInput, field: string): ParsedInput {
  return { ...p, cleaning: p.cleaning.map((r) => `${field} ${r}`), detection: p.detection.map((r) => `${field} ${r}`) };
}

function parseText(text: string, field: string, mapsText: string | undefined): ParsedInput {
  const { lines: raw, cut } = capLongLines(toLines(text));
  const cleaned = cleanLines(raw, detector);
  const split = detector.split(cleaned.lines);
  const warnings: string[] = cut
    .slice(0, 5)
    .map((c) => `${field} line ${c.no}: ${c.length} characters long, only its first ${MAX_LINE_CHARS} were read`);
  if (cut.length > 5) warnings.push(`${field}: ${cut.length - 5} more lines over ${MAX_LINE_CHARS} characters were cut`);
  const warn = (message: string) => warnings.push(message);
  const report: CrashReport = { ...emptyReport(), formats: [] };
  let firstError: ParseError | undefined;

  for (const section of split.sections) {
    let part: CrashReport;
    try {
      part = section.reader.read(section.lines, field, warn);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      firstError ??= err;
      warnings.push(`${err.message} (section from line ${section.lines[0]?.no ?? '?'} skipped)`);
      continue;
    }
    merge(report, part);
    report.formats!.push(section.reader.format);
  }
  if (mapsText) {
    report.mappings.push(...parseProcMaps(toLines(mapsText), 'maps'));
    report.formats!.push('maps');
  }
  report.mappings.sort(byStart);
  report.formats = [...new Set(report.formats)]; // in input order, each once

  const frames = report.goroutines.length + (report.threads?.length ?? 0);
  if (frames === 0 && report.mappings.length === 0) {
    if (firstError) throw firstError;
    throw noCrash(raw, field);
  }
  return { report, cleaning: cleaned.changes, detection: split.reasons, warnings };
}

const byStart = (a: { start: bigint }, b: { start: bigint }) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

function merge(into: CrashReport, part: CrashReport): void {
  into.formats = [...(into.formats ?? []), ...(part.formats ?? [])];
  into.headline ??= part.headline;
  into.signal ??= part.signal;
  into.fault ??= part.fault;
  into.inCgo ||= part.inCgo;
  // One crash's blocks: a second Go text's goroutines keep their stacks, not its blocks.
  if (into.signalBlocks && part.signalBlocks) for (const g of part.goroutines) g.block = undefined;
  into.signalBlocks ??= part.signalBlocks;
  into.goroutines.push(...part.goroutines);
  into.threads!.push(...(part.threads ?? []));
  into.panics!.push(...(part.panics ?? []));
  into.registers = { ...part.registers, ...into.registers };
  into.mappings.push(...part.mappings);
  into.hsErr ??= part.hsErr;
  into.tombstone ??= part.tombstone;
}

function noCrash(lines: TextLine[], field: string): ParseError {
  const expected = [...new Set(READERS.map((r) => r.expected))].join(', or ');
  return nothingToRead(lines, field, `${field} holds no crash this service can read: expected ${expected}`, '; the text is empty');
}
