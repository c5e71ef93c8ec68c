import { CrashFormat } from '../model/crash-report';
import { GO_START } from './go-traceback.parser';
import { HS_ERR_START } from './hs-err.parser';
import { isMapsLine } from './proc-maps.parser';
import { TOMBSTONE_START } from './tombstone.parser';
import { TextLine } from './text-lines';

/**
 * One paste can hold several crash texts one after the other, in any order: a Go
 * traceback, a maps snapshot, an hs_err log, a tombstone. Each format has lines no
 * other has; such a line opens a section of its format, which runs until another
 * format's opening line. Maps lines outside an hs_err / tombstone go to the maps
 * section (their shape is unique). Line numbers stay those of the paste; `reasons`
 * say what was decided and why.
 */
export interface PasteSection {
  format: Exclude<CrashFormat, 'maps'>;
  lines: TextLine[];
}

export interface PasteSections {
  sections: PasteSection[];
  maps: TextLine[];
  /** Kept for callers that want the Go part only. */
  traceback: TextLine[];
  reasons: string[];
}

function opener(text: string): PasteSection['format'] | undefined {
  const t = text.trim();
  if (HS_ERR_START.test(t)) return 'hs-err';
  if (TOMBSTONE_START.test(t)) return 'tombstone';
  // hs_err's "Signal Handlers:" lines (`SIGSEGV: crash_handler in libjvm.so, mask=...`) look like Go's `SIGSEGV: ` head.
  if (GO_START.test(t) && !HS_ERR_SIGNAL_HANDLER.test(t)) return 'go';
  return undefined;
}

const HS_ERR_SIGNAL_HANDLER = /^SIG[A-Z0-9]+: .*, mask=[01]+, flags=/;

export function splitPaste(lines: TextLine[]): PasteSections {
  const sections: PasteSection[] = [];
  const maps: TextLine[] = [];
  const reasons: string[] = [];
  let current: PasteSection | undefined;
  let lead: TextLine[] = []; // lines before the first opener (a trace pasted from its middle)
  for (const line of lines) {
    const format = opener(line.text);
    // hs_err repeats its `#` header and tombstones their `*** ***`: same format, same section.
    if (format && format !== current?.format) {
      // A Go header inside a tombstone/hs_err would be odd; a Go head line is a new trace.
      current = { format, lines: [] };
      sections.push(current);
      reasons.push(`line ${line.no}: ${describe(format)} starts ("${line.text.trim().slice(0, 60)}")`);
    }
    const inDump = current?.format === 'hs-err' || current?.format === 'tombstone';
    if (!inDump && isMapsLine(line.text)) {
      maps.push(line);
      continue;
    }
    if (current) current.lines.push(line);
    else lead.push(line);
  }
  if (lead.length > 0) {
    // No opener before these lines: a paste that starts in the middle of a Go trace
    // (frame pairs) belongs to the first Go section, or is one on its own.
    const goFirst = sections[0]?.format === 'go' ? sections[0] : undefined;
    if (goFirst) goFirst.lines.unshift(...lead);
    else if (lead.some((l) => /^\s*\S+\(.*\)\s*$/.test(l.text)) || lead.some((l) => /^\s*goroutine \d+/.test(l.text))) {
      sections.unshift({ format: 'go', lines: lead });
      reasons.push(`lines ${lead[0].no}-${lead[lead.length - 1].no}: no format header, read as the middle of a Go traceback (frame lines "func(args)")`);
    }
    lead = [];
  }
  if (maps.length > 0) {
    reasons.push(
      `lines ${maps[0].no}-${maps[maps.length - 1].no}: ${maps.length} /proc/PID/maps lines ("start-end perms offset dev inode path")`,
    );
  }
  const traceback = sections.filter((s) => s.format === 'go').flatMap((s) => s.lines);
  return { sections, maps, traceback, reasons };
}

function describe(format: PasteSection['format']): string {
  return format === 'go' ? 'Go traceback' : format === 'hs-err' ? 'JVM hs_err log' : 'Android tombstone / logcat crash dump';
}
