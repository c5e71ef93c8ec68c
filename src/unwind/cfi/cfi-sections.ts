import { RangeSource } from '../../adapters/range-source.adapter';
import { ElfInfo, SHT_NOBITS } from '../../elf/elf-types';
import { readSectionData } from '../../elf/section-data';
import { CfiIndex } from './cfi-index';

const PT_GNU_EH_FRAME = 0x6474e550;
const MAX_CFI_BYTES = 64 * 1024 * 1024;

export interface ModuleCfi {
  ehFrame?: CfiIndex;
  debugFrame?: CfiIndex;
}

/**
 * A module's CFI sections, read once: `.eh_frame` (+ `.eh_frame_hdr`) from the file
 * the process ran (a separate debug file has them as NOBITS), `.debug_frame` from
 * whichever file has it. Without section headers, PT_GNU_EH_FRAME finds the header.
 */
export async function loadCfi(src: RangeSource, info: ElfInfo): Promise<ModuleCfi> {
  const out: ModuleCfi = {};
  const sec = (name: string) => info.sections.find((s) => s.name === name && s.type !== SHT_NOBITS && s.size > 0);
  const eh = sec('.eh_frame');
  const hdr = sec('.eh_frame_hdr');
  const text = sec('.text');
  if (eh && eh.size <= MAX_CFI_BYTES) {
    const hdrBytes = hdr ? await readSectionData(src, hdr) : undefined;
    out.ehFrame = new CfiIndex(
      { kind: 'eh_frame', bytes: await readSectionData(src, eh), vaddr: eh.addr, dataBase: hdr?.addr, textBase: text?.addr },
      hdr && hdrBytes ? { bytes: hdrBytes, vaddr: hdr.addr } : undefined,
    );
  } else if (!eh && info.sections.length === 0) {
    const ph = info.programHeaders.find((p) => p.type === PT_GNU_EH_FRAME);
    if (ph && ph.filesz > 8n && ph.filesz < 1n << 24n) {
      const hdrBytes = await src.read(Number(ph.offset), Number(ph.filesz));
      // eh_frame_ptr (pcrel sdata4, as linkers write it) says where .eh_frame starts; it runs to the segment's end.
      if (hdrBytes[0] === 1 && hdrBytes[1] === 0x1b) {
        const ehVaddr = ph.vaddr + 4n + BigInt(hdrBytes.readInt32LE(4));
        const load = info.programHeaders.find((p) => p.type === 1 && p.vaddr <= ehVaddr && ehVaddr < p.vaddr + p.filesz);
        if (load) {
          const off = Number(ehVaddr - load.vaddr + load.offset);
          const size = Math.min(MAX_CFI_BYTES, Number(load.offset + load.filesz) - off);
          out.ehFrame = new CfiIndex({ kind: 'eh_frame', bytes: await src.read(off, size), vaddr: ehVaddr, dataBase: ph.vaddr }, { bytes: hdrBytes, vaddr: ph.vaddr });
        }
      }
    }
  }
  const dbg = sec('.debug_frame') ?? sec('.zdebug_frame');
  if (dbg) out.debugFrame = new CfiIndex({ kind: 'debug_frame', bytes: await readSectionData(src, dbg, MAX_CFI_BYTES), vaddr: 0n });
  return out;
}
