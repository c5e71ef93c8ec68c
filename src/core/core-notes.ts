import { ElfNote } from '../elf/notes';

/**
 * The notes a Linux core carries (linux/elfcore.h, glibc sys/procfs.h), x86_64
 * layouts. Each decoder checks the size it needs and returns undefined for a note
 * that is too short: a lying note is a diagnostic, never an out-of-bounds read.
 */
export const NT_PRSTATUS = 1;
export const NT_FPREGSET = 2;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_SIGINFO = 0x53494749;
export const NT_FILE = 0x46494c45;

/** user_regs_struct order (arch/x86/include/asm/user_64.h): how pr_reg lays them out. */
export const X86_64_PR_REG = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
const PR_REG_AT = 112;
const PRSTATUS_SIZE = PR_REG_AT + X86_64_PR_REG.length * 8;

export interface PrStatus {
  /** pr_info.si_signo and pr_cursig: the signal this thread was stopped by (0: none). */
  signo: number;
  cursig: number;
  pid: number;
  ppid: number;
  registers: Record<string, bigint>;
}

export function decodePrStatus(n: ElfNote): PrStatus | undefined {
  const d = n.desc;
  if (d.length < PRSTATUS_SIZE) return undefined;
  const registers: Record<string, bigint> = {};
  X86_64_PR_REG.forEach((name, i) => (registers[name] = d.readBigUInt64LE(PR_REG_AT + i * 8)));
  return { signo: d.readInt32LE(0), cursig: d.readUInt16LE(12), pid: d.readInt32LE(32), ppid: d.readInt32LE(36), registers };
}

export interface PrPsInfo {
  state: number;
  pid: number;
  ppid: number;
  uid: number;
  /** The executable's name, truncated to 15 bytes by the kernel. */
  fname: string;
  /** The command line, truncated to 80 bytes. */
  psargs: string;
}

export function decodePrPsInfo(n: ElfNote): PrPsInfo | undefined {
  const d = n.desc;
  if (d.length < 136) return undefined;
  const cstr = (at: number, len: number) => {
    const end = d.indexOf(0, at);
    return d.toString('utf8', at, end < 0 || end > at + len ? at + len : end).trimEnd();
  };
  return { state: d[0], uid: d.readUInt32LE(16), pid: d.readInt32LE(24), ppid: d.readInt32LE(28), fname: cstr(40, 16), psargs: cstr(56, 80) };
}

export interface SigInfo {
  signo: number;
  errno: number;
  code: number;
  /** si_addr, for the fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP). */
  addr?: bigint;
  /** si_pid / si_uid of a sender (kill, tgkill, abort). */
  senderPid?: number;
}

const FAULT_SIGNALS = new Set([4, 5, 7, 8, 11]);

export function decodeSigInfo(n: ElfNote): SigInfo | undefined {
  const d = n.desc;
  if (d.length < 24) return undefined;
  const signo = d.readInt32LE(0);
  const code = d.readInt32LE(8);
  const out: SigInfo = { signo, errno: d.readInt32LE(4), code };
  // si_code > 0 is from the kernel (a fault has si_addr); <= 0 from a process (si_pid).
  if (FAULT_SIGNALS.has(signo) && code > 0) out.addr = d.readBigUInt64LE(16);
  else if (code <= 0) out.senderPid = d.readInt32LE(16);
  return out;
}

export const AT_PHDR = 3;
export const AT_BASE = 7;
export const AT_ENTRY = 9;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;

/** NT_AUXV: (type, value) pairs up to AT_NULL. */
export function decodeAuxv(n: ElfNote): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (let o = 0; o + 16 <= n.desc.length; o += 16) {
    const type = Number(n.desc.readBigUInt64LE(o));
    if (type === 0) break;
    out.set(type, n.desc.readBigUInt64LE(o + 8));
  }
  return out;
}

export interface FileMapping {
  start: bigint;
  end: bigint;
  /** Byte offset in the file (NT_FILE stores pages; multiplied out here). */
  offset: bigint;
  path: string;
}

const MAX_FILE_ENTRIES = 1 << 20;

/**
 * NT_FILE: count, page size, count x (start, end, page offset), then count
 * NUL-terminated names. A count past the note's end, or an entry with end <= start,
 * is reported (`problems`) and that part skipped.
 */
export function decodeFileNote(n: ElfNote): { files: FileMapping[]; problems: string[] } {
  const d = n.desc;
  const problems: string[] = [];
  if (d.length < 16) return { files: [], problems: ['NT_FILE note is shorter than its header'] };
  const count = d.readBigUInt64LE(0);
  const pageSize = d.readBigUInt64LE(8);
  const fits = BigInt(Math.floor((d.length - 16) / 24));
  let k = Number(count < fits ? count : fits);
  if (count > fits || count > BigInt(MAX_FILE_ENTRIES)) {
    problems.push(`NT_FILE claims ${count} entries but its ${d.length} bytes hold at most ${fits}; read what fits`);
    k = Math.min(k, MAX_FILE_ENTRIES);
  }
  if (pageSize === 0n || pageSize > 1n << 30n || (pageSize & (pageSize - 1n)) !== 0n) {
    return { files: [], problems: [...problems, `NT_FILE page size ${pageSize} is not a power of two`] };
  }
  let nameAt = 16 + k * 24;
  const files: FileMapping[] = [];
  for (let i = 0; i < k; i++) {
    const o = 16 + i * 24;
    const nul = d.indexOf(0, nameAt);
    if (nameAt >= d.length) {
      problems.push(`NT_FILE names end after ${i} of ${k} entries`);
      break;
    }
    const path = d.toString('utf8', nameAt, nul < 0 ? d.length : nul);
    nameAt = nul < 0 ? d.length : nul + 1;
    const start = d.readBigUInt64LE(o);
    const end = d.readBigUInt64LE(o + 8);
    if (end <= start) {
      problems.push(`NT_FILE entry ${i} (${path}) has end 0x${end.toString(16)} <= start 0x${start.toString(16)}; skipped`);
      continue;
    }
    files.push({ start, end, offset: d.readBigUInt64LE(o + 16) * pageSize, path });
  }
  files.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i].start < files[i - 1].end) {
      problems.push(`NT_FILE entries overlap: ${files[i - 1].path} and ${files[i].path} at 0x${files[i].start.toString(16)}; the later one dropped`);
      files.splice(i--, 1);
    }
  }
  return { files, problems };
}
