import { RangeSource } from '../adapters/range-source.adapter';
import { ElfError } from '../model/errors';

/**
 * Bounds-checked reads for the ELF reader: every read names what it was reading, and
 * anything outside the file is an ElfError carrying the offset, never a RangeError
 * from deep inside Buffer.
 */
export class RangeReader {
  constructor(
    private readonly src: RangeSource,
    readonly path?: string,
  ) {}

  get size(): number {
    return this.src.size;
  }

  fail(message: string, offset: number): never {
    throw new ElfError(`${this.path ? `${this.path}: ` : ''}${message} (at offset ${offset})`, {
      offset,
      path: this.path,
    });
  }

  async bytes(offset: number, length: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.src.size) {
      this.fail(`${what} lies outside the file (${length} bytes at ${offset}, file is ${this.src.size} bytes)`, Math.max(0, offset) || 0);
    }
    const buf = await this.src.read(offset, length);
    if (buf.length < length) this.fail(`short read of ${what}`, offset + buf.length);
    return buf;
  }
}

/** Endian-aware field reads on a buffer whose bounds the caller already checked. */
export class Fields {
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
  /** A 64-bit file offset or size as a number; beyond 2^53 it is certainly bogus (-1). */
  off64(o: number): number {
    const v = this.u64(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  }
}
