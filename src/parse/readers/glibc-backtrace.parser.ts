import { CrashReport, RawFrame, ThreadTrace } from '../../model/crash-report';
import { emptyReport, FormatReader, nothingToRead } from '../format-reader';
import { hexAt } from '../hex-field';
import { TextLine } from '../text-lines';
import { MAPS_LINE, parseMapsLine } from './proc-maps.parser';

/**
 * glibc's backtrace_symbols()/backtrace_symbols_fd() lines (debug/backtracesyms.c), as
 * programs print them from a signal handler and as glibc's own abort printed them
 * before 2.26 (`*** Error in `./prog': double free ...`, `======= Backtrace: =========`,
 * `======= Memory map: ========` + /proc/self/maps):
 *   `./prog(main+0x1f)[0x400abc]`    symbol + offset from it, then the absolute pc
 *   `libfoo.so(+0x1230) [0x7f..]`   no symbol: the offset is from the link map's l_addr,
 *                                   the load bias, so it is already an ELF vaddr
 *   `/lib/libc.so.6[0x3846e71834]`  no symbol, older glibc: only the pc
 *   `[0x7f..]`                      not in any object dladdr knows
 * The pcs are return addresses (what backtrace() collected); the first frames are
 * usually the handler itself. Newer glibc prints a space before `[`; both are read.
 */

/** `path(sym+0x1f) [0x..]`, `path(+0x1230)[0x..]`, `path() [0x..]`; an optional `#3 ` / `3: ` before. */
const FRAME = /^(?:#?\d{1,3}:?\s+)?([^\s()[\]][^()[\]]*?)\(([^()\s]*)\)\s?\[(0x[0-9a-f]+)\]$/i;
/** `/lib/libc.so.6[0x3846e71834]` (a path, no parentheses). */
const PATH_FRAME = /^(?:#?\d{1,3}:?\s+)?(\/[^\s()[\]]*|\.{1,2}\/[^\s()[\]]*)\s?\[(0x[0-9a-f]+)\]$/i;
const BARE_FRAME = /^(?:#?\d{1,3}:?\s+)?\[(0x[0-9a-f]+)\]$/i;
const SYMBOL = /^(.*?)([+-])(0x[0-9a-f]+)$/i;
/**
 * glibc's malloc_printerr before 2.26: `*** Error in `./prog': free(): invalid pointer: 0x.. ***`,
 * older `*** glibc detected *** ./prog: ...`; Markdown often shows it as `**\* glibc detected **\*`.
 */
const GLIBC_ERROR = /^\*\*\\?\* (?:Error in `[^']*'|glibc detected \*\*\\?\* \S+?):? (.*?)(?: \*\*\*)?$/;

export function parseGlibcBacktrace(lines: TextLine[], field = 'traceback'): CrashReport {
  const report = emptyReport();
  const thread: ThreadTrace = { name: 'backtrace', state: 'crashed', crashed: true, format: 'glibc-backtrace', inputLine: lines[0]?.no ?? 1, frames: [] };
  for (const line of lines) {
    const text = line.text.trim();
    if (text === '') continue;
    if (GLIBC_ERROR.test(text)) {
      report.headline ??= { text, inputLine: line.no };
      continue;
    }
    const frame = parseFrame(text, line, field);
    if (frame) {
      if (thread.frames.length === 0) thread.inputLine = line.no;
      thread.frames.push(frame);
      continue;
    }
    if (MAPS_LINE.test(text)) {
      const mapping = parseMapsLine(line);
      if (mapping) report.mappings.push(mapping);
    }
  }
  if (thread.frames.length === 0 && report.mappings.length === 0) {
    throw nothingToRead(lines, field, `${field} holds no backtrace_symbols frames: expected lines like "./prog(main+0x1f)[0x400abc]"`);
  }
  if (thread.frames.length > 0) report.threads = [thread];
  return report;
}

function parseFrame(text: string, line: TextLine, field: string): RawFrame | undefined {
  let m: RegExpExecArray | null;
  const frame: RawFrame = { kind: 'native', addressKind: 'return', inputLine: line.no };
  if ((m = FRAME.exec(text))) {
    frame.module = m[1].trim();
    frame.pc = hexAt(m[3], line.no, field);
    const sym = SYMBOL.exec(m[2]);
    if (sym && sym[1] === '') {
      // `(+0x1230)`: pc - l_addr, the load bias (backtracesyms.c sets dli_saddr = l_addr).
      if (sym[2] === '+') {
        frame.moduleOffset = hexAt(sym[3], line.no, field);
        frame.moduleOffsetBase = 'elf-vaddr';
      }
    } else if (sym) {
      frame.function = sym[1];
      // `sym-0x..` (pc before the symbol dladdr found) is kept as the name alone.
      if (sym[2] === '+') frame.entryOffset = hexAt(sym[3], line.no, field);
    } else if (m[2] !== '') frame.function = m[2];
    return frame;
  }
  if ((m = PATH_FRAME.exec(text))) {
    frame.module = m[1];
    frame.pc = hexAt(m[2], line.no, field);
    return frame;
  }
  if ((m = BARE_FRAME.exec(text))) {
    frame.pc = hexAt(m[1], line.no, field);
    return frame;
  }
  return undefined;
}

export const glibcBacktraceReader: FormatReader = {
  format: 'glibc-backtrace',
  description: 'glibc backtrace_symbols output',
  expected: 'glibc backtrace_symbols lines ("./prog(main+0x1f)[0x400abc]", "libfoo.so(+0x1230) [0x7f..]")',
  shapes: [
    { name: '`*** Error in `prog`: ...`', re: /^\*\*\\?\* (?:Error in `[^']*'|glibc detected \*\*\\?\*)/, role: 'head', glues: true },
    { name: '`======= Backtrace: =========`', re: /^=+ Backtrace: =+$/, role: 'head' },
    { name: '`======= Memory map: ========`', re: /^=+ Memory map: =+$/, role: 'head' },
    { name: 'frame `prog(sym+0x1f)[0x..]`', re: FRAME, role: 'strong' },
    { name: 'frame `/lib/libc.so.6[0x..]`', re: PATH_FRAME, role: 'strong' },
    { name: 'frame `[0x..]`', re: BARE_FRAME, role: 'weak' },
    { name: 'maps line (Memory map)', re: MAPS_LINE, role: 'weak' },
  ],
  read: (lines, field) => parseGlibcBacktrace(lines, field),
};
