import { createInflate, inflateSync } from 'node:zlib';
import { SyncRangeSource } from '../adapters/range-source.adapter';
import { ElfInfo, SectionHeader, SHF_COMPRESSED, SHT_NOBITS } from '../elf/elf-types';
import { DwarfError } from '../model/errors';

/**
 * The DWARF sections of one ELF file, read by range. An uncompressed section is never
 * loaded whole: reads go to the file through a small page cache. A compressed section
 * (SHF_COMPRESSED with zlib, or GNU's older `.zdebug_*`) has no random access, so it
 * is inflated once, on first use, within `maxInflatedBytes`; `.debug_info`, the big
 * one, can instead be streamed unit by unit (DwarfFile.streamUnits).
 */
export type SectionName =
  | 'debug_info'
  | 'debug_abbrev'
  | 'debug_str'
  | 'debug_line_str'
  | 'debug_str_offsets'
  | 'debug_addr'
  | 'debug_ranges'
  | 'debug_rnglists'
  | 'debug_line'
  | 'debug_aranges'
  | 'debug_types';

const NAMES: SectionName[] = [
  'debug_info',
  'debug_abbrev',
  'debug_str',
  'debug_line_str',
  'debug_str_offsets',
  'debug_addr',
  'debug_ranges',
  'debug_rnglists',
  'debug_line',
  'debug_aranges',
  'debug_types',
];

const ELFCOMPRESS_ZLIB = 1;
const ELFCOMPRESS_ZSTD = 2;
const PAGE = 64 * 1024;
const MAX_PAGES = 128;
export const DEFAULT_MAX_INFLATED_BYTES = 2 * 1024 * 1024 * 1024;

/** Random access to one section's bytes. */
export interface SectionData {
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or a DwarfError: a view when possible, else a copy. */
  bytes(offset: number, length: number): Buffer;
  /** Up to `max` bytes at `offset` (fewer at the end of the section): for structures without a length prefix. */
  window(offset: number, max: number): Buffer;
}

function outside(name: string, offset: number, length: number, size: number): DwarfError {
  return new DwarfError(`.${name}: ${length} bytes at offset 0x${offset.toString(16)} lie outside the section (${size} bytes)`, {
    section: `.${name}`,
    offset,
  });
}

export class MemorySection implements SectionData {
  constructor(
    readonly name: string,
    private readonly buf: Buffer,
  ) {}
  get size(): number {
    return this.buf.length;
  }
  bytes(offset: number, length: number): Buffer {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.buf.length)) throw outside(this.name, offset, length, this.buf.length);
    return this.buf.subarray(offset, offset + length);
  }
  window(offset: number, max: number): Buffer {
    if (!(offset >= 0 && offset <= this.buf.length)) throw outside(this.name, offset, 1, this.buf.length);
    return this.buf.subarray(offset, Math.min(this.buf.length, offset + max));
  }
}

/** An uncompressed section in the file: small reads through 64 KiB pages (bounded cache), large ones direct. */
class FileSection implements SectionData {
  private readonly pages = new Map<number, Buffer>();

  constructor(
    readonly name: string,
    private readonly src: SyncRangeSource,
    private readonly fileOffset: number,
    readonly size: number,
  ) {}

  bytes(offset: number, length: number): Buffer {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.size)) throw outside(this.name, offset, length, this.size);
    const first = Math.floor(offset / PAGE);
    if (length <= PAGE && Math.floor((offset + length - 1) / PAGE) === first) {
      const page = this.page(first);
      const at = offset - first * PAGE;
      return page.subarray(at, at + length);
    }
    const buf = this.src.readSync(this.fileOffset + offset, length);
    if (buf.length < length) throw outside(this.name, offset, length, this.size);
    return buf;
  }

  window(offset: number, max: number): Buffer {
    if (!(offset >= 0 && offset <= this.size)) throw outside(this.name, offset, 1, this.size);
    return this.bytes(offset, Math.min(max, this.size - offset));
  }

  private page(n: number): Buffer {
    let p = this.pages.get(n);
    if (p) {
      this.pages.delete(n);
      this.pages.set(n, p);
      return p;
    }
    const start = n * PAGE;
    p = this.src.readSync(this.fileOffset + start, Math.min(PAGE, this.size - start));
    this.pages.set(n, p);
    if (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value as number);
    return p;
  }
}

/** Where a compressed section's deflate stream lies, and how big it inflates. */
interface Compressed {
  streamOffset: number;
  streamSize: number;
  inflatedSize: number;
}

export class DwarfSections {
  private readonly data = new Map<SectionName, SectionData>();
  private readonly headers = new Map<SectionName, { header: SectionHeader; compressed?: Compressed }>();

  constructor(
    private readonly src: SyncRangeSource,
    readonly littleEndian: boolean,
    private readonly maxInflatedBytes = DEFAULT_MAX_INFLATED_BYTES,
  ) {}

  /** The DWARF sections of an ELF file (headers only; bytes are read when asked for). */
  static of(info: ElfInfo, src: SyncRangeSource, maxInflatedBytes?: number): DwarfSections {
    const s = new DwarfSections(src, info.header.endian === 'little', maxInflatedBytes);
    for (const name of NAMES) {
      const plain = info.sections.find((h) => h.name === `.${name}` && h.type !== SHT_NOBITS);
      const gnu = plain ? undefined : info.sections.find((h) => h.name === `.z${name}` && h.type !== SHT_NOBITS);
      const header = plain ?? gnu;
      if (!header || header.size === 0) continue;
      s.headers.set(name, { header, compressed: s.compression(name, header, !!gnu, info.header.bits) });
    }
    return s;
  }

  /** In-memory sections (tests, fuzzing). */
  static fromBuffers(buffers: Partial<Record<SectionName, Buffer>>, littleEndian = true): DwarfSections {
    const s = new DwarfSections({ size: 0, readSync: () => Buffer.alloc(0) }, littleEndian);
    for (const [name, buf] of Object.entries(buffers) as [SectionName, Buffer][]) s.data.set(name, new MemorySection(name, buf));
    return s;
  }

  has(name: SectionName): boolean {
    return this.data.has(name) || this.headers.has(name);
  }

  /** Size of the section as stored in the file (compressed or not), for reporting. */
  storedSize(name: SectionName): number {
    return this.headers.get(name)?.header.size ?? this.data.get(name)?.size ?? 0;
  }

  /** Size of the section's contents (inflated size when compressed). */
  size(name: SectionName): number {
    const h = this.headers.get(name);
    if (h) return h.compressed ? h.compressed.inflatedSize : h.header.size;
    return this.data.get(name)?.size ?? 0;
  }

  isCompressed(name: SectionName): boolean {
    return this.headers.get(name)?.compressed !== undefined;
  }

  /** The section's bytes, or undefined when the file has none. */
  get(name: SectionName): SectionData | undefined {
    const have = this.data.get(name);
    if (have) return have;
    const h = this.headers.get(name);
    if (!h) return undefined;
    const d = h.compressed ? new MemorySection(name, this.inflate(name, h.compressed)) : new FileSection(name, this.src, h.header.offset, h.header.size);
    this.data.set(name, d);
    return d;
  }

  /**
   * The section's bytes in order, as chunks, without holding it whole: ranges of the
   * file, or the output of a streaming inflate. For a single sequential pass.
   */
  async *stream(name: SectionName, chunk = 1 << 20): AsyncGenerator<Buffer> {
    const loaded = this.data.get(name);
    const h = this.headers.get(name);
    if (loaded && (!h || !h.compressed)) {
      for (let o = 0; o < loaded.size; o += chunk) yield loaded.bytes(o, Math.min(chunk, loaded.size - o));
      return;
    }
    if (!h) return;
    if (!h.compressed) {
      for (let o = 0; o < h.header.size; o += chunk) {
        const n = Math.min(chunk, h.header.size - o);
        const buf = this.src.readSync(h.header.offset + o, n);
        if (buf.length < n) throw outside(name, o, n, h.header.size);
        yield buf;
      }
      return;
    }
    const c = h.compressed;
    const inflater = createInflate({ chunkSize: chunk });
    let produced = 0;
    const feed = async () => {
      for (let o = 0; o < c.streamSize; o += chunk) {
        const buf = this.src.readSync(c.streamOffset + o, Math.min(chunk, c.streamSize - o));
        if (!inflater.write(buf)) await new Promise<void>((resolve) => inflater.once('drain', resolve));
      }
      inflater.end();
    };
    const feeding = feed().catch((err: Error) => inflater.destroy(err));
    try {
      for await (const out of inflater as AsyncIterable<Buffer>) {
        produced += out.length;
        if (produced > c.inflatedSize) throw this.corrupt(name, `inflates past its declared size of ${c.inflatedSize} bytes`);
        yield out;
      }
    } catch (err) {
      if (err instanceof DwarfError) throw err;
      throw this.corrupt(name, `does not inflate: ${(err as Error).message}`);
    } finally {
      inflater.destroy();
      await feeding;
    }
    if (produced !== c.inflatedSize) throw this.corrupt(name, `inflated to ${produced} bytes, not the declared ${c.inflatedSize}`);
  }

  private compression(name: SectionName, h: SectionHeader, gnu: boolean, bits: 32 | 64): Compressed | undefined {
    const le = this.littleEndian;
    if (gnu) {
      // "ZLIB" + 8-byte big-endian uncompressed size + a zlib stream.
      const head = this.src.readSync(h.offset, 12);
      if (head.length < 12 || head.toString('latin1', 0, 4) !== 'ZLIB') return undefined; // stored uncompressed after all
      const size = Number(head.readBigUInt64BE(4));
      return this.checked(name, { streamOffset: h.offset + 12, streamSize: h.size - 12, inflatedSize: size });
    }
    if ((h.flags & BigInt(SHF_COMPRESSED)) === 0n) return undefined;
    const chdrSize = bits === 64 ? 24 : 12;
    const head = this.src.readSync(h.offset, chdrSize);
    if (head.length < chdrSize) throw this.corrupt(name, 'is too short for its compression header');
    const type = le ? head.readUInt32LE(0) : head.readUInt32BE(0);
    const size = bits === 64 ? Number(le ? head.readBigUInt64LE(8) : head.readBigUInt64BE(8)) : le ? head.readUInt32LE(4) : head.readUInt32BE(4);
    if (type === ELFCOMPRESS_ZSTD) throw this.corrupt(name, 'is zstd-compressed (ELFCOMPRESS_ZSTD), which Node 20 cannot inflate');
    if (type !== ELFCOMPRESS_ZLIB) throw this.corrupt(name, `has unknown compression type ${type}`);
    return this.checked(name, { streamOffset: h.offset + chdrSize, streamSize: h.size - chdrSize, inflatedSize: size });
  }

  private checked(name: SectionName, c: Compressed): Compressed {
    if (!Number.isSafeInteger(c.inflatedSize) || c.inflatedSize > this.maxInflatedBytes) {
      throw this.corrupt(name, `claims ${c.inflatedSize} bytes uncompressed, over the limit of ${this.maxInflatedBytes}`);
    }
    return c;
  }

  private inflate(name: SectionName, c: Compressed): Buffer {
    const input = this.src.readSync(c.streamOffset, c.streamSize);
    let out: Buffer;
    try {
      out = inflateSync(input, { maxOutputLength: Math.max(1, c.inflatedSize) });
    } catch (err) {
      throw this.corrupt(name, `does not inflate to its declared ${c.inflatedSize} bytes: ${(err as Error).message}`);
    }
    if (out.length !== c.inflatedSize) throw this.corrupt(name, `inflated to ${out.length} bytes, not the declared ${c.inflatedSize}`);
    return out;
  }

  private corrupt(name: SectionName, what: string): DwarfError {
    return new DwarfError(`.${name} ${what}`, { section: `.${name}`, offset: 0 });
  }
}
