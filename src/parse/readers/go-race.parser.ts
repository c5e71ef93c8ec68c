import { CrashReport, RawFrame, ThreadTrace } from '../../model/crash-report';
import { emptyReport, FormatReader, nothingToRead } from '../format-reader';
import { hexAt } from '../hex-field';
import { TextLine } from '../text-lines';
import { FUNC_LINE, GO_FRAME_SHAPES } from './go-traceback.parser';

/**
 * The Go race detector's report (runtime/race, ThreadSanitizer's Go mode), between
 * `==================` lines:
 *   WARNING: DATA RACE
 *   Write at 0x00c0000a0010 by goroutine 7:      one stack per access...
 *     main.main.func1()
 *         /tmp/race.go:9 +0x38
 *   Previous read at 0x00c0000a0010 by main goroutine:
 *   Goroutine 7 (running) created at:            ...and per goroutine where it started
 * Each part is a thread of its own (the first access is the one the report is about);
 * frames are Go's `func(args)` + `file:line +0x..` pairs with no pc.
 */

const WARNING = /^WARNING: DATA RACE$/;
/** `Read at 0x.. by goroutine 7:`; Go 1.1 printed no address (`Read by goroutine 13:`). */
const ACCESS = /^((?:Previous )?(?:[Aa]tomic )?(?:[Rr]ead|[Ww]rite))(?: at (0x[0-9a-f]+))? by (?:goroutine (\d+)|(main) goroutine):$/;
const CREATED = /^Goroutine (\d+) \(([^)]*)\) created at:$/;
const FILE = /^(.+?):(\d+)(?: \+(0x[0-9a-f]+))?$/i;

export function parseGoRace(lines: TextLine[], field = 'traceback'): CrashReport {
  const report = emptyReport();
  const threads: ThreadTrace[] = [];
  let current: ThreadTrace | undefined;
  let pending: RawFrame | undefined;
  let m: RegExpExecArray | null;
  // A function line whose file line never came (the paste was cut after it): the frame is known, its place is not,
  // as the traceback reader keeps it.
  const flush = () => {
    if (pending && current) current.frames.push(pending);
    pending = undefined;
  };
  for (const line of lines) {
    const text = line.text.trim();
    if (text === '' || /^=+$/.test(text)) {
      flush();
      continue;
    }
    if (WARNING.test(text)) {
      flush();
      report.headline ??= { text, inputLine: line.no };
      current = undefined;
      continue;
    }
    if ((m = ACCESS.exec(text)) || (m = CREATED.exec(text))) {
      flush();
      const access = ACCESS.test(text);
      const name = text.replace(/:$/, '');
      current = { name, state: access ? 'racing' : m[2], crashed: threads.length === 0, format: 'go-race', inputLine: line.no, frames: [] };
      threads.push(current);
      pending = undefined;
      continue;
    }
    if (!current) continue;
    if (pending && (m = FILE.exec(text))) {
      pending.file = m[1];
      pending.line = Number(m[2]);
      if (m[3]) pending.entryOffset = hexAt(m[3], line.no, field);
      current.frames.push(pending);
      pending = undefined;
      continue;
    }
    if ((m = FUNC_LINE.exec(text))) {
      pending = { kind: 'go', function: m[1], args: m[2], addressKind: 'return', inputLine: line.no };
      continue;
    }
    pending = undefined;
  }
  flush();
  if (threads.length === 0) {
    throw nothingToRead(lines, field, `${field} holds no Go race report: expected "WARNING: DATA RACE" and "Write at 0x... by goroutine 7:" then frames`);
  }
  report.threads = threads;
  return report;
}

export const goRaceReader: FormatReader = {
  format: 'go-race',
  description: 'Go race detector report',
  expected: 'a Go race report ("WARNING: DATA RACE", "Read at 0x... by goroutine 7:" and its frames)',
  shapes: [
    { name: '`WARNING: DATA RACE`', re: WARNING, role: 'head', glues: true },
    { name: 'access `Write at 0x.. by goroutine 7:`', re: ACCESS, role: 'head' },
    { name: '`Goroutine 7 (running) created at:`', re: CREATED, role: 'head' },
    ...GO_FRAME_SHAPES.map((s) => ({ ...s, role: 'weak' as const })),
    { name: '`Found 2 data race(s)`', re: /^Found \d+ data race\(s\)$/, role: 'weak' },
  ],
  read: (lines, field) => parseGoRace(lines, field),
};
