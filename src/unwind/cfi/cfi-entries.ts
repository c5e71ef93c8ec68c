import { ByteCursor, CfiError, DW_EH_PE_omit } from './byte-cursor';

/**
 * CIEs and FDEs of `.eh_frame` (LSB: pcrel pointers, CIE id 0, CIE pointer relative)
 * and `.debug_frame` (DWARF 2-5: absolute addresses, CIE id all-ones, CIE pointer an
 * offset in the section). Parsed lazily: an FDE's CIE is read when the FDE is.
 */
export type CfiKind = 'eh_frame' | 'debug_frame';

export interface Cie {
  offset: number;
  version: number;
  augmentation: string;
  addressSize: number;
  codeAlign: number;
  dataAlign: number;
  raRegister: number;
  fdeEncoding: number;
  lsdaEncoding: number;
  /** 'S' in the augmentation: this CIE describes a signal trampoline (the pc is not a return address). */
  signalFrame: boolean;
  instructions: Buffer;
}

export interface Fde {
  offset: number;
  cie: Cie;
  pcBegin: bigint;
  pcEnd: bigint;
  instructions: Buffer;
}

export interface CfiSection {
  kind: CfiKind;
  bytes: Buffer;
  /** The section's virtual address (pcrel pointers are relative to it). */
  vaddr: bigint;
  /** For datarel pointers (.eh_frame_hdr's address), when known. */
  dataBase?: bigint;
  textBase?: bigint;
}

interface EntryHeader {
  offset: number;
  /** Offset of the CIE id / CIE pointer field. */
  idAt: number;
  end: number;
  is64: boolean;
}

function header(s: CfiSection, offset: number): EntryHeader | undefined {
  const c = new ByteCursor(s.bytes, offset);
  if (offset + 4 > s.bytes.length) return undefined;
  let length = BigInt(c.u32());
  if (length === 0n) return undefined; // eh_frame terminator
  let is64 = false;
  if (length === 0xffffffffn) {
    length = c.u64();
    is64 = true;
  }
  const idAt = c.pos;
  const end = idAt + Number(length);
  if (length > BigInt(s.bytes.length) || end > s.bytes.length) throw new CfiError(`entry length ${length} runs past the section`, offset);
  return { offset, idAt, end, is64 };
}

function isCie(s: CfiSection, h: EntryHeader): boolean {
  const c = new ByteCursor(s.bytes, h.idAt, h.end);
  const id = h.is64 ? c.u64() : BigInt(c.u32());
  if (s.kind === 'eh_frame') return id === 0n;
  return h.is64 ? id === 0xffffffffffffffffn : id === 0xffffffffn;
}

export class CfiEntries {
  private readonly cies = new Map<number, Cie>();

  constructor(readonly section: CfiSection) {}

  /** Every entry's offset in section order (for an index built without .eh_frame_hdr, and for tests). */
  *entryOffsets(): Generator<{ offset: number; cie: boolean }> {
    let at = 0;
    const s = this.section;
    while (at + 4 <= s.bytes.length) {
      const h = header(s, at);
      if (!h) {
        if (s.kind === 'eh_frame') return;
        at += 4; // a zero-length entry in .debug_frame is padding
        continue;
      }
      yield { offset: at, cie: isCie(s, h) };
      at = h.end;
    }
  }

  cieAt(offset: number): Cie {
    let cie = this.cies.get(offset);
    if (!cie) {
      cie = this.parseCie(offset);
      this.cies.set(offset, cie);
    }
    return cie;
  }

  fdeAt(offset: number): Fde {
    const s = this.section;
    const h = header(s, offset);
    if (!h) throw new CfiError('no entry here (section terminator)', offset);
    if (isCie(s, h)) throw new CfiError('expected an FDE, found a CIE', offset);
    const c = new ByteCursor(s.bytes, h.idAt, h.end);
    const ptr = h.is64 ? Number(c.u64()) : c.u32();
    const cieOffset = s.kind === 'eh_frame' ? h.idAt - ptr : ptr;
    if (cieOffset < 0 || cieOffset >= s.bytes.length) throw new CfiError(`FDE's CIE pointer 0x${ptr.toString(16)} is outside the section`, h.idAt);
    const cie = this.cieAt(cieOffset);
    const bases = { section: s.vaddr, data: s.dataBase, text: s.textBase };
    let pcBegin: bigint;
    let range: bigint;
    if (s.kind === 'eh_frame' || cie.augmentation.includes('z')) {
      pcBegin = c.encoded(cie.fdeEncoding, bases, cie.addressSize) ?? 0n;
      range = c.encoded(cie.fdeEncoding & 0x0f, bases, cie.addressSize) ?? 0n;
    } else {
      pcBegin = cie.addressSize === 4 ? BigInt(c.u32()) : c.u64();
      range = cie.addressSize === 4 ? BigInt(c.u32()) : c.u64();
    }
    if (cie.augmentation.startsWith('z')) {
      const len = c.ulebNum();
      c.bytes(len);
    }
    return { offset, cie, pcBegin, pcEnd: BigInt.asUintN(64, pcBegin + range), instructions: s.bytes.subarray(c.pos, h.end) };
  }

  /** Just the pc range of the FDE at `offset` (index building reads only this much). */
  fdeRange(offset: number): { pcBegin: bigint; pcEnd: bigint } {
    const f = this.fdeAt(offset);
    return { pcBegin: f.pcBegin, pcEnd: f.pcEnd };
  }

  private parseCie(offset: number): Cie {
    const s = this.section;
    const h = header(s, offset);
    if (!h || !isCie(s, h)) throw new CfiError('the FDE points at something that is not a CIE', offset);
    const c = new ByteCursor(s.bytes, h.idAt + (h.is64 ? 8 : 4), h.end);
    const version = c.u8();
    if (![1, 3, 4].includes(version)) throw new CfiError(`unsupported CIE version ${version}`, offset);
    const augmentation = c.cstring();
    let addressSize = 8;
    if (version === 4) {
      addressSize = c.u8();
      c.u8(); // segment selector size
      if (addressSize !== 4 && addressSize !== 8) throw new CfiError(`CIE address size ${addressSize}`, offset);
    }
    if (augmentation === 'eh') c.u64(); // old GCC: the eh_ptr word
    const codeAlign = c.ulebNum();
    const dataAlign = c.slebNum();
    const raRegister = version === 1 ? c.u8() : c.ulebNum();
    let fdeEncoding = 0; // absptr unless 'R' says otherwise
    let lsdaEncoding = DW_EH_PE_omit;
    let signalFrame = false;
    if (augmentation.startsWith('z')) {
      const len = c.ulebNum();
      const augEnd = c.pos + len;
      const bases = { section: s.vaddr, data: s.dataBase, text: s.textBase };
      for (const ch of augmentation.slice(1)) {
        if (ch === 'R') fdeEncoding = c.u8();
        else if (ch === 'L') lsdaEncoding = c.u8();
        else if (ch === 'P') c.encoded(c.u8() & 0x7f, bases, addressSize);
        else if (ch === 'S') signalFrame = true;
        else if (ch === 'B' || ch === 'G') continue;
        else break; // unknown letter: the rest of the augmentation data is skipped by its length
      }
      c.pos = augEnd;
    } else if (augmentation !== '' && augmentation !== 'eh') {
      throw new CfiError(`unknown CIE augmentation "${augmentation}"`, offset);
    }
    return { offset, version, augmentation, addressSize, codeAlign, dataAlign, raRegister, fdeEncoding, lsdaEncoding, signalFrame, instructions: s.bytes.subarray(c.pos, h.end) };
  }
}
