import { RangeSource } from '../adapters/range-source.adapter';
import { readElfHeader } from '../elf/elf-header';
import { ElfHeader, PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE } from '../elf/elf-types';
import { buildIdsOf, ElfNote, parseNotes } from '../elf/notes';
import { readProgramHeaders } from '../elf/program-headers';
import { RangeReader } from '../elf/range-reader';
import { ElfError, SymbridgeError } from '../model/errors';
import { CoreMemory, CoreSegment } from './core-memory';
import {
  AT_SYSINFO_EHDR,
  decodeAuxv,
  decodeFileNote,
  decodePrPsInfo,
  decodePrStatus,
  decodeSigInfo,
  FileMapping,
  NT_AUXV,
  NT_FILE,
  NT_PRPSINFO,
  NT_PRSTATUS,
  NT_SIGINFO,
  PrPsInfo,
  SigInfo,
} from './core-notes';

export const ET_CORE = 4;
export const EM_X86_64 = 62;
/** Notes of a core with thousands of threads fit easily; past this the core is refused. */
const MAX_NOTE_BYTES = 64 * 1024 * 1024;
const MAX_THREADS = 100_000;

export interface CoreThread {
  tid: number;
  /** The signal this thread stopped with (pr_cursig), 0 when none. */
  signal: number;
  registers: Record<string, bigint>;
  /** NT_SIGINFO after this thread's NT_PRSTATUS (the kernel writes one, for the dumping thread; gdb one per thread). */
  siginfo?: SigInfo;
}

/** A file the process had mapped: its NT_FILE ranges, and what the dumped first page says of it. */
export interface CoreModuleFile {
  path: string;
  mappings: (FileMapping & { perms: string })[];
  /** From the ELF header's notes in the dumped first page, when the kernel kept it. */
  gnuBuildId?: string;
  goBuildId?: string;
}

export interface CoreFile {
  header: ElfHeader;
  threads: CoreThread[];
  /** Index in `threads` of the thread the core was written for (it got the signal). */
  crashed: number;
  psinfo?: PrPsInfo;
  siginfo?: SigInfo;
  auxv: Map<number, bigint>;
  files: CoreModuleFile[];
  /** The vdso's address (AT_SYSINFO_EHDR), which the kernel dumps whole. */
  vdso?: bigint;
  memory: CoreMemory;
  /** Every PT_LOAD, for the mappings no file backs (stack, heap, anonymous). */
  segments: CoreSegment[];
  /** What did not add up (notes that lie, a truncated file), in words. */
  problems: string[];
}

/** A file that is not a core we can read: a 4xx, with what was wrong. */
export class CoreError extends SymbridgeError {
  constructor(message: string, offset = 0) {
    super('CORE_INVALID', message, { field: 'core_dump', offset });
  }
}

/**
 * Read an ELF core by range: the header, program headers and notes (threads,
 * signal, auxv, mapped files) at once; memory stays on disk behind CoreMemory.
 * Notes come first (as delve and elfutils do), then the build-ids of mapped files
 * from their first pages in the core.
 */
export async function readCore(src: RangeSource, name = 'core_dump'): Promise<CoreFile> {
  const r = new RangeReader(src, name);
  let header: ElfHeader;
  try {
    header = await readElfHeader(r);
  } catch (err) {
    if (err instanceof ElfError) throw new CoreError(`${name} is not an ELF core file: ${err.message}`, err.context.offset);
    throw err;
  }
  if (header.type !== ET_CORE) {
    throw new CoreError(`${name} is an ELF ${header.typeName} file, not a core (e_type CORE); send the core the crash left, and upload executables to /v1/symbols`);
  }
  if (header.machine !== EM_X86_64 || header.bits !== 64 || header.endian !== 'little') {
    throw new CoreError(`${name} is a core of ${header.machineName} (${header.bits}-bit ${header.endian}-endian); symbridge unwinds x86_64 cores only`);
  }
  const problems: string[] = [];
  const phdrs = await readProgramHeaders(r, header).catch((err: Error) => {
    // The store away mid-read (a core on S3) is not a bad core: the job is retried.
    if (err instanceof SymbridgeError && err.code === 'STORAGE_UNAVAILABLE') throw err;
    throw new CoreError(`${name}: ${err.message}`);
  });
  const segments: CoreSegment[] = [];
  for (const p of phdrs) {
    if (p.type !== PT_LOAD || p.memsz === 0n) continue;
    let filesz = p.filesz;
    const offset = Number(p.offset);
    if (p.offset + p.filesz > BigInt(src.size)) {
      const kept = p.offset >= BigInt(src.size) ? 0n : BigInt(src.size) - p.offset;
      problems.push(`the core is truncated: memory at 0x${p.vaddr.toString(16)} (0x${p.filesz.toString(16)} bytes) ends past the file's ${src.size} bytes`);
      filesz = kept;
    }
    segments.push({ vaddr: p.vaddr, memsz: p.memsz, filesz: filesz > p.memsz ? p.memsz : filesz, offset, flags: p.flags });
  }
  dedupeTruncation(problems);

  const notes: ElfNote[] = [];
  let noteBytes = 0;
  for (const p of phdrs.filter((x) => x.type === PT_NOTE)) {
    const size = Number(p.filesz);
    noteBytes += size;
    if (noteBytes > MAX_NOTE_BYTES) throw new CoreError(`${name}: notes larger than ${MAX_NOTE_BYTES} bytes; not a core symbridge can read`, Number(p.offset));
    if (p.offset + p.filesz > BigInt(src.size)) {
      problems.push(`the core is truncated inside its notes (at offset ${p.offset})`);
      const avail = Math.max(0, src.size - Number(p.offset));
      if (avail > 0) notes.push(...parseNotes(await src.read(Number(p.offset), avail), 'little'));
      continue;
    }
    notes.push(...parseNotes(await src.read(Number(p.offset), size), 'little'));
  }

  const threads: CoreThread[] = [];
  let psinfo: PrPsInfo | undefined;
  let auxv = new Map<number, bigint>();
  let fileNote: ElfNote | undefined;
  for (const n of notes) {
    if (n.name !== 'CORE') continue;
    if (n.type === NT_PRSTATUS) {
      const s = decodePrStatus(n);
      if (!s) problems.push(`an NT_PRSTATUS note of ${n.desc.length} bytes is too short for x86_64 registers; skipped`);
      else if (threads.length < MAX_THREADS) threads.push({ tid: s.pid, signal: s.cursig || s.signo, registers: s.registers });
    } else if (n.type === NT_SIGINFO) {
      const info = decodeSigInfo(n);
      const last = threads[threads.length - 1];
      if (info && last && !last.siginfo) last.siginfo = info;
    } else if (n.type === NT_PRPSINFO) psinfo = decodePrPsInfo(n);
    else if (n.type === NT_AUXV) auxv = decodeAuxv(n);
    else if (n.type === NT_FILE) fileNote = n;
  }
  if (threads.length === 0) throw new CoreError(`${name} holds no thread (no NT_PRSTATUS note): truncated or not a Linux process core`);

  const memory = new CoreMemory(src, segments);
  const decoded = fileNote ? decodeFileNote(fileNote) : { files: [], problems: ['the core has no NT_FILE note: mapped files are unknown'] };
  problems.push(...decoded.problems);
  const files = await describeFiles(decoded.files, segments, memory);

  // The thread the core is about: the kernel writes it first; gdb may not, so prefer the one whose signal is the core's.
  const siginfo = threads[0].siginfo;
  let crashed = 0;
  const signo = siginfo?.signo ?? threads[0].signal;
  if (signo && threads[0].signal !== signo) {
    const i = threads.findIndex((t) => t.signal === signo);
    if (i >= 0) crashed = i;
  }
  return { header, threads, crashed, psinfo, siginfo: threads[crashed].siginfo ?? siginfo, auxv, files, vdso: auxv.get(AT_SYSINFO_EHDR), memory, segments, problems };
}

function dedupeTruncation(problems: string[]): void {
  const cut = problems.filter((p) => p.startsWith('the core is truncated: memory'));
  if (cut.length > 1) {
    problems.splice(0, problems.length, ...problems.filter((p) => !cut.includes(p)), `${cut[0]} (and ${cut.length - 1} more segments)`);
  }
}

/** From the PT_LOAD of the mapping; gdb leaves undumped mappings out entirely: then `????`. */
function permsOf(flags: number | undefined): string {
  if (flags === undefined) return '????';
  return `${flags & PF_R ? 'r' : '-'}${flags & PF_W ? 'w' : '-'}${flags & PF_X ? 'x' : '-'}p`;
}

/** Group NT_FILE ranges by path; read each ELF's build-id from its first page, when the core has it. */
async function describeFiles(files: FileMapping[], segments: CoreSegment[], memory: CoreMemory): Promise<CoreModuleFile[]> {
  const byPath = new Map<string, CoreModuleFile>();
  for (const f of files) {
    let m = byPath.get(f.path);
    if (!m) byPath.set(f.path, (m = { path: f.path, mappings: [] }));
    const seg = segments.find((s) => s.vaddr === f.start);
    m.mappings.push({ ...f, perms: permsOf(seg?.flags) });
  }
  for (const m of byPath.values()) {
    const first = m.mappings.find((x) => x.offset === 0n);
    if (!first) continue;
    const ids = await buildIdsInMemory(memory, first.start, first.end - first.start);
    if (ids.gnuBuildId) m.gnuBuildId = ids.gnuBuildId;
    if (ids.goBuildId) m.goBuildId = ids.goBuildId;
  }
  return [...byPath.values()];
}

const PAGE = 4096;

/**
 * The ELF header at `base` (a file mapped from offset 0) and the notes of its
 * PT_NOTE segments that lie in the dumped bytes: where the GNU and Go build-ids live.
 */
export async function buildIdsInMemory(memory: CoreMemory, base: bigint, mapped: bigint): Promise<{ gnuBuildId?: string; goBuildId?: string }> {
  const ehdr = await memory.read(base, 64);
  if (!ehdr || ehdr.readUInt32BE(0) !== 0x7f454c46 || ehdr[4] !== 2 || ehdr[5] !== 1) return {};
  const phoff = Number(ehdr.readBigUInt64LE(32));
  const phentsize = ehdr.readUInt16LE(54);
  const phnum = ehdr.readUInt16LE(56);
  if (phentsize < 56 || phnum === 0 || phnum > 256 || phoff + phnum * phentsize > Number(mapped)) return {};
  const ph = await memory.read(base + BigInt(phoff), phnum * phentsize);
  if (!ph) return {};
  const notes: ElfNote[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    if (ph.readUInt32LE(o) !== PT_NOTE) continue;
    const off = ph.readBigUInt64LE(o + 8);
    const size = Number(ph.readBigUInt64LE(o + 32));
    if (size <= 0 || size > 16 * PAGE || off + BigInt(size) > mapped) continue;
    const bytes = await memory.read(base + off, size);
    if (bytes) notes.push(...parseNotes(bytes, 'little'));
  }
  return buildIdsOf(notes);
}
