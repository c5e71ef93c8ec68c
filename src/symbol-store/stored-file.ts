import { ElfInfo } from '../elf/elf-types';

export type StoredKind = 'executable' | 'debuginfo' | 'both';
/** The two files a build-id can have, as debuginfod names them. */
export type Slot = 'executable' | 'debuginfo';
export const SLOTS: readonly Slot[] = ['executable', 'debuginfo'];

export interface Contents {
  symtab: boolean;
  dynsym: boolean;
  dwarf: boolean;
  gopclntab: boolean;
}

/**
 * One stored file, kept as buildid/<id>/<slot>.json beside it (the source of truth the
 * index is rebuilt from). A file that is both executable and debug info fills both slots.
 */
export interface FileRecord {
  name: string;
  size: number;
  kind: StoredKind;
  arch: string;
  elf_type: string;
  has: Contents;
  gnu_build_id?: string;
  go_build_id?: string;
  debuglink?: { name: string; crc: number };
  /** CRC-32 of the whole file: what a .gnu_debuglink in a stripped partner names. */
  crc32?: number;
  uploaded_at: string;
  /** Where it came from when it was not uploaded (an upstream debuginfod URL). */
  source?: string;
}

/** What GET /v1/symbols/ID answers: the build-id's files combined. */
export interface StoredFileMeta {
  build_id: string;
  gnu_build_id?: string;
  go_build_id?: string;
  name: string;
  size: number;
  arch: string;
  elf_type: string;
  kind: StoredKind;
  has: Contents;
  debuglink?: { name: string; crc: number };
  uploaded_at: string;
  files: Partial<Record<Slot, FileRecord>>;
}

/**
 * An executable keeps loadable code; a debug file from `objcopy --only-keep-debug`
 * has DWARF with .text as NOBITS. A `-g` build unstripped is both.
 */
export function kindOf(info: ElfInfo): StoredKind {
  const exe = info.contents.text;
  const dbg = info.contents.debugInfo;
  return exe && dbg ? 'both' : dbg ? 'debuginfo' : 'executable';
}

export function slotsOf(kind: StoredKind): Slot[] {
  return kind === 'both' ? ['executable', 'debuginfo'] : [kind];
}

export function contentsOf(info: ElfInfo): Contents {
  return {
    symtab: info.contents.symtab,
    dynsym: info.contents.dynsym,
    dwarf: info.contents.debugInfo,
    gopclntab: info.contents.gopclntab,
  };
}

/** Combine the slots' records into one answer: the executable names and sizes it, both say what is held. */
export function combine(buildId: string, files: Partial<Record<Slot, FileRecord>>): StoredFileMeta | undefined {
  const exe = files.executable;
  const dbg = files.debuginfo;
  const first = exe ?? dbg;
  if (!first) return undefined;
  const or = (k: keyof Contents) => Boolean(exe?.has[k] || dbg?.has[k]);
  return {
    build_id: buildId,
    gnu_build_id: first.gnu_build_id ?? dbg?.gnu_build_id,
    go_build_id: first.go_build_id ?? dbg?.go_build_id,
    name: first.name,
    size: first.size,
    arch: first.arch,
    elf_type: first.elf_type,
    kind: exe && dbg ? 'both' : exe ? exe.kind : 'debuginfo',
    has: { symtab: or('symtab'), dynsym: or('dynsym'), dwarf: or('dwarf'), gopclntab: or('gopclntab') },
    debuglink: exe?.debuglink ?? dbg?.debuglink,
    uploaded_at: [exe?.uploaded_at, dbg?.uploaded_at].filter((x): x is string => !!x).sort()[0],
    files,
  };
}
