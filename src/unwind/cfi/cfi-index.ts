import { ByteCursor, CfiError } from './byte-cursor';
import { CfiEntries, CfiSection, Fde } from './cfi-entries';

/**
 * pc -> FDE for one module's CFI section: `.eh_frame_hdr`'s sorted table when the
 * module has one (a binary search, nothing parsed up front), else an index built
 * once by walking every FDE (`.debug_frame`, or `.eh_frame` without a header).
 */
export interface EhFrameHdr {
  bytes: Buffer;
  vaddr: bigint;
}

interface Range {
  begin: bigint;
  end: bigint;
  offset: number;
}

const DW_EH_PE_datarel_sdata4 = 0x3b;

export class CfiIndex {
  readonly entries: CfiEntries;
  private built?: Range[];
  private table?: { at: number; count: number };

  constructor(
    readonly section: CfiSection,
    private readonly hdr?: EhFrameHdr,
  ) {
    this.entries = new CfiEntries(section);
    if (hdr && section.kind === 'eh_frame') this.table = this.hdrTable(hdr);
  }

  /** The FDE covering `pc`, or undefined (no CFI for that code). */
  find(pc: bigint): Fde | undefined {
    const offset = this.table ? this.fromTable(pc) : this.fromBuilt(pc);
    if (offset === undefined) return undefined;
    const fde = this.entries.fdeAt(offset);
    return pc >= fde.pcBegin && pc < fde.pcEnd ? fde : undefined;
  }

  /** Number of FDEs indexed (tests, diagnostics). */
  get size(): number {
    return this.table ? this.table.count : this.build().length;
  }

  private hdrTable(hdr: EhFrameHdr): { at: number; count: number } | undefined {
    try {
      const c = new ByteCursor(hdr.bytes);
      if (c.u8() !== 1) return undefined;
      const ptrEnc = c.u8();
      const countEnc = c.u8();
      const tableEnc = c.u8();
      const bases = { section: hdr.vaddr, data: hdr.vaddr };
      c.encoded(ptrEnc, bases);
      const count = Number(c.encoded(countEnc, bases) ?? 0n);
      // Only the encoding every linker writes is searched in place; others fall back to a built index.
      if (tableEnc !== DW_EH_PE_datarel_sdata4 || count <= 0 || c.pos + count * 8 > hdr.bytes.length) return undefined;
      return { at: c.pos, count };
    } catch (err) {
      if (err instanceof CfiError) return undefined;
      throw err;
    }
  }

  private fromTable(pc: bigint): number | undefined {
    const { at, count } = this.table!;
    const b = this.hdr!.bytes;
    const base = this.hdr!.vaddr;
    let lo = 0;
    let hi = count - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const loc = base + BigInt(b.readInt32LE(at + mid * 8));
      if (loc <= pc) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const fdeAddr = base + BigInt(b.readInt32LE(at + best * 8 + 4));
    const offset = Number(fdeAddr - this.section.vaddr);
    return offset >= 0 && offset < this.section.bytes.length ? offset : undefined;
  }

  private build(): Range[] {
    if (!this.built) {
      const out: Range[] = [];
      for (const e of this.entries.entryOffsets()) {
        if (e.cie) continue;
        try {
          const { pcBegin, pcEnd } = this.entries.fdeRange(e.offset);
          if (pcEnd > pcBegin) out.push({ begin: pcBegin, end: pcEnd, offset: e.offset });
        } catch (err) {
          if (!(err instanceof CfiError)) throw err; // one bad FDE does not lose the others
        }
      }
      out.sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : 0));
      this.built = out;
    }
    return this.built;
  }

  private fromBuilt(pc: bigint): number | undefined {
    const r = this.build();
    let lo = 0;
    let hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pc < r[mid].begin) hi = mid - 1;
      else if (pc >= r[mid].end) lo = mid + 1;
      else return r[mid].offset;
    }
    return undefined;
  }
}
