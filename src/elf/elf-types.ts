/** ELF constants and the shapes our reader returns (values from the gABI / elf.h). */
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHF_COMPRESSED = 0x800;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const ET_NAMES: Record<number, string> = { 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };
export const MACHINES: Record<number, string> = {
  2: 'sparc',
  3: 'x86',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  43: 'sparcv9',
  50: 'ia64',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch',
};

export interface ElfHeader {
  bits: 32 | 64;
  endian: 'little' | 'big';
  type: number;
  typeName: string;
  machine: number;
  machineName: string;
  entry: bigint;
  phoff: number;
  shoff: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface SectionHeader {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfContents {
  debugInfo: boolean;
  compressedDebugInfo: boolean;
  symtab: boolean;
  dynsym: boolean;
  gopclntab: boolean;
  text: boolean;
}

export interface ElfInfo {
  header: ElfHeader;
  programHeaders: ProgramHeader[];
  sections: SectionHeader[];
  /** NT_GNU_BUILD_ID as lowercase hex. */
  gnuBuildId?: string;
  /** Go's build id note ("Go", type 4) as printed by `go tool buildid`. */
  goBuildId?: string;
  debuglink?: { name: string; crc: number };
  contents: ElfContents;
}

/** PT_LOAD segments in file order: what normalization rebases against. */
export function loadSegments(info: ElfInfo): ProgramHeader[] {
  return info.programHeaders.filter((p) => p.type === PT_LOAD);
}

/** The build-id the store keys a file by: GNU first, else Go's own. */
export function primaryBuildId(info: ElfInfo): string | undefined {
  return info.gnuBuildId ?? (info.goBuildId ? goBuildIdKey(info.goBuildId) : undefined);
}

/** Go build ids are "actionID/contentID..." text; the store keys them by their hex bytes. */
export function goBuildIdKey(goBuildId: string): string {
  return Buffer.from(goBuildId, 'utf8').toString('hex');
}
