import { inflateSync } from 'node:zlib';
import { RangeSource } from '../adapters/range-source.adapter';
import { ElfError } from '../model/errors';
import { SectionHeader, SHF_COMPRESSED, SHT_NOBITS } from './elf-types';

const ELFCOMPRESS_ZLIB = 1;

/**
 * A section's bytes as the program sees them: SHF_COMPRESSED (gABI: Elf64_Chdr +
 * zlib, what Go 1.19 and `-gz` write) and GNU `.zdebug_*` ("ZLIB" + big-endian size)
 * are inflated; the inflated size is bounded by `maxBytes`.
 */
export async function readSectionData(src: RangeSource, s: SectionHeader, maxBytes = 256 * 1024 * 1024): Promise<Buffer> {
  if (s.type === SHT_NOBITS || s.size === 0) return Buffer.alloc(0);
  if (s.size > maxBytes || s.offset + s.size > src.size) {
    throw new ElfError(`section ${s.name} (${s.size} bytes at ${s.offset}) lies outside the file or is too large`, { offset: s.offset });
  }
  const raw = await src.read(s.offset, s.size);
  if ((s.flags & BigInt(SHF_COMPRESSED)) !== 0n) {
    if (raw.length < 24) throw new ElfError(`section ${s.name}: compression header truncated`, { offset: s.offset });
    const type = raw.readUInt32LE(0);
    const size = Number(raw.readBigUInt64LE(8));
    if (type !== ELFCOMPRESS_ZLIB) throw new ElfError(`section ${s.name}: compression type ${type} is not zlib`, { offset: s.offset });
    return inflate(raw.subarray(24), size, maxBytes, s);
  }
  if (s.name.startsWith('.zdebug') && raw.length >= 12 && raw.toString('latin1', 0, 4) === 'ZLIB') {
    return inflate(raw.subarray(12), Number(raw.readBigUInt64BE(4)), maxBytes, s);
  }
  return raw;
}

function inflate(data: Buffer, size: number, maxBytes: number, s: SectionHeader): Buffer {
  if (size > maxBytes) throw new ElfError(`section ${s.name} inflates to ${size} bytes, over the limit`, { offset: s.offset });
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, size) });
  } catch (err) {
    throw new ElfError(`section ${s.name} does not inflate: ${(err as Error).message}`, { offset: s.offset });
  }
}
