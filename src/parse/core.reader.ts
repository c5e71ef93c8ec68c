import { RangeSource } from '../adapters/range-source.adapter';
import { CoreFile, readCore } from '../core/core-file';
import { CrashReport, ThreadTrace } from '../model/crash-report';
import { Mapping } from '../model/mapping';

/**
 * The core-file reader: not one of the text readers (a core is binary and read by
 * range), but the same CrashReport out: one thread per LWP with its registers, the
 * signal from NT_SIGINFO, mappings from NT_FILE plus the anonymous PT_LOADs (stacks,
 * heap) and the vdso, so normalize places PCs exactly as it does for /proc/PID/maps.
 */
export interface CoreReport {
  report: CrashReport;
  core: CoreFile;
}

const SIGNALS: Record<number, [string, string]> = {
  1: ['SIGHUP', 'hangup'], 2: ['SIGINT', 'interrupt'], 3: ['SIGQUIT', 'quit'], 4: ['SIGILL', 'illegal instruction'],
  5: ['SIGTRAP', 'trace/breakpoint trap'], 6: ['SIGABRT', 'aborted'], 7: ['SIGBUS', 'bus error'],
  8: ['SIGFPE', 'floating-point exception'], 9: ['SIGKILL', 'killed'], 11: ['SIGSEGV', 'segmentation violation'],
  13: ['SIGPIPE', 'broken pipe'], 15: ['SIGTERM', 'terminated'], 24: ['SIGXCPU', 'CPU time limit exceeded'],
  25: ['SIGXFSZ', 'file size limit exceeded'], 31: ['SIGSYS', 'bad system call'],
};
/** si_code names for the fault signals (asm-generic/siginfo.h); <= 0 means sent by a process. */
const CODES: Record<number, Record<number, string>> = {
  11: { 1: 'SEGV_MAPERR', 2: 'SEGV_ACCERR', 3: 'SEGV_BNDERR', 4: 'SEGV_PKUERR' },
  7: { 1: 'BUS_ADRALN', 2: 'BUS_ADRERR', 3: 'BUS_OBJERR' },
  4: { 1: 'ILL_ILLOPC', 2: 'ILL_ILLOPN', 3: 'ILL_ILLADR', 4: 'ILL_ILLTRP', 5: 'ILL_PRVOPC' },
  8: { 1: 'FPE_INTDIV', 2: 'FPE_INTOVF', 3: 'FPE_FLTDIV' },
};
const SENT: Record<number, string> = { 0: 'SI_USER', [-6]: 'SI_TKILL', [-1]: 'SI_QUEUE', 128: 'SI_KERNEL' };

export function signalName(n: number): string {
  return SIGNALS[n]?.[0] ?? `signal ${n}`;
}

export async function readCoreReport(src: RangeSource, name = 'core_dump'): Promise<CoreReport> {
  const core = await readCore(src, name);
  const mappings: Mapping[] = [];
  for (const f of core.files) {
    for (const m of f.mappings) {
      const deleted = f.path.endsWith(' (deleted)');
      mappings.push({ start: m.start, end: m.end, perms: m.perms, offset: m.offset, dev: '', inode: 0, path: deleted ? f.path.slice(0, -10) : f.path, deleted, inputLine: 0 });
    }
  }
  const byFile = [...mappings];
  for (const s of core.segments) {
    if (byFile.some((m) => m.start <= s.vaddr && s.vaddr < m.end)) continue;
    const path = s.vaddr === core.vdso ? '[vdso]' : s.vaddr === 0xffffffffff600000n ? '[vsyscall]' : '';
    mappings.push({ start: s.vaddr, end: s.vaddr + s.memsz, perms: `${s.flags & 4 ? 'r' : '-'}${s.flags & 2 ? 'w' : '-'}${s.flags & 1 ? 'x' : '-'}p`, offset: 0n, dev: '', inode: 0, path, deleted: false, inputLine: 0 });
  }
  mappings.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  const info = core.siginfo;
  const signo = info?.signo ?? core.threads[core.crashed].signal;
  const crashedThread = core.threads[core.crashed];
  const report: CrashReport = {
    formats: [],
    inCgo: false,
    goroutines: [],
    threads: core.threads.map(
      (t, i): ThreadTrace => ({ name: `thread ${t.tid}`, tid: t.tid, state: i === core.crashed ? 'crashed' : 'stopped', crashed: i === core.crashed, inputLine: 0, frames: [] }),
    ),
    registers: crashedThread.registers,
    mappings,
  };
  if (signo) {
    const [sig, description] = SIGNALS[signo] ?? [`signal ${signo}`, undefined];
    const code = info ? (CODES[signo]?.[info.code] ?? SENT[info.code] ?? `code ${info.code}`) : undefined;
    report.signal = { name: sig, description, code, addr: info?.addr, pc: crashedThread.registers.rip, inputLine: 0 };
    const who = info?.senderPid !== undefined ? `, sent by pid ${info.senderPid}` : '';
    const at = info?.addr !== undefined ? ` at address 0x${info.addr.toString(16)}` : '';
    report.headline = { text: `${sig}${description ? ` (${description})` : ''}${code ? ` ${code}` : ''}${at}${who} in thread ${crashedThread.tid}${core.psinfo ? ` of ${core.psinfo.fname} (pid ${core.psinfo.pid})` : ''}`, inputLine: 0 };
  }
  return { report, core };
}
