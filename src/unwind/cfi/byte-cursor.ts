/**
 * A bounds-checked little-endian cursor over CFI bytes. Every read past the end
 * throws CfiError with the offset, so a corrupt .eh_frame is an error for that
 * entry, never a RangeError or a wrong answer.
 */
export class CfiError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at offset 0x${offset.toString(16)})`);
  }
}

export const DW_EH_PE_omit = 0xff;
const DW_EH_PE_pcrel = 0x10;
const DW_EH_PE_textrel = 0x20;
const DW_EH_PE_datarel = 0x30;
const DW_EH_PE_funcrel = 0x40;
const DW_EH_PE_aligned = 0x50;
const DW_EH_PE_indirect = 0x80;

const MASK64 = (1n << 64n) - 1n;

/** Where relative pointer encodings are relative to (LSB 3.0 "DWARF Exception Header Encoding"). */
export interface PointerBases {
  /** Address of the section the cursor reads (pcrel = this + offset). */
  section: bigint;
  text?: bigint;
  data?: bigint;
  func?: bigint;
}

export class ByteCursor {
  constructor(
    readonly b: Buffer,
    public pos = 0,
    readonly end = b.length,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.end || this.pos < 0) throw new CfiError(`read of ${n} bytes past the end of the entry`, this.pos);
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.b.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  i8(): number {
    this.need(1);
    return this.b.readInt8(this.pos++);
  }
  i16(): number {
    this.need(2);
    const v = this.b.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.b.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.b.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      if (shift < 64n) result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return result & MASK64;
      if (shift > 640n) throw new CfiError('LEB128 longer than 90 bytes', this.pos);
    }
  }
  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8();
      if (shift < 64n) result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (shift > 640n) throw new CfiError('LEB128 longer than 90 bytes', this.pos);
    } while (byte & 0x80);
    if (shift < 64n && byte & 0x40) result -= 1n << shift;
    return BigInt.asIntN(64, result);
  }
  /** A small unsigned LEB (register numbers, factors) as a number. */
  ulebNum(): number {
    const v = this.uleb();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CfiError(`value ${v} too large`, this.pos);
    return Number(v);
  }
  slebNum(): number {
    const v = this.sleb();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new CfiError(`value ${v} too large`, this.pos);
    return Number(v);
  }
  cstring(): string {
    const nul = this.b.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) throw new CfiError('unterminated string', this.pos);
    const s = this.b.toString('latin1', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A pointer in DW_EH_PE encoding `enc`; `undefined` for DW_EH_PE_omit. Indirect pointers are returned as their address. */
  encoded(enc: number, bases: PointerBases, addressSize = 8): bigint | undefined {
    if (enc === DW_EH_PE_omit) return undefined;
    const at = this.pos;
    let v: bigint;
    switch (enc & 0x0f) {
      case 0x00:
        v = addressSize === 4 ? BigInt(this.u32()) : this.u64();
        break;
      case 0x01:
        v = this.uleb();
        break;
      case 0x02:
        v = BigInt(this.u16());
        break;
      case 0x03:
        v = BigInt(this.u32());
        break;
      case 0x04:
        v = this.u64();
        break;
      case 0x09:
        v = this.sleb();
        break;
      case 0x0a:
        v = BigInt(this.i16());
        break;
      case 0x0b:
        v = BigInt(this.i32());
        break;
      case 0x0c:
        v = this.i64();
        break;
      default:
        throw new CfiError(`unknown pointer encoding 0x${enc.toString(16)}`, at);
    }
    switch (enc & 0x70) {
      case 0:
        break;
      case DW_EH_PE_pcrel:
        v += bases.section + BigInt(at);
        break;
      case DW_EH_PE_textrel:
        if (bases.text === undefined) throw new CfiError('textrel pointer without a text base', at);
        v += bases.text;
        break;
      case DW_EH_PE_datarel:
        if (bases.data === undefined) throw new CfiError('datarel pointer without a data base', at);
        v += bases.data;
        break;
      case DW_EH_PE_funcrel:
        if (bases.func === undefined) throw new CfiError('funcrel pointer without a function base', at);
        v += bases.func;
        break;
      case DW_EH_PE_aligned:
      default:
        throw new CfiError(`unsupported pointer application 0x${(enc & 0x70).toString(16)}`, at);
    }
    void DW_EH_PE_indirect; // indirect: the value is where the pointer is stored (personality routines only)
    return BigInt.asUintN(64, v);
  }
}
