import { ElfHeader, ProgramHeader } from './elf-types';
import { Fields, RangeReader } from './range-reader';

/** Program headers (PT_LOAD and the rest), read as one range. */
export async function readProgramHeaders(r: RangeReader, h: ElfHeader): Promise<ProgramHeader[]> {
  if (h.phnum === 0) return [];
  const want = h.bits === 64 ? 56 : 32;
  if (h.phentsize < want) r.fail(`e_phentsize ${h.phentsize} is smaller than ${want}`, h.bits === 64 ? 54 : 42);
  // e_phnum is 16 bits; PN_XNUM (0xffff) extended numbering is not used by loadable files.
  const f = new Fields(await r.bytes(h.phoff, h.phnum * h.phentsize, 'program header table'), h.endian);
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
