import { CrashReport } from '../model/crash-report';
import { ParseError, SymbridgeError } from '../model/errors';
import { splitPaste } from './detect-format';
import { parseGoTraceback } from './go-traceback.parser';
import { parseHsErr } from './hs-err.parser';
import { stripLogPrefixes } from './log-prefix';
import { clip, parseMapsLine, parseProcMaps } from './proc-maps.parser';
import { parseTombstone } from './tombstone.parser';
import { TextLine, toLines } from './text-lines';

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
  /** How the paste was split, for the result's diagnostics. */
  detection: string[];
  /** Parts that could not be read (a partly parseable paste): said, not thrown. */
  warnings: string[];
}

/** parse stage entry point: text -> CrashReport with mappings. */
export function parseInput(input: CrashInput): ParsedInput {
  if (input.paste !== undefined) return parseText(input.paste, 'paste', undefined);
  const hasTraceback = !!input.traceback && input.traceback.trim() !== '';
  const hasDump = !!input.crash_dump && input.crash_dump.trim() !== '';
  if (!hasTraceback && !hasDump) {
    throw new SymbridgeError('INPUT_EMPTY', 'traceback is empty: send the Go traceback text (stderr of the crash) or crash_dump (an hs_err log or tombstone)', {
      field: 'traceback',
    });
  }
  // A traceback field may still carry the maps (or an hs_err / tombstone) after it.
  const parsed = hasTraceback ? parseText(input.traceback!, 'traceback', input.maps) : undefined;
  if (parsed) parsed.detection = parsed.detection.map((r) => `traceback ${r}`);
  if (!hasDump) return parsed!;
  const dump = parseText(input.crash_dump!, 'crash_dump', parsed ? undefined : input.maps);
  dump.detection = dump.detection.map((r) => `crash_dump ${r}`);
  if (!parsed) return dump;
  // Both texts of one crash (a Go c-shared library in a JVM): one report, the traceback's parts first.
  merge(parsed.report, dump.report);
  parsed.report.formats!.push(...(dump.report.formats ?? []));
  parsed.report.mappings.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return { report: parsed.report, detection: [...parsed.detection, ...dump.detection], warnings: [...parsed.warnings, ...dump.warnings] };
}

function parseText(text: string, field: string, mapsText: string | undefined): ParsedInput {
  const stripped = stripLogPrefixes(toLines(text));
  const split = splitPaste(stripped.lines);
  const detection = [...stripped.reasons, ...split.reasons];
  const warnings: string[] = [];
  const report: CrashReport = { formats: [], inCgo: false, goroutines: [], threads: [], registers: {}, mappings: [], panics: [] };
  let firstError: ParseError | undefined;

  for (const section of split.sections) {
    let part: CrashReport;
    try {
      part =
        section.format === 'go'
          ? parseGoTraceback(section.lines, field)
          : section.format === 'hs-err'
            ? parseHsErr(section.lines, field)
            : parseTombstone(section.lines, field);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      firstError ??= err;
      warnings.push(`${err.message} (section from line ${section.lines[0]?.no ?? '?'} skipped)`);
      continue;
    }
    merge(report, part);
    report.formats!.push(section.format);
  }
  const mapsLines = mapsText ? parseProcMaps(toLines(mapsText), 'maps') : [];
  // A line shaped like maps may still not be a mapping (end <= start): said, not kept.
  const inline = split.maps.flatMap((l) => {
    const m = parseMapsLine(l);
    if (!m) warnings.push(`line ${l.no}: not a usable mapping (its end is not above its start): ${clip(l.text)}`);
    return m ? [m] : [];
  });
  report.mappings = [...report.mappings, ...mapsLines, ...inline].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (inline.length > 0 || mapsLines.length > 0) report.formats!.push('maps');

  // A dump cut before its backtrace still says which signal, where: that is a result.
  const found = report.goroutines.length + (report.threads?.length ?? 0);
  if (found === 0) {
    if (firstError) throw firstError;
    throw noCrash(stripped.lines, field);
  }
  return { report, detection, warnings };
}

function merge(into: CrashReport, part: CrashReport): void {
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
  const first = lines.find((l) => l.text.trim() !== '');
  return new ParseError(
    `${field} holds no crash this service can read: expected a Go traceback ("goroutine 1 [running]:" then frames), ` +
      `a JVM hs_err log ("# Problematic frame:") or an Android tombstone ("#00 pc 000... /path/lib.so")` +
      (first ? `; line ${first.no} reads "${clip(first.text.trim())}"` : '; the text is empty'),
    { line: first?.no ?? 1, field },
  );
}
