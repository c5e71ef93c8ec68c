import { ElfHeader, SectionHeader, SHT_NOBITS, SHT_NULL, SHT_STRTAB } from './elf-types';
import { Fields, RangeReader } from './range-reader';

const MAX_SECTIONS = 1 << 18;
const MAX_STRTAB_BYTES = 4 << 20;

/** A section header as stored: the name is still an offset into the name table. */
type RawSection = Omit<SectionHeader, 'name'> & { nameOff: number };

/** Section headers with their names (from the e_shstrndx string table), extended numbering included. */
export async function readSectionHeaders(r: RangeReader, h: ElfHeader): Promise<SectionHeader[]> {
  if (h.shoff === 0) return [];
  const want = h.bits === 64 ? 64 : 40;
  if (h.shentsize < want) r.fail(`e_shentsize ${h.shentsize} is smaller than ${want}`, h.bits === 64 ? 58 : 46);
  const raw = (o: number, f: Fields): RawSection =>
    h.bits === 64
      ? { nameOff: f.u32(o), type: f.u32(o + 4), flags: f.u64(o + 8), addr: f.u64(o + 16), offset: f.off64(o + 24),
          size: f.off64(o + 32), link: f.u32(o + 40), entsize: f.off64(o + 56) }
      : { nameOff: f.u32(o), type: f.u32(o + 4), flags: BigInt(f.u32(o + 8)), addr: BigInt(f.u32(o + 12)),
          offset: f.u32(o + 16), size: f.u32(o + 20), link: f.u32(o + 24), entsize: f.u32(o + 36) };
  let shnum = h.shnum;
  let shstrndx = h.shstrndx;
  if (shnum === 0 || shstrndx === 0xffff) {
    // Extended numbering: the real values live in section header 0.
    const first = raw(0, new Fields(await r.bytes(h.shoff, h.shentsize, 'section header 0'), h.endian));
    if (shnum === 0) shnum = first.size;
    if (shstrndx === 0xffff) shstrndx = first.link;
  }
  if (shnum < 0 || shnum > MAX_SECTIONS) r.fail(`absurd section count ${shnum}`, h.shoff);
  const table = new Fields(await r.bytes(h.shoff, shnum * h.shentsize, 'section header table'), h.endian);
  const raws = Array.from({ length: shnum }, (_, i) => raw(i * h.shentsize, table));
  // readelf calls these corrupt; reading on would store a file whose sections have no names
  // (so no symbols, no DWARF found): refuse it like any other damaged header.
  const at = h.bits === 64 ? 62 : 50;
  if (shstrndx !== 0 && shstrndx >= shnum) r.fail(`e_shstrndx ${shstrndx} is out of range (${shnum} section headers)`, at);
  let names: Buffer | undefined;
  const strtab = shstrndx === 0 ? undefined : raws[shstrndx];
  if (strtab && strtab.type !== SHT_STRTAB) r.fail(`e_shstrndx ${shstrndx} names section ${shstrndx}, which is not a string table (type ${strtab.type})`, at);
  if (strtab && strtab.type !== SHT_NOBITS && strtab.size >= 0 && strtab.size <= MAX_STRTAB_BYTES) {
    names = await r.bytes(strtab.offset, strtab.size, 'section name table');
  }
  return raws.map((s) => {
    let size = s.size;
    if (s.type !== SHT_NOBITS && s.type !== SHT_NULL && (s.offset < 0 || size < 0 || s.offset + size > r.size)) {
      // Clipped, not fatal: a truncated debug file can still give us headers and notes.
      size = s.offset < 0 || s.offset > r.size ? 0 : Math.max(0, Math.min(size < 0 ? r.size : size, r.size - s.offset));
    }
    return {
      name: names ? cString(names, s.nameOff) : '',
      type: s.type, flags: s.flags, addr: s.addr, offset: Math.max(0, s.offset), size, link: s.link, entsize: s.entsize,
    };
  });
}

function cString(buf: Buffer, at: number): string {
  if (at >= buf.length) return '';
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}
