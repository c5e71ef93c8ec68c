import { ElfInfo } from '../elf/elf-types';

export type StoredKind = 'executable' | 'debuginfo' | 'both';

/** What the store knows of one uploaded file; kept as meta.json beside it. */
export interface StoredFileMeta {
  build_id: string;
  /** Go's build id as text, when the file has one (indexed as an alias too). */
  go_build_id?: string;
  gnu_build_id?: string;
  name: string;
  size: number;
  arch: string;
  elf_type: string;
  kind: StoredKind;
  has: { symtab: boolean; dynsym: boolean; dwarf: boolean; gopclntab: boolean };
  debuglink?: { name: string; crc: number };
  uploaded_at: string;
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
