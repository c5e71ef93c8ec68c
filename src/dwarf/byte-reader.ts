import { DwarfError } from '../model/errors';

const TWO32 = 4294967296;

/**
 * A bounds-checked cursor over bytes of one DWARF section. `base` is the section
 * offset of buf[0], so errors name the section offset; nothing reads past `end`:
 * a length or offset that lies is a DwarfError naming where, never a RangeError.
 * 64-bit values are JS numbers: exact below 2^53, and beyond that only ever compared
 * against MAX_SAFE_INTEGER (tombstones, bogus values), never used as addresses.
 */
export class ByteReader {
  pos: number;
  end: number;

  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
    readonly section: string,
    /** Section offset of buf[0]. */
    readonly base = 0,
    start = 0,
    end = buf.length,
    /** The unit being read, for error context. */
    readonly unit?: number,
  ) {
    this.pos = start;
    this.end = Math.min(end, buf.length);
  }

  /** The section offset of the cursor. */
  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string, at = this.pos): never {
    const offset = this.base + at;
    throw new DwarfError(`${this.section}: ${message} (at offset 0x${offset.toString(16)}${this.unit !== undefined ? `, unit 0x${this.unit.toString(16)}` : ''})`, {
      section: this.section,
      offset,
      unit: this.unit,
    });
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`${n} bytes needed, ${Math.max(0, this.end - this.pos)} left`);
  }

  seek(pos: number): void {
    if (pos < 0 || pos > this.end || !Number.isSafeInteger(pos)) this.fail(`offset 0x${(this.base + pos).toString(16)} lies outside`, this.pos);
    this.pos = pos;
  }

  skip(n: number): void {
    if (!(n >= 0) || this.pos + n > this.end) this.fail(`a length of ${n} runs past the end (${Math.max(0, this.end - this.pos)} left)`);
    this.pos += n;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('1 byte needed, none left');
    return this.buf[this.pos++];
  }

  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.need(2);
    this.pos = p + 2;
    const b = this.buf;
    return this.le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
  }

  u24(): number {
    const p = this.pos;
    if (p + 3 > this.end) this.need(3);
    this.pos = p + 3;
    const b = this.buf;
    return this.le ? b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) : (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.need(4);
    this.pos = p + 4;
    const b = this.buf;
    return this.le
      ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000
      : b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  u64(): number {
    if (this.pos + 8 > this.end) this.need(8);
    const a = this.u32();
    const b = this.u32();
    return this.le ? b * TWO32 + a : a * TWO32 + b;
  }

  /** An exact 64-bit value (type signatures). */
  u64big(): bigint {
    if (this.pos + 8 > this.end) this.need(8);
    const v = this.le ? this.buf.readBigUInt64LE(this.pos) : this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** 4 or 8 bytes: a section offset in 32- or 64-bit DWARF, or an address. */
  sized(size: number): number {
    switch (size) {
      case 8:
        return this.u64();
      case 4:
        return this.u32();
      case 2:
        return this.u16();
      case 1:
        return this.u8();
      default:
        return this.fail(`unsupported field size ${size}`);
    }
  }

  uleb(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    if (p < end && b[p] < 0x80) {
      this.pos = p + 1;
      return b[p];
    }
    let result = 0;
    let mul = 1;
    for (;;) {
      if (p >= end) this.fail('LEB128 runs past the end');
      const byte = b[p++];
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 128;
    }
    this.pos = p;
    return result;
  }

  sleb(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    let result = 0;
    let mul = 1;
    let byte: number;
    do {
      if (p >= end) this.fail('LEB128 runs past the end');
      byte = b[p++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte >= 0x80);
    if (byte & 0x40) result -= mul;
    this.pos = p;
    return result;
  }

  /** Skip a LEB128 without decoding it. */
  skipLeb(): void {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    while (p < end && b[p] >= 0x80) p++;
    if (p >= end) this.fail('LEB128 runs past the end');
    this.pos = p + 1;
  }

  /** Position of the NUL ending the string at the cursor; the cursor moves past it. */
  cstrEnd(): number {
    const at = this.buf.indexOf(0, this.pos);
    if (at < 0 || at >= this.end) this.fail('string has no terminating NUL');
    this.pos = at + 1;
    return at;
  }

  cstr(): string {
    const start = this.pos;
    const end = this.cstrEnd();
    return this.buf.toString('utf8', start, end);
  }
}

/** A 64-bit value that cannot be an address of this machine (a tombstone, or garbage). */
export function isBogusAddress(v: number): boolean {
  return v > Number.MAX_SAFE_INTEGER;
}
