import { RangeSource } from '../adapters/range-source.adapter';
import { ElfError } from '../model/errors';
import { ElfInfo, SectionHeader, SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB } from './elf-types';

/** A function symbol: [value, value + size) holds its code (size 0: unknown extent). */
export interface ElfSymbol {
  value: bigint;
  size: bigint;
  name: string;
}

const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const MAX_TABLE_BYTES = 512 * 1024 * 1024;

/**
 * The function symbols of `.symtab` (or `.dynsym`), sorted by address, read by range:
 * the symbol table and its string table, nothing else.
 */
export async function readFunctionSymbols(src: RangeSource, info: ElfInfo, which: '.symtab' | '.dynsym'): Promise<ElfSymbol[]> {
  const type = which === '.symtab' ? SHT_SYMTAB : SHT_DYNSYM;
  const table = info.sections.find((s) => s.type === type && s.name === which) ?? info.sections.find((s) => s.type === type);
  if (!table || table.size === 0) return [];
  const strtab = info.sections[table.link];
  const entsize = info.header.bits === 64 ? 24 : 16;
  const bytes = await readSection(src, table, 'symbol table');
  const strings = strtab ? await readSection(src, strtab, 'symbol string table') : Buffer.alloc(0);
  const le = info.header.endian === 'little';
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const u64 = (o: number) => (le ? bytes.readBigUInt64LE(o) : bytes.readBigUInt64BE(o));
  const out: ElfSymbol[] = [];
  for (let o = 0; o + entsize <= bytes.length; o += entsize) {
    const nameOff = u32(o);
    const [stInfo, shndx, value, size] =
      info.header.bits === 64
        ? [bytes[o + 4], le ? bytes.readUInt16LE(o + 6) : bytes.readUInt16BE(o + 6), u64(o + 8), u64(o + 16)]
        : [bytes[o + 12], le ? bytes.readUInt16LE(o + 14) : bytes.readUInt16BE(o + 14), BigInt(u32(o + 4)), BigInt(u32(o + 8))];
    const stType = stInfo & 0xf;
    if ((stType !== STT_FUNC && stType !== STT_GNU_IFUNC) || shndx === 0 || value === 0n) continue;
    const end = strings.indexOf(0, nameOff);
    const name = nameOff < strings.length ? strings.toString('utf8', nameOff, end < 0 ? strings.length : end) : '';
    if (name) out.push({ value, size, name });
  }
  out.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : b.size > a.size ? 1 : -1));
  return out;
}

/** The symbol covering `addr`: the last one starting at or before it, if its size reaches it. */
export function findSymbol(sorted: ElfSymbol[], addr: bigint): ElfSymbol | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].value <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Aliases share an address; a sized one that covers addr wins over a size-0 one.
  for (let i = best; i >= 0 && i > best - 8; i--) {
    const s = sorted[i];
    if (s.size > 0n ? addr < s.value + s.size : i === best) return s;
    if (s.value < sorted[best].value && s.size > 0n && addr >= s.value + s.size) break;
  }
  return undefined;
}

async function readSection(src: RangeSource, s: SectionHeader, what: string): Promise<Buffer> {
  if (s.type === SHT_NOBITS) return Buffer.alloc(0);
  if (s.size > MAX_TABLE_BYTES || s.offset < 0 || s.offset + s.size > src.size) {
    throw new ElfError(`${what} ${s.name} lies outside the file or is too large (${s.size} bytes at ${s.offset})`, { offset: s.offset });
  }
  return src.read(s.offset, s.size);
}

/** The values of the named symbols of any type (data symbols too: runtime.allgs), from `.symtab`. */
export async function readSymbolValues(src: RangeSource, info: ElfInfo, names: ReadonlySet<string>): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const table = info.sections.find((s) => s.type === SHT_SYMTAB);
  if (!table || table.size === 0 || info.header.bits !== 64) return out;
  const strtab = info.sections[table.link];
  if (!strtab) return out;
  const bytes = await readSection(src, table, 'symbol table');
  const strings = await readSection(src, strtab, 'symbol string table');
  const le = info.header.endian === 'little';
  const wanted = new Map([...names].map((n) => [n, Buffer.from(`${n}\0`, 'utf8')]));
  for (let o = 0; o + 24 <= bytes.length && out.size < names.size; o += 24) {
    const nameOff = le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o);
    if (nameOff >= strings.length) continue;
    for (const [name, needle] of wanted) {
      if (out.has(name) || strings[nameOff] !== needle[0]) continue;
      if (strings.compare(needle, 0, needle.length, nameOff, nameOff + needle.length) === 0) {
        out.set(name, le ? bytes.readBigUInt64LE(o + 8) : bytes.readBigUInt64BE(o + 8));
      }
    }
  }
  return out;
}
