import { CrashReport } from '../model/crash-report';
import { SymbridgeError } from '../model/errors';
import { splitPaste } from './detect-format';
import { parseGoTraceback } from './go-traceback.parser';
import { parseMapsLine, parseProcMaps } from './proc-maps.parser';
import { toLines } from './text-lines';

/** The crash texts of one request, as the API received them. */
export interface CrashInput {
  traceback?: string;
  maps?: string;
  /** A single paste holding everything; its sections are detected. */
  paste?: string;
}

export interface ParsedInput {
  report: CrashReport;
  /** How the paste was split, for the result's diagnostics. */
  detection: string[];
}

/** parse stage entry point: text -> CrashReport with mappings. */
export function parseInput(input: CrashInput): ParsedInput {
  const detection: string[] = [];
  let report: CrashReport;
  if (input.paste !== undefined) {
    const sections = splitPaste(toLines(input.paste));
    detection.push(...sections.reasons);
    report = parseGoTraceback(sections.traceback, 'paste');
    report.mappings = sections.maps.map((l) => parseMapsLine(l)!).sort((a, b) => (a.start < b.start ? -1 : 1));
  } else {
    if (!input.traceback || input.traceback.trim() === '') {
      throw new SymbridgeError('INPUT_EMPTY', 'traceback is empty: send the Go traceback text (stderr of the crash)', {
        field: 'traceback',
      });
    }
    // A traceback field may still carry the maps after it (one paste in one field).
    const sections = splitPaste(toLines(input.traceback));
    detection.push(...sections.reasons.map((r) => `traceback ${r}`));
    report = parseGoTraceback(sections.traceback, 'traceback');
    const mapsLines = input.maps ? parseProcMaps(toLines(input.maps), 'maps') : [];
    const inline = sections.maps.map((l) => parseMapsLine(l)!);
    report.mappings = [...mapsLines, ...inline].sort((a, b) => (a.start < b.start ? -1 : 1));
  }
  return { report, detection };
}
