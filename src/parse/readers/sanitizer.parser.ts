import { CrashReport, RawFrame, ThreadTrace } from '../../model/crash-report';
import { emptyReport, FormatReader, nothingToRead } from '../format-reader';
import { hexAt } from '../hex-field';
import { clip, TextLine } from '../text-lines';

/**
 * Reports of the compiler-rt sanitizers (ASan, LSan, TSan, MSan, UBSan, HWASan):
 * `==PID==ERROR: AddressSanitizer: heap-use-after-free on address ..` or `WARNING:
 * ThreadSanitizer: data race`, then one stack per part of the story ("READ of size 4 ..
 * thread T0", "freed by thread T0 here:", "previously allocated by ..", "Thread T1 created
 * by .."), each `#0`, `#1` .., and `SUMMARY:`. Frame lines (sanitizer_stacktrace_printer):
 *   `#4 0x7f.. in func file.c:75:3`                      symbolized
 *   `#1 0x7f.. in __libc_start_main (/lib/libc.so.6+0x2082f)`  symbol, module + offset
 *   `#2 0x418f38  (/tmp/a.out+0x418f38) (BuildId: ab12..)`    unsymbolized
 *   `#0 Thread1 race.c:4 (exe+0xa360)`                   TSan: no pc
 * The pc printed is already the previous instruction of the return address
 * (StackTrace::GetPreviousInstructionPc), so frames are `adjusted`; the module offset is
 * pc - dlpi_addr, the load bias: an ELF vaddr. A BuildId names the module's build.
 */

const HEADLINE = /^(?:==\d+==\s*)?(?:ERROR|WARNING): (\w+Sanitizer)(?::\s*(.*))?$/;
const UBSAN = /^(\S+?):(\d+):(?:(\d+):)? runtime error: (.*)$/;
const SUMMARY = /^SUMMARY: (\w+Sanitizer): (.*)$/;
/** `#N 0x.. in func file:line:col (module+0x..) (BuildId: ..)` and its shorter forms. */
const PC_FRAME = /^#(\d+) (0x[0-9a-f]+)(?:\s+(?:in )?(.*))?$/i;
/** TSan's frames: `#N func file:line (module+0x..)`, no pc. */
const TSAN_FRAME = /^#(\d+) (?!0x)(\S.*?) \(([^()\s]+)\+(0x[0-9a-f]+)\)(?: \(BuildId: ([0-9a-f]+)\))?$/i;
const MODULE_TAIL = /\s*\(([^()\s]+?)\+(0x[0-9a-f]+)\)(?: \(BuildId: ([0-9a-f]+)\))?$/i;
const BUILD_TAIL = /\s*\(BuildId: ([0-9a-f]+)\)$/i;
/** (Markdown that took a `*` of the symbol for emphasis may leave `_*` after the line: `file.cpp:56_*`.) */
const FILE_TAIL = /\s+((?:[A-Za-z]:)?[^\s:]+):(\d+)(?::(\d+))?(?:_\*|\*)?$/;
const SOURCE_ONLY_TAIL = /\s+((?:[A-Za-z]:)?[^\s:()<>]+\.(?:c|cc|cpp|cxx|h|hh|hpp|hxx|inc|m|mm|rs|go|s|S|cu|swift|zig))$/;
const LOGGER_NOTE = /,\s*\w+=\S+$/;
const ARCH_SUFFIX = /:(?:x86_64h?|arm64e?|i386|armv7[sk]?|aarch64)$/;
/** A deadly signal: `SEGV on unknown address 0x000 (pc 0x.. bp .. sp .. T0)`. */
const DEADLY = /^(SEGV|BUS|FPE|ILL|ABRT|stack-overflow) on (?:unknown )?address (0x[0-9a-f]+)/i;

export function parseSanitizer(lines: TextLine[], field = 'traceback'): CrashReport {
  const report = emptyReport();
  const threads: ThreadTrace[] = [];
  let current: ThreadTrace | undefined;
  let caption: TextLine | undefined; // the last line before a stack: what the stack is
  let lastNo = -1;
  let interrupted: { stack: ThreadTrace; no: number; by: TextLine } | undefined; // the stack one unknown line ended
  let m: RegExpExecArray | null;

  for (const line of lines) {
    const text = line.text.trim();
    if (text === '' || /^=+$/.test(text)) continue;
    const frame = parseFrame(text, line, field);
    if (frame) {
      const no = frame.no;
      // Another program's line between two frames (`sh: 1: addr2line: not found` in a server's log): the
      // numbering goes on, so does the stack (a stack after a caption starts again at #0).
      if (!current && interrupted && no === interrupted.no + 1 && caption === interrupted.by) {
        current = interrupted.stack;
        lastNo = interrupted.no;
      }
      interrupted = undefined;
      // A new stack starts at #0 (or wherever a cut paste starts).
      if (!current || no <= lastNo) {
        const name = caption ? clip(caption.text.trim().replace(/:$/, ''), 100) : report.headline?.text;
        current = { name: name ?? 'stack', state: threads.length === 0 ? 'crashed' : 'related', crashed: threads.length === 0, format: 'sanitizer', inputLine: line.no, frames: [] };
        threads.push(current);
      }
      lastNo = no;
      current.frames.push(frame.frame);
      caption = undefined;
      continue;
    }
    if (current && !interrupted) interrupted = { stack: current, no: lastNo, by: line };
    else interrupted = undefined; // two lines between frames: the stack ended
    current = undefined;
    lastNo = -1;
    if ((m = HEADLINE.exec(text)) || (m = UBSAN.exec(text))) {
      report.headline ??= { text, inputLine: line.no };
      const what = HEADLINE.test(text) ? (m[2] ?? '') : '';
      const sig = DEADLY.exec(what);
      if (sig && !report.signal) {
        const name = sig[1].toUpperCase() === 'STACK-OVERFLOW' ? 'SIGSEGV' : `SIG${sig[1].toUpperCase()}`;
        report.signal = { name, description: what, addr: hexAt(sig[2], line.no, field), inputLine: line.no };
        const pc = /\(pc (0x[0-9a-f]+)/i.exec(what);
        if (pc) report.fault = { pc: hexAt(pc[1], line.no, field), source: 'signal-pc', inputLine: line.no };
      }
    } else if (SUMMARY.test(text)) {
      report.headline ??= { text, inputLine: line.no };
      continue;
    } else if (/^==\d+==/.test(text)) {
      continue; // `==32==Hint: ..`, `==32==The signal is caused by ..`: notes, the stack stays the headline's
    }
    caption = line;
  }

  if (threads.length === 0) {
    if (report.headline) {
      // A report whose stacks were cut away (or `SUMMARY:` alone) still says what happened.
      threads.push({ name: report.headline.text, state: 'crashed', crashed: true, format: 'sanitizer', inputLine: report.headline.inputLine, frames: [] });
    } else {
      throw nothingToRead(lines, field, `${field} holds no sanitizer report: expected "==1==ERROR: AddressSanitizer: ..." and frames "#0 0x4e1b4b in main file.c:5:10"`);
    }
  }
  report.threads = threads;
  return report;
}

function parseFrame(text: string, line: TextLine, field: string): { no: number; frame: RawFrame } | undefined {
  const frame: RawFrame = { kind: 'native', addressKind: 'adjusted', inputLine: line.no };
  let m: RegExpExecArray | null;
  let rest: string;
  let no: number;
  if ((m = PC_FRAME.exec(text))) {
    no = Number(m[1]);
    frame.pc = hexAt(m[2], line.no, field);
    // A logger that runs each frame through a tool notes its result after it (SRS: `.. (srs+0x3d8295), r0=1094`).
    rest = (m[3] ?? '').trim().replace(LOGGER_NOTE, '');
  } else if ((m = TSAN_FRAME.exec(text))) {
    no = Number(m[1]);
    rest = m[2];
    frame.module = m[3].replace(ARCH_SUFFIX, '');
    frame.moduleOffset = hexAt(m[4], line.no, field);
    frame.moduleOffsetBase = 'elf-vaddr';
    if (m[5]) frame.buildId = m[5].toLowerCase();
  } else return undefined;

  const mod = MODULE_TAIL.exec(rest);
  if (mod) {
    // macOS prints the slice's architecture after the module (`libdyld.dylib:x86_64+0x1144`).
    frame.module = mod[1].replace(ARCH_SUFFIX, '');
    frame.moduleOffset = hexAt(mod[2], line.no, field);
    frame.moduleOffsetBase = 'elf-vaddr'; // pc - dlpi_addr (sanitizer_common's module list)
    if (mod[3]) frame.buildId = mod[3].toLowerCase();
    rest = rest.slice(0, mod.index).trim();
  } else {
    const b = BUILD_TAIL.exec(rest);
    if (b) {
      frame.buildId = b[1].toLowerCase();
      rest = rest.slice(0, b.index).trim();
    }
  }
  const file = FILE_TAIL.exec(` ${rest}`);
  if (file) {
    // TSan prints `<null>:3` for a frame without a file.
    if (file[1] !== '<null>') {
      frame.file = file[1];
      frame.line = Number(file[2]);
    }
    rest = ` ${rest}`.slice(0, file.index).trim();
  } else {
    // `func <null>` (TSan without a file) and `func+0x1f` (no debug info).
    rest = rest.replace(/\s+<null>$/, '');
    // The symbolizer knew the file but not the line: the printer writes the file alone (`main::$_0::operator()() a.cpp`).
    const only = SOURCE_ONLY_TAIL.exec(rest);
    if (only) {
      frame.file = only[1];
      rest = rest.slice(0, only.index).trim();
    }
  }
  const off = /^(.*\S)\+(0x[0-9a-f]+)$/i.exec(rest);
  if (off) {
    rest = off[1];
    frame.entryOffset = hexAt(off[2], line.no, field);
  }
  if (rest !== '' && rest !== '<null>' && rest !== '<unknown>') frame.function = rest;
  return { no, frame };
}

export const sanitizerReader: FormatReader = {
  format: 'sanitizer',
  description: 'sanitizer report (ASan/LSan/TSan/MSan/UBSan)',
  expected: 'a sanitizer report ("==1==ERROR: AddressSanitizer: ..." with frames "#0 0x4e1b4b in main file.c:5:10")',
  shapes: [
    { name: '`==PID==ERROR: AddressSanitizer: ..`', re: /^(?:==\d+==\s*)?(?:ERROR|WARNING): \w+Sanitizer\b/, role: 'head', glues: true },
    // Not `glues`: unanchored, `\S+:` would rescan a long unbroken line from every position.
    { name: 'UBSan `file.c:3:5: runtime error: ..`', re: /^\S+:\d+:(?:\d+:)? runtime error: /, role: 'head' },
    { name: '`SUMMARY: ..Sanitizer:`', re: /^SUMMARY: \w+Sanitizer: /, role: 'strong' },
    { name: 'frame `#0 0x.. in f (module+0x..)`', re: /^#\d+ 0x[0-9a-f]+ .*\([^()\s]+\+0x[0-9a-f]+\)(?: \(BuildId: [0-9a-f]+\))?$/i, role: 'strong' },
    { name: 'frame `#0 0x.. in f file.c:5:10`', re: /^#\d+ 0x[0-9a-f]+ in \S.*:\d+(?::\d+)?(?: \(BuildId: [0-9a-f]+\))?$/i, role: 'strong' },
    { name: 'TSan frame `#0 f file.c:4 (exe+0x..)`', re: TSAN_FRAME, role: 'strong' },
    { name: 'frame `#0 0x.. in f`', re: /^#\d+ 0x[0-9a-f]+(?: in \S.*)?$/i, role: 'weak' },
    { name: 'stack caption', re: /^(?:(?:READ|WRITE|Read|Write|Atomic \w+|Previous \w+(?: of size \d+)?) .*(?:thread T\d+|main thread)|(?:freed|previously allocated|allocated|Thread T\d+ .*created) by .*|(?:Direct|Indirect) leak of .*|Uninitialized value was .*|.* is located .*|Shadow bytes .*|HINT: .*)/, role: 'weak' },
  ],
  read: (lines, field) => parseSanitizer(lines, field),
};
