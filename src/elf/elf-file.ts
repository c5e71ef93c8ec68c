import { RangeSource } from '../adapters/range-source.adapter';
import { ElfError } from '../model/errors';
import {
  ElfHeader,
  ElfInfo,
  ET_NAMES,
  MACHINES,
  ProgramHeader,
  PT_NOTE,
  SectionHeader,
  SHF_COMPRESSED,
  SHT_NOBITS,
  SHT_NOTE,
} from './elf-types';
import { parseNotes } from './notes';

/**
 * Our own range-reading ELF reader (see README "Dependencies" for why not elfy):
 * reads the header, program headers, section headers and the few sections it needs
 * (names, notes, .gnu_debuglink), never the whole file. Anything out of bounds or
 * absurd is an ElfError carrying the offset where reading failed.
 */
const MAX_HEADERS = 65535;
const MAX_NOTE_BYTES = 1 << 20;
const MAX_STRTAB_BYTES = 4 << 20;

export async function readElf(src: RangeSource, path?: string): Promise<ElfInfo> {
  const r = new Reader(src, path);
  const header = await r.header();
  const programHeaders = await r.programHeaders(header);
  const sections = await r.sections(header);
  const info: ElfInfo = {
    header,
    programHeaders,
    sections,
    contents: {
      debugInfo: sections.some((s) => (s.name === '.debug_info' || s.name === '.zdebug_info') && s.type !== SHT_NOBITS && s.size > 0),
      compressedDebugInfo: sections.some(
        (s) => s.name === '.zdebug_info' || (s.name === '.debug_info' && (s.flags & BigInt(SHF_COMPRESSED)) !== 0n),
      ),
      symtab: sections.some((s) => s.name === '.symtab' && s.size > 0),
      dynsym: sections.some((s) => s.name === '.dynsym' && s.size > 0),
      gopclntab: sections.some((s) => s.name === '.gopclntab' && s.type !== SHT_NOBITS && s.size > 0),
      text: sections.some((s) => s.name === '.text' && s.type !== SHT_NOBITS && s.size > 0),
    },
  };
  // Notes: from sections when there are any, else from PT_NOTE segments (stripped section headers).
  const noteRanges =
    sections.length > 0
      ? sections.filter((s) => s.type === SHT_NOTE).map((s) => ({ offset: s.offset, size: s.size }))
      : programHeaders.filter((p) => p.type === PT_NOTE).map((p) => ({ offset: Number(p.offset), size: Number(p.filesz) }));
  for (const range of noteRanges) {
    if (range.size > MAX_NOTE_BYTES) continue;
    const bytes = await r.bytes(range.offset, range.size, 'note');
    for (const note of parseNotes(bytes, header.endian)) {
      if (note.name === 'GNU' && note.type === 3 && !info.gnuBuildId) info.gnuBuildId = note.desc.toString('hex');
      if (note.name === 'Go' && note.type === 4 && !info.goBuildId) info.goBuildId = note.desc.toString('utf8');
    }
  }
  const debuglink = sections.find((s) => s.name === '.gnu_debuglink' && s.type !== SHT_NOBITS);
  if (debuglink && debuglink.size >= 8 && debuglink.size < 4096) {
    const bytes = await r.bytes(debuglink.offset, debuglink.size, '.gnu_debuglink');
    const nul = bytes.indexOf(0);
    if (nul > 0) {
      const crcAt = (nul + 4) & ~3;
      if (crcAt + 4 <= bytes.length) {
        const crc = header.endian === 'little' ? bytes.readUInt32LE(crcAt) : bytes.readUInt32BE(crcAt);
        info.debuglink = { name: bytes.subarray(0, nul).toString('utf8'), crc };
      }
    }
  }
  return info;
}

class Reader {
  constructor(
    private readonly src: RangeSource,
    private readonly path?: string,
  ) {}

  fail(message: string, offset: number): never {
    throw new ElfError(`${this.path ? `${this.path}: ` : ''}${message} (at offset ${offset})`, {
      offset,
      path: this.path,
    });
  }

  async bytes(offset: number, length: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.src.size) {
      this.fail(`${what} lies outside the file (${length} bytes at ${offset}, file is ${this.src.size} bytes)`, offset);
    }
    const buf = await this.src.read(offset, length);
    if (buf.length < length) this.fail(`short read of ${what}`, offset + buf.length);
    return buf;
  }

  async header(): Promise<ElfHeader> {
    if (this.src.size < 16) this.fail('not an ELF file: shorter than an ELF identification', 0);
    const ident = await this.src.read(0, 16);
    if (ident.readUInt32BE(0) !== 0x7f454c46) this.fail('not an ELF file: bad magic (expected 7f 45 4c 46)', 0);
    const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : this.fail(`bad ELF class ${ident[4]}`, 4);
    const endian = ident[5] === 1 ? 'little' : ident[5] === 2 ? 'big' : this.fail(`bad ELF data encoding ${ident[5]}`, 5);
    const size = bits === 64 ? 64 : 52;
    const h = new Fields(await this.bytes(0, size, 'ELF header'), endian);
    const type = h.u16(16);
    const machine = h.u16(18);
    const header: ElfHeader =
      bits === 64
        ? {
            bits, endian, type, machine,
            typeName: ET_NAMES[type] ?? `0x${type.toString(16)}`,
            machineName: MACHINES[machine] ?? `machine ${machine}`,
            entry: h.u64(24), phoff: h.off64(32), shoff: h.off64(40),
            phentsize: h.u16(54), phnum: h.u16(56), shentsize: h.u16(58), shnum: h.u16(60), shstrndx: h.u16(62),
          }
        : {
            bits, endian, type, machine,
            typeName: ET_NAMES[type] ?? `0x${type.toString(16)}`,
            machineName: MACHINES[machine] ?? `machine ${machine}`,
            entry: BigInt(h.u32(24)), phoff: h.u32(28), shoff: h.u32(32),
            phentsize: h.u16(42), phnum: h.u16(44), shentsize: h.u16(46), shnum: h.u16(48), shstrndx: h.u16(50),
          };
    if (header.phoff < 0 || header.shoff < 0) this.fail('header offsets do not fit in 53 bits', 32);
    return header;
  }

  async programHeaders(h: ElfHeader): Promise<ProgramHeader[]> {
    if (h.phnum === 0) return [];
    const want = h.bits === 64 ? 56 : 32;
    if (h.phentsize < want) this.fail(`e_phentsize ${h.phentsize} is smaller than ${want}`, h.bits === 64 ? 54 : 42);
    if (h.phnum > MAX_HEADERS) this.fail(`absurd program header count ${h.phnum}`, h.bits === 64 ? 56 : 44);
    const table = await this.bytes(h.phoff, h.phnum * h.phentsize, 'program header table');
    const f = new Fields(table, h.endian);
    const out: ProgramHeader[] = [];
    for (let i = 0; i < h.phnum; i++) {
      const o = i * h.phentsize;
      out.push(
        h.bits === 64
          ? { type: f.u32(o), flags: f.u32(o + 4), offset: f.u64(o + 8), vaddr: f.u64(o + 16),
              filesz: f.u64(o + 32), memsz: f.u64(o + 40), align: f.u64(o + 48) }
          : { type: f.u32(o), offset: BigInt(f.u32(o + 4)), vaddr: BigInt(f.u32(o + 8)),
              filesz: BigInt(f.u32(o + 16)), memsz: BigInt(f.u32(o + 20)), flags: f.u32(o + 24), align: BigInt(f.u32(o + 28)) },
      );
    }
    return out;
  }

  async sections(h: ElfHeader): Promise<SectionHeader[]> {
    if (h.shoff === 0) return [];
    const want = h.bits === 64 ? 64 : 40;
    if (h.shentsize < want) this.fail(`e_shentsize ${h.shentsize} is smaller than ${want}`, h.bits === 64 ? 58 : 46);
    const raw = (o: number, f: Fields) =>
      h.bits === 64
        ? { nameOff: f.u32(o), type: f.u32(o + 4), flags: f.u64(o + 8), addr: f.u64(o + 16), offset: f.off64(o + 24),
            size: f.off64(o + 32), link: f.u32(o + 40), entsize: f.off64(o + 56) }
        : { nameOff: f.u32(o), type: f.u32(o + 4), flags: BigInt(f.u32(o + 8)), addr: BigInt(f.u32(o + 12)),
            offset: f.u32(o + 16), size: f.u32(o + 20), link: f.u32(o + 24), entsize: f.u32(o + 36) };
    let shnum = h.shnum;
    let shstrndx = h.shstrndx;
    if (shnum === 0 || shstrndx === 0xffff) {
      // Extended numbering: the real values live in section header 0.
      const first = raw(0, new Fields(await this.bytes(h.shoff, h.shentsize, 'section header 0'), h.endian));
      if (shnum === 0) shnum = first.size;
      if (shstrndx === 0xffff) shstrndx = first.link;
    }
    if (shnum > MAX_HEADERS * 4) this.fail(`absurd section count ${shnum}`, h.shoff);
    const table = new Fields(await this.bytes(h.shoff, shnum * h.shentsize, 'section header table'), h.endian);
    const raws = Array.from({ length: shnum }, (_, i) => raw(i * h.shentsize, table));
    let names: Buffer | undefined;
    const strtab = raws[shstrndx];
    if (strtab && strtab.type !== SHT_NOBITS && strtab.size <= MAX_STRTAB_BYTES) {
      names = await this.bytes(strtab.offset, strtab.size, 'section name table');
    }
    return raws.map((s) => {
      if (s.type !== SHT_NOBITS && s.size > 0 && s.offset + s.size > this.src.size && s.type !== 0) {
        // Recorded, not fatal: a truncated debug file can still give us headers and notes.
        s.size = Math.max(0, Math.min(s.size, this.src.size - s.offset));
      }
      return {
        name: names ? cString(names, s.nameOff) : '',
        type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, entsize: s.entsize,
      };
    });
  }
}

function cString(buf: Buffer, at: number): string {
  if (at >= buf.length) return '';
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

/** Endian-aware field reads on a buffer whose bounds were already checked. */
class Fields {
  constructor(
    private readonly b: Buffer,
    private readonly endian: 'little' | 'big',
  ) {}
  u16(o: number): number {
    return this.endian === 'little' ? this.b.readUInt16LE(o) : this.b.readUInt16BE(o);
  }
  u32(o: number): number {
    return this.endian === 'little' ? this.b.readUInt32LE(o) : this.b.readUInt32BE(o);
  }
  u64(o: number): bigint {
    return this.endian === 'little' ? this.b.readBigUInt64LE(o) : this.b.readBigUInt64BE(o);
  }
  /** A 64-bit file offset or size, as a number; beyond 2^53 it is certainly bogus. */
  off64(o: number): number {
    const v = this.u64(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  }
}
