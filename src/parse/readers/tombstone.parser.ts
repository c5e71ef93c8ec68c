import { CrashReport, RawFrame, ThreadTrace, TombstoneInfo } from '../../model/crash-report';
import { Mapping } from '../../model/mapping';
import { hexAt } from '../hex-field';
import { FormatReader, nothingToRead } from '../format-reader';
import { TextLine } from '../text-lines';

/**
 * Android tombstones and the same dump in logcat (debuggerd, libdebuggerd/tombstone.cpp):
 * header (fingerprint, ABI, pid/tid/name, signal, Abort message), register pairs,
 * `backtrace:` frames `#NN pc 000.. /path/lib.so (sym+off) (BuildId: ..)`, other threads
 * after `--- --- ---`, and `memory map`. Log prefixes are removed before (log-prefix.ts).
 * Frame pcs are ELF-relative (module + moduleOffset), never absolute.
 */

const FINGERPRINT = /^Build fingerprint: '([^']*)'/;
const ABI = /^ABI: '([^']*)'/;
/** (A reporter who replaced the process name often dropped the blank before `<<<`.) */
const PID_LINE = /^pid: (\d+), tid: (\d+)(?:, name: (.*?))?\s+>>> (.*?)\s*<<<$/;
/** (GrapheneOS's crash report writes `signal: 6 (SIGABRT), code -1 (SI_QUEUE)`.) */
const SIGNAL = /^signal:? (\d+) \((\w+)\), code (-?\d+) \(([^)]*)\)(?:, fault addr (\S+))?/;
/**
 * libc's one-line report, as each Android version wrote it: `Fatal signal 11 (SIGSEGV), code 1
 * (SEGV_MAPERR), fault addr 0x0 in tid 14110 (name)`, without `fault addr` for a kill
 * (`code -6 in tid ..`), and 4.x's `Fatal signal 6 (SIGABRT) at 0x000044cc (code=-6), thread 17612 (name)`.
 */
const FATAL_SIGNAL =
  /Fatal signal (\d+) \((\w+)\)(?:, code (-?\d+)(?: \(([^)]*)\))?)?(?:,? (?:fault addr|at) (\S+?),?)?(?: \(code=(-?\d+)\),)? (?:in tid|thread) (\d+) \(([^)]*)\)/;
const ABORT = /^Abort message: '(.*)'$/;
/** GrapheneOS's crash report: `key: value` lines (`osVersion:` is the fingerprint) and module-first frames. */
const GOS_ABORT = /^abortMessage: (.*)$/;
const GOS_OS = /^osVersion: (\S+)$/;
const GOS_THREAD = /^threadName: (.+)$/;
/** `/apex/../libc.so (abort+156, pc 7beac)`, `/system/lib64/libfoo.so (pc 1234)`: the same ELF-relative pc, module first. */
const MODULE_FIRST_FRAME = /^(\/\S+) \((?:(.+)\+(\d+), )?pc ([0-9a-f]+)\)$/i;
/**
 * `#00 pc ..`; ART's abort dump prints the same after `native: ` (`runtime.cc:558]` is a log
 * prefix); crash-reporter SDKs (xCrash and the like) print `#00  pc 0x00..`, and a pc in no
 * module as `#23 pc 0x716355f0` alone.
 */
const FRAME = /^(?:native: )?#(\d+)\s+pc\s+(?:0x)?([0-9a-f]+)(?:\s+(.*))?$/i;
/**
 * Android 5's ART abort dump names frames by symbol and absolute pc, with no number:
 * `native: JNI_OnLoad+369 [0x43dd7d02] (libjnispeex.so)`, `native: ??? [0x419812d2] (libart.so)`.
 */
const ART_ABSOLUTE_FRAME = /^native: (.+?) \[(0x[0-9a-f]+)\] \(([^()\s]+)\)$/i;
const REGISTER_LINE = /^(?:[a-z0-9]{1,6}\s+[0-9a-f]{8,16}\s*)+$/i;
const REGISTER_PAIR = /([a-z0-9]{1,6})\s+([0-9a-f]{8,16})/gi;
const MEMORY_MAP_LINE =
  /^(?:--->)?\s*([0-9a-f']+)-([0-9a-f']+)\s+([r-][w-][x-])\s+([0-9a-f]+)\s+([0-9a-f]+)(?:\s+(.*?))?\s*$/i;

export function parseTombstone(lines: TextLine[], field = 'crash_dump'): CrashReport {
  const info: TombstoneInfo = { inputLine: lines[0]?.no ?? 1 };
  const threads: ThreadTrace[] = [];
  const report: CrashReport = { inCgo: false, goroutines: [], threads, registers: {}, mappings: [], tombstone: info };
  let current: ThreadTrace | undefined;
  let inMemoryMap = false;
  let lastFrameNo = 0; // the number printed on the current thread's last frame
  const newThread = (line: TextLine, tid?: number, name?: string) => {
    current = { name: name ? `tid ${tid ?? '?'} "${name}"` : `tid ${tid ?? '?'}`, tid, state: 'crashed', format: 'tombstone', inputLine: line.no, frames: [] };
    current.crashed = threads.length === 0;
    if (!current.crashed) current.state = 'running';
    threads.push(current);
  };

  for (const line of lines) {
    const text = line.text.trim();
    let m: RegExpExecArray | null;
    if (text === '') continue;
    if (inMemoryMap) {
      const mapping = memoryMapLine(text, line);
      if (mapping) {
        report.mappings.push(mapping);
        continue;
      }
      // `--->Fault address falls at 00000007 before any mapped regions`: a note inside the map.
      if (text.startsWith('--->')) continue;
      inMemoryMap = false;
    } else {
      // A paste of the map's lines without its `memory map:` heading (an excerpt of a long tombstone).
      const mapping = memoryMapLine(text, line);
      if (mapping) {
        report.mappings.push(mapping);
        inMemoryMap = true;
        continue;
      }
    }
    if ((m = FINGERPRINT.exec(text)) || (m = GOS_OS.exec(text))) {
      info.buildFingerprint = m[1];
      const v = /:(\d+)(?:\.[\d.]+)?\//.exec(m[1]);
      if (v) info.androidVersion = Number(v[1]);
    } else if ((m = ABI.exec(text))) info.abi = m[1];
    else if ((m = PID_LINE.exec(text))) {
      if (info.pid === undefined) {
        info.pid = Number(m[1]);
        info.tid = Number(m[2]);
        info.threadName = m[3]?.trim() || undefined;
        info.processName = m[4];
      }
      if (!current || threads.length > 0) newThread(line, Number(m[2]), m[3]?.trim() || undefined);
    } else if ((m = SIGNAL.exec(text))) {
      report.signal = { name: m[2], code: m[3], description: m[4], text: [text], inputLine: line.no };
      if (m[5] && /^(0x)?[0-9a-f]+$/i.test(m[5])) report.signal.addr = hexAt(m[5], line.no, field);
      info.faultAddr = m[5];
    } else if ((m = FATAL_SIGNAL.exec(text))) {
      if (!report.signal) {
        report.signal = { name: m[2], code: m[3] ?? m[6], description: m[4], text: [text], inputLine: line.no };
        if (m[5] && /^(0x)?[0-9a-f]+$/i.test(m[5])) report.signal.addr = hexAt(m[5], line.no, field);
        info.faultAddr = m[5];
        info.tid ??= Number(m[7]);
        info.threadName ??= m[8];
      }
    } else if ((m = ABORT.exec(text)) || (m = GOS_ABORT.exec(text))) info.abortMessage = m[1];
    else if ((m = GOS_THREAD.exec(text))) info.threadName ??= m[1].trim();
    else if (/^memory map( \(\d+ entries\))?:/.test(text)) inMemoryMap = true;
    else if ((m = FRAME.exec(text))) {
      // Numbering back at #00 after #01.. with no header between: the next thread's stack
      // (a reporter's `Thread:` line). xCrash numbers every frame #00, which stays one thread.
      if (current && Number(m[1]) === 0 && current.frames.length > 0 && lastFrameNo > 0) newThread(line);
      if (!current) newThread(line, info.tid, info.threadName);
      current!.frames.push(frame(m, line, field));
      lastFrameNo = Number(m[1]);
    } else if ((m = MODULE_FIRST_FRAME.exec(text))) {
      if (!current) newThread(line, info.tid, info.threadName);
      const f: RawFrame = { kind: 'native', addressKind: 'return', moduleOffset: hexAt(m[4], line.no, field), moduleOffsetBase: 'elf-vaddr', module: m[1], inputLine: line.no };
      if (m[2] !== undefined) f.function = m[2];
      if (m[3] !== undefined) f.entryOffset = BigInt(m[3]);
      current!.frames.push(f);
    } else if ((m = ART_ABSOLUTE_FRAME.exec(text))) {
      if (!current) newThread(line, info.tid, info.threadName);
      const f: RawFrame = { kind: 'native', addressKind: 'return', pc: hexAt(m[2], line.no, field), module: m[3], inputLine: line.no };
      const sym = /^(.*)\+(\d+)$/.exec(m[1]);
      if (m[1] !== '???') f.function = sym ? sym[1] : m[1];
      if (sym) f.entryOffset = BigInt(sym[2]);
      current!.frames.push(f);
    } else if (REGISTER_LINE.test(text) && threads.length <= 1) {
      for (const r of text.matchAll(REGISTER_PAIR)) {
        // Old ARM dumps print r10 as "10".
        const name = /^\d+$/.test(r[1]) ? `r${r[1]}` : r[1].toLowerCase();
        if (report.registers[name] === undefined) report.registers[name] = hexAt(r[2], line.no, field);
      }
    }
  }

  // A dump cut before its threads (only libc's `Fatal signal` line) still names the crashed tid.
  if (threads.length === 0 && report.signal) newThread(lines[0], info.tid, info.threadName);
  // Android 11+ unwinders print #01.. already adjusted to the call; older ones print
  // return addresses. Unknown version: BuildId in frames came with the newer unwinder.
  const v = info.androidVersion;
  const adjusted = v !== undefined ? v >= 11 : threads.some((t) => t.frames.some((f) => f.buildId));
  const textAt = new Map(lines.map((l) => [l.no, l.text]));
  for (const t of threads) {
    t.frames.forEach((f, i) => {
      const no = Number(/^(?:native: )?#(\d+)/.exec(textAt.get(f.inputLine)?.trim() ?? '')?.[1] ?? i);
      // Only the thread's first frame can be #00 the fault (xCrash numbers every frame #00).
      f.addressKind = no === 0 && i === 0 && t.crashed ? 'exact' : adjusted ? 'adjusted' : 'return';
    });
  }
  // Only its memory map (a tombstone cut to it) is a module table without threads, not an error.
  const mapOnly = threads.length === 0 && report.mappings.length > 0;
  if (!mapOnly && threads.every((t) => t.frames.length === 0) && !report.signal) {
    throw nothingToRead(lines, field, `${field} is not an Android tombstone: expected "signal 11 (SIGSEGV), code 1 (...)" and "#00 pc 000... /path/lib.so" frames`);
  }
  report.mappings.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return report;
}

function frame(m: RegExpExecArray, line: TextLine, field: string): RawFrame {
  let rest = (m[3] ?? '').trim();
  // libunwindstack prints the ELF-relative pc: already an ELF vaddr (module-relative.ts).
  const f: RawFrame = { kind: 'native', addressKind: 'return', moduleOffset: hexAt(m[2], line.no, field), moduleOffsetBase: 'elf-vaddr', inputLine: line.no };
  const build = /\s*\(BuildId: ([0-9a-f]+)\)$/i.exec(rest);
  if (build) {
    f.buildId = build[1].toLowerCase();
    rest = rest.slice(0, build.index);
  }
  // Play Console's copy names the ABI and build id after the path: `libgojni.so [arm64-v8a::8e57b7f5..]`.
  const abiBuild = /\s*\[[\w-]+::([0-9a-f]{8,})\]$/i.exec(rest);
  if (abiBuild) {
    f.buildId ??= abiBuild[1].toLowerCase();
    rest = rest.slice(0, abiBuild.index);
  }
  rest = rest.replace(/\s*\(offset 0x[0-9a-f]+\)/i, '');
  // The symbol is the last balanced `(...)` group; it may itself hold parentheses.
  if (rest.endsWith(')')) {
    let depth = 0;
    for (let i = rest.length - 1; i >= 0; i--) {
      if (rest[i] === ')') depth++;
      else if (rest[i] === '(' && --depth === 0) {
        let sym = rest.slice(i + 1, -1);
        rest = rest.slice(0, i).trim();
        // A symbolizing reporter adds the source: `(runtime.futex [sys_linux_arm64.s:665])`.
        const src = /^(.*?) \[([^\]\s]+):(\d+)\]$/.exec(sym);
        if (src) {
          sym = src[1];
          f.file = src[2];
          f.line = Number(src[3]);
        }
        const off = /^(.*)\+(\d+)$/.exec(sym);
        // `()`: the unwinder found no symbol (some crash reporters print the empty parentheses).
        if ((off ? off[1] : sym) !== '') f.function = off ? off[1] : sym;
        if (off) f.entryOffset = BigInt(off[2]);
        break;
      }
    }
  }
  if (rest !== '<unknown>' && rest !== '') f.module = rest;
  return f;
}

function memoryMapLine(text: string, line: TextLine): Mapping | undefined {
  const m = MEMORY_MAP_LINE.exec(text);
  if (!m) return undefined;
  let name = m[6] ?? '';
  name = name.replace(/\s*\((?:BuildId: [0-9a-f]+|load (?:bias|base) 0x[0-9a-f]+)\)/gi, '').trim();
  const start = BigInt(`0x${m[1].replace(/'/g, '')}`);
  // Tombstones print the inclusive last byte; maps uses the exclusive end.
  const end = BigInt(`0x${m[2].replace(/'/g, '')}`) + 1n;
  return { start, end, perms: `${m[3]}p`, offset: BigInt(`0x${m[4]}`), dev: '', inode: 0, path: name, deleted: false, inputLine: line.no };
}


export const tombstoneReader: FormatReader = {
  format: 'tombstone',
  description: 'Android tombstone / logcat crash dump',
  expected: 'an Android tombstone ("signal 11 (SIGSEGV), code 1 (...)" and "#00 pc 000... /path/lib.so" frames)',
  shapes: [
    { name: '`*** *** ***` banner', re: /^\*\*\* \*\*\* \*\*\*/, role: 'head', glues: true },
    { name: 'build fingerprint', re: /^Build fingerprint: '/, role: 'head' },
    { name: '`backtrace:`', re: /^backtrace:$/, role: 'head' },
    { name: 'signal line', re: /^(?:Fatal signal \d+ \(SIG|signal:? \d+ \(SIG\w+\), code )/, role: 'head', glues: true },
    { name: 'pid line', re: PID_LINE, role: 'head' },
    { name: '`memory map:`', re: /^memory map(?: \(\d+ entries\))?:/, role: 'head' },
    { name: 'frame `#00 pc 000..`', re: /^(?:native: )?#\d{2,}\s+pc\s+(?:0x)?[0-9a-f]{4,16}(?:\s|$)/, role: 'strong' },
    { name: 'ART frame `native: f+12 [0x..] (lib.so)`', re: ART_ABSOLUTE_FRAME, role: 'strong' },
    { name: 'module-first frame `/lib.so (f+12, pc 1a2b)`', re: MODULE_FIRST_FRAME, role: 'strong' },
    { name: 'memory map line', re: MEMORY_MAP_LINE, role: 'strong' },
    { name: '`ABI:` / `Abort message:`', re: /^(?:ABI: '|Abort message: ')/, role: 'strong' },
    { name: 'register line', re: REGISTER_LINE, role: 'weak' },
    { name: 'thread separator', re: /^--- --- ---/, role: 'weak' },
    // ART's thread dumps (abort, SIGQUIT) around the same `native: #00 pc` frames.
    { name: 'ART thread line `| sysTid=..`', re: /^\| (?:group|sCount|sysTid|state|stack|held mutexes)=/, role: 'weak' },
    { name: 'ART thread header `"main" prio=5 tid=1 ..`', re: /^"[^"]*" (?:daemon )?prio=\d+ tid=\d+ \w+/, role: 'weak' },
  ],
  read: (lines, field) => parseTombstone(lines, field),
};
