import { SyncRangeSource } from '../adapters/range-source.adapter';
import { ElfInfo, SectionHeader, SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB } from '../elf/elf-types';
import { ElfError } from '../model/errors';

/** A symbol as llvm-symbolizer keeps it: address, size (0: unknown), raw (mangled) name. */
export interface LlvmSymbol {
  addr: number;
  size: number;
  name: string;
  /** For a local symbol, the STT_FILE symbol before it in the table (llvm-symbolizer names the file from it when DWARF does not). */
  file?: string;
}

const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_FILE = 4;
const STT_GNU_IFUNC = 10;
const STB_LOCAL = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const MAX_TABLE_BYTES = 512 * 1024 * 1024;

/**
 * The symbol table llvm-symbolizer 14 names functions from (SymbolizableObjectFile):
 * .symtab, else .dynsym; function, object, ifunc and untyped symbols defined in a
 * section; sorted by (address, size) and one per address, the last of the largest size.
 */
export function readLlvmSymbols(src: SyncRangeSource, info: ElfInfo): LlvmSymbol[] {
  let table = info.sections.find((s) => s.type === SHT_SYMTAB && s.size > 0);
  if (!table) table = info.sections.find((s) => s.type === SHT_DYNSYM && s.size > 0);
  if (!table || table.type === SHT_NOBITS) return [];
  const bytes = section(src, table);
  const strtab = info.sections[table.link];
  const strings = strtab ? section(src, strtab) : Buffer.alloc(0);
  const le = info.header.endian === 'little';
  const b64 = info.header.bits === 64;
  const entsize = b64 ? 24 : 16;
  const u16 = (o: number) => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const u64 = (o: number) => (le ? u32(o) + u32(o + 4) * 4294967296 : u32(o) * 4294967296 + u32(o + 4));
  const out: LlvmSymbol[] = [];
  const nameAt = (nameOff: number) => {
    const end = strings.indexOf(0, nameOff);
    return nameOff < strings.length ? strings.toString('utf8', nameOff, end < 0 ? strings.length : end) : '';
  };
  let file: string | undefined;
  for (let o = entsize; o + entsize <= bytes.length; o += entsize) {
    const nameOff = u32(o);
    const stInfo = b64 ? bytes[o + 4] : bytes[o + 12];
    const shndx = b64 ? u16(o + 6) : u16(o + 14);
    const type = stInfo & 0xf;
    if (shndx === 0 || (shndx >= SHN_LORESERVE && shndx !== SHN_XINDEX)) {
      if (type === STT_FILE) file = nameAt(nameOff);
      continue;
    }
    if (type !== STT_NOTYPE && type !== STT_FUNC && type !== STT_OBJECT && type !== STT_GNU_IFUNC) continue;
    const addr = b64 ? u64(o + 8) : u32(o + 4);
    const size = b64 ? u64(o + 16) : u32(o + 8);
    if (addr > Number.MAX_SAFE_INTEGER || size > Number.MAX_SAFE_INTEGER) continue;
    out.push({ addr, size, name: nameAt(nameOff), file: stInfo >> 4 === STB_LOCAL && file ? file : undefined });
  }
  // stable_sort by (Addr, Size), then keep the last of each address.
  const order = out.map((_, i) => i);
  order.sort((a, b) => out[a].addr - out[b].addr || out[a].size - out[b].size || a - b);
  const sorted: LlvmSymbol[] = [];
  for (let i = 0; i < order.length; i++) {
    const s = out[order[i]];
    if (i + 1 < order.length && out[order[i + 1]].addr === s.addr) continue;
    sorted.push(s);
  }
  return sorted;
}

/**
 * The address intervals each symbol answers for, as getNameFromSymbolTable decides: the
 * nearest symbol at or below an address, unless it has a size that ends before it. A
 * size-0 symbol reaches the next symbol (the last one, `limit`).
 */
export function symbolIntervals(sorted: LlvmSymbol[], limit: number): { start: number; end: number; sym: number }[] {
  const out: { start: number; end: number; sym: number }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    const next = i + 1 < sorted.length ? sorted[i + 1].addr : Math.max(limit, s.addr);
    const end = s.size > 0 ? Math.min(s.addr + s.size, next) : next;
    if (end > s.addr) out.push({ start: s.addr, end, sym: i });
  }
  return out;
}

function section(src: SyncRangeSource, s: SectionHeader): Buffer {
  if (s.type === SHT_NOBITS) return Buffer.alloc(0);
  if (s.size > MAX_TABLE_BYTES || s.offset + s.size > src.size) {
    throw new ElfError(`${s.name} lies outside the file or is too large (${s.size} bytes at ${s.offset})`, { offset: s.offset });
  }
  return src.readSync(s.offset, s.size);
}
