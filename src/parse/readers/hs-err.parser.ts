import { CrashReport, HsErrInfo, RawFrame, ThreadTrace } from '../../model/crash-report';
import { FormatReader, nothingToRead } from '../format-reader';
import { MAPS_LINE, parseMapsLine } from './proc-maps.parser';
import { hexAt } from '../hex-field';
import { TextLine } from '../text-lines';

/**
 * HotSpot hs_err_pid logs (vmError.cpp): the `#` header (signal, pc, pid, tid, JRE
 * version, Problematic frame), the current thread, `siginfo`, `Registers`, `Native
 * frames` / `Java frames` (C native, j interpreted, J compiled, A aot, V/v VM) and
 * `Dynamic libraries` (on Linux a /proc/self/maps dump). Pure; every piece keeps its line.
 */

const HEADER_SIGNAL = /^(?:#\s*)?(\S+) \((0x[0-9a-f]+)\) at pc=(0x[0-9a-f]+), pid=(\d+), tid=(0x[0-9a-f]+|\d+)/i;
const FRAME = /^([CjJVvA])\s+(.*)$/;
const UNHASHED_HEADER = /^(?:JRE version:|Java VM:|Problematic frame:$)/;
/** The symbol follows `]` after blanks; text glued to `]` (a shell prompt after a file with no final newline) is not one. */
const MODULE_FRAME = /^\[(.*?)\+(0x[0-9a-f]+)\](?:\s+(.*?)|\S.*)?$/i;
const SYMBOL_OFFSET = /^(.*?)\+(0x[0-9a-f]+)$/i;
const COMPILED_PC = / @ (0x[0-9a-f]+)/i;
/** `Instructions: (pc=0x00007f..)` then `0x00007f..:   8b 00 01 c7 ..` lines: the code around the pc. */
const INSTRUCTIONS = /^Instructions: \(pc=(0x[0-9a-f]+)\)$/i;
const HEX_DUMP = /^(0x[0-9a-f]+):\s+((?:[0-9a-f]{2}\s*)+)$/i;
const REGISTER_PAIR = /\b([A-Z][A-Z0-9]*)\s*=\s*(0x[0-9a-f]+)/gi;

/**
 * Windows' `Dynamic libraries:` lines: `0x00007ff6a4700000 - 0x00007ff6a470d000 \tC:\\..\\javaw.exe`
 * (a module's image range, no permissions or offset: perms are `????`, unknown).
 */
export const WINDOWS_LIBRARY = /^(0x[0-9a-f]{8,16}) - (0x[0-9a-f]{8,16})\s+(\S.*?)\s*$/i;

/** Frame lines only hs_err prints (its reader's strong shapes), for an excerpt without its headings. */
const HEADLESS_FRAME = /^(?:[CjJVvA]\s+\[[^\]]*\+0x[0-9a-f]+\]|C\s+0x[0-9a-f]+$|j\s+\S+\(.*\)\S*\+\d+|J\s+\d+\s+(?:[Cc][12]\s+|JVMCI\s+)?\S+\(.*\(\d+ bytes\)|v\s+~\S+)/i;

type Section = 'none' | 'registers' | 'native' | 'java' | 'libraries' | 'instructions';

export function parseHsErr(lines: TextLine[], field = 'crash_dump'): CrashReport {
  const info: HsErrInfo = { javaFrames: [], inputLine: lines[0]?.no ?? 1 };
  const thread: ThreadTrace = { name: 'current thread', state: 'crashed', crashed: true, format: 'hs-err', inputLine: info.inputLine, frames: [] };
  const report: CrashReport = { inCgo: false, goroutines: [], threads: [thread], registers: {}, mappings: [], hsErr: info };
  let section: Section = 'none';
  let problematicNext = false;

  for (const line of lines) {
    let text = line.text.trim();
    let m: RegExpExecArray | null;
    // The `#` header; a Markdown renderer may have eaten the `#`s (a line starting `# ` is a heading),
    // so its lines are known by their words too.
    const hashed = text.startsWith('#');
    if (hashed || (text !== '' && (problematicNext || HEADER_SIGNAL.test(text) || UNHASHED_HEADER.test(text)))) {
      const body = hashed ? text.replace(/^#\s*/, '') : text;
      if (problematicNext) {
        problematicNext = false;
        const f = body === '' ? undefined : parseFrame(body, line, field);
        if (f && !info.problematicFrame) {
          info.problematicFrame = { ...f, addressKind: 'exact' };
          info.problematicText = body;
        }
      } else if ((m = HEADER_SIGNAL.exec(text)) && info.signal === undefined) {
        info.signal = m[1];
        info.pc = hexAt(m[3], line.no, field);
        info.pid = Number(m[4]);
        info.tid = m[5].startsWith('0x') ? Number(BigInt(m[5])) : Number(m[5]);
        report.signal = { name: m[1], code: m[2], pc: info.pc, text: [text], inputLine: line.no };
      } else if (body.startsWith('JRE version:') && info.jreVersion === undefined) {
        info.jreVersion = body.slice('JRE version:'.length).trim();
      } else if (body.startsWith('Java VM:') && info.javaVm === undefined) {
        info.javaVm = body.slice('Java VM:'.length).trim();
      } else if (body === 'Problematic frame:') {
        problematicNext = true;
      }
      continue;
    }
    if (text === '') {
      // Registers and frames end at a blank line; the libraries dump too.
      if (section !== 'none') section = 'none';
      continue;
    }
    if (text.startsWith('Current thread (') && !info.currentThread) {
      info.currentThread = { text, inputLine: line.no };
      const name = /"([^"]*)"/.exec(text);
      thread.name = name ? name[1] : text.replace(/^Current thread \(0x[0-9a-f]+\):\s*/i, '').split(' ')[0];
      const id = /\bid=(\d+)/.exec(text);
      if (id) thread.tid = Number(id[1]);
      const state = /\[(_thread_\w+)/.exec(text);
      if (state) thread.state = state[1];
      thread.inputLine = line.no;
      continue;
    }
    if (text.startsWith('siginfo:') && !info.siginfo) {
      info.siginfo = { text: text.slice('siginfo:'.length).trim(), inputLine: line.no };
      // `si_signo: 11 (SIGSEGV), si_code: 1 (SEGV_MAPERR), si_addr: 0x0..`: the code by name and the faulting address.
      const code = /si_code: (-?\d+)(?: \((\w+)\))?/.exec(text);
      const addr = /si_addr: (0x[0-9a-f]+)/i.exec(text);
      if (code) info.siginfo.code = { number: Number(code[1]), name: code[2] };
      if (addr) info.siginfo.addr = hexAt(addr[1], line.no, field);
      continue;
    }
    if ((m = INSTRUCTIONS.exec(text))) {
      info.instructions = { pc: hexAt(m[1], line.no, field), lines: [], inputLine: line.no };
      section = 'instructions';
      continue;
    }
    if (section === 'instructions' && (m = HEX_DUMP.exec(text))) {
      info.instructions!.lines.push({ address: hexAt(m[1], line.no, field), bytes: m[2].trim().split(/\s+/).map((b) => parseInt(b, 16)), inputLine: line.no });
      continue;
    }
    if (text === 'Registers:') {
      section = 'registers';
      continue;
    }
    if (text.startsWith('Native frames:')) {
      section = 'native';
      continue;
    }
    if (text.startsWith('Java frames:')) {
      section = 'java';
      continue;
    }
    if (text === 'Dynamic libraries:') {
      section = 'libraries';
      continue;
    }
    if (section === 'registers') {
      for (const r of text.matchAll(REGISTER_PAIR)) report.registers[r[1].toLowerCase()] = hexAt(r[2], line.no, field);
      continue;
    }
    // Frame lines pasted without their `Native frames:` heading (an excerpt) are native frames.
    if (section === 'none' && HEADLESS_FRAME.test(text)) section = 'native';
    if (section === 'native' || section === 'java') {
      const f = parseFrame(text, line, field);
      if (!f) continue; // `...<more frames>...` and notes between frames
      const list = section === 'native' ? thread.frames : info.javaFrames;
      // The first frame of the crashing thread is where it faulted; the rest are return addresses.
      f.addressKind = list.length === 0 && section === 'native' ? 'exact' : 'return';
      list.push(f);
      continue;
    }
    if ((m = WINDOWS_LIBRARY.exec(text))) {
      // Anywhere: a Dynamic libraries section pasted without its heading is still one.
      const start = hexAt(m[1], line.no, field);
      const end = hexAt(m[2], line.no, field);
      if (end > start) report.mappings.push({ start, end, perms: '????', offset: 0n, dev: '', inode: 0, path: m[3], deleted: false, inputLine: line.no });
      continue;
    }
    if (section === 'libraries') {
      const mapping = parseMapsLine(line);
      if (mapping) report.mappings.push(mapping);
      continue;
    }
  }

  // The header's `(0xb)` is the signal number; siginfo says how it came (si_code) and where (si_addr).
  const si = info.siginfo;
  if (report.signal && si?.code) report.signal.code = si.code.name ?? String(si.code.number);
  if (report.signal && si?.addr !== undefined) report.signal.addr = si.addr;
  if (report.signal && si) report.signal.text = [...(report.signal.text ?? []), si.text];
  // The first native frame is the problematic one; the header's pc= is its absolute PC.
  const top = thread.frames[0];
  const pf = info.problematicFrame;
  if (top && pf && top.pc === undefined && info.pc !== undefined && top.module === pf.module && top.moduleOffset === pf.moduleOffset) {
    top.pc = info.pc;
  }
  // A header-only paste (what the JVM prints on stdout) still names the problematic frame.
  if (thread.frames.length === 0 && info.problematicFrame) thread.frames.push({ ...info.problematicFrame, pc: info.problematicFrame.pc ?? info.pc });
  if (thread.frames.length === 0 && info.javaFrames.length > 0) thread.frames.push(...info.javaFrames);
  if (info.signal === undefined && thread.frames.length === 0) {
    // Only its module table (`Dynamic libraries:` alone): a report without threads.
    if (report.mappings.length > 0) report.threads = [];
    else throw nothingToRead(lines, field, `${field} is not a JVM hs_err log: expected "#  SIGSEGV (0xb) at pc=0x..., pid=..., tid=..." and "# Problematic frame:"`);
  }
  report.mappings.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return report;
}

/** One frame line without its `#`: `C  [libc.so.6+0x2fe25]  catgets+0x15`, `J 10 C1 x.y()V (29 bytes) @ 0x.. [..]`. */
export function parseFrame(text: string, line: TextLine, field: string): RawFrame | undefined {
  const m = FRAME.exec(text);
  if (!m) return undefined;
  const type = m[1];
  const rest = m[2].trim();
  const kind: RawFrame['kind'] = type === 'C' ? 'native' : type === 'V' || type === 'v' ? 'jvm' : 'java';
  const frame: RawFrame = { kind, frameType: type, addressKind: 'return', inputLine: line.no };
  let mm: RegExpExecArray | null;
  if ((mm = MODULE_FRAME.exec(rest))) {
    // `C  [+0x40c]  __kernel_rt_sigreturn+0x0`: the vdso, a module with no file name.
    if (mm[1] !== '') frame.module = mm[1];
    frame.moduleOffset = hexAt(mm[2], line.no, field);
    frame.moduleOffsetBase = 'load-base'; // pc - dladdr's dli_fbase (module-relative.ts)
    if (mm[3]) symbol(frame, mm[3], line, field);
  } else if (/^0x[0-9a-f]+$/i.test(rest)) {
    frame.pc = hexAt(rest, line.no, field);
  } else if (kind === 'java') {
    // j  pkg.Cls.m(Ljava/lang/String;)V+85 | J 4582 C2 pkg.Cls.m()V (137 bytes) @ 0x.. [0x..+0x5e2]
    const pc = COMPILED_PC.exec(rest);
    if (pc) frame.pc = hexAt(pc[1], line.no, field);
    const name = rest.replace(/^\d+\s+(?:C[12]\s+|c[12]\s+|JVMCI\s+)?/, '').replace(/\s+\(\d+ bytes\).*$/, '').replace(/\s+@.*$/, '');
    frame.function = name.replace(/\+\d+$/, '').replace(/^\S*\s+(?=\S+\()/, '');
    // `+85` of an interpreted frame: the bytecode index in the method.
    const bci = /\+(\d+)$/.exec(name);
    if (bci) frame.entryOffset = BigInt(bci[1]);
  } else {
    symbol(frame, rest, line, field);
  }
  return frame;
}

function symbol(frame: RawFrame, text: string, line: TextLine, field: string): void {
  const s = SYMBOL_OFFSET.exec(text);
  if (s) {
    frame.function = s[1];
    frame.entryOffset = hexAt(s[2], line.no, field);
  } else frame.function = text;
}


export const hsErrReader: FormatReader = {
  format: 'hs-err',
  description: 'JVM hs_err log',
  expected: 'a JVM hs_err log ("#  SIGSEGV (0xb) at pc=0x..., pid=..., tid=..." and "# Problematic frame:", or its "Native frames:" lines "C  [libfoo.so+0x1139]")',
  shapes: [
    { name: 'banner', re: /^(?:#\s*)?(?:A fatal error has been detected by the Java Runtime Environment|An unexpected error has been detected by (?:HotSpot|Java Runtime)|There is insufficient memory for the Java Runtime Environment)/, role: 'head', glues: true },
    { name: '`# Problematic frame:`', re: /^(?:#\s*)?Problematic frame:$/, role: 'head' },
    { name: 'signal header', re: /^(?:#\s*)?[A-Z_]+ \(0x[0-9a-f]+\) at pc=0x[0-9a-f]+/i, role: 'head' },
    { name: 'section banner', re: /^-{10,}\s+(?:T H R E A D|P R O C E S S|S Y S T E M)\s+-{10,}$/, role: 'head' },
    { name: 'frames heading', re: /^(?:Native|Java) frames: \(J=compiled Java code/, role: 'head' },
    { name: 'stack bounds', re: /^Stack: \[0x[0-9a-f]+,\s*0x[0-9a-f]+\]/i, role: 'head' },
    { name: '`Current thread (0x..)`', re: /^Current thread \(0x[0-9a-f]+\):/i, role: 'head' },
    { name: '`Dynamic libraries:`', re: /^Dynamic libraries:$/, role: 'head' },
    { name: 'module frame `C  [lib.so+0x..]`', re: /^[CjJVvA]\s+\[[^\]]*\+0x[0-9a-f]+\]/i, role: 'strong' },
    { name: 'native frame `C  0x..`', re: /^C\s+0x[0-9a-f]+$/i, role: 'strong' },
    { name: 'Java frame `j  pkg.Cls.m()V+85`', re: /^j\s+\S+\(.*\)\S*\+\d+/, role: 'strong' },
    { name: 'compiled Java frame `J 123 C2 ..`', re: /^J\s+\d+\s+(?:[Cc][12]\s+|JVMCI\s+)?\S+\(.*\(\d+ bytes\)/, role: 'strong' },
    { name: 'VM stub frame `v  ~StubRoutines..`', re: /^v\s+~\S+/, role: 'strong' },
    { name: 'registers `RAX=0x..`', re: /^(?:[A-Z][A-Z0-9]{0,3}\s*=\s*0x[0-9a-f]+[,;\s]*){2,}$/i, role: 'strong' },
    { name: 'signal handler line', re: /^SIG[A-Z0-9]+: .*(?:, mask=[01]+|sa_mask\[0\]=)/, role: 'strong' },
    { name: '`siginfo:`', re: /^siginfo:/, role: 'weak' },
    { name: '`Registers:`', re: /^Registers:$/, role: 'weak' },
    { name: '`#` header line', re: /^#(?:\s|$)/, role: 'weak' },
    { name: 'maps line (Dynamic libraries)', re: MAPS_LINE, role: 'weak' },
    { name: 'Windows library `0x.. - 0x.. path`', re: WINDOWS_LIBRARY, role: 'strong' },
  ],
  read: (lines, field) => parseHsErr(lines, field),
};
