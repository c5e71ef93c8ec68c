import { RangeSource } from '../adapters/range-source.adapter';
import { Memory } from './memory';

export interface FileRange {
  start: bigint;
  end: bigint;
  /** File offset of `start`. */
  offset: bigint;
  src: RangeSource;
}

/**
 * The bytes of mapped files, as the process saw them: the text pages a kernel core
 * leaves out (the unwinder reads instructions to recognize signal trampolines), read
 * from the stored copy of the file the core names.
 */
export class FileMemory implements Memory {
  private readonly ranges: FileRange[];
  constructor(ranges: FileRange[]) {
    this.ranges = [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1));
  }
  async read(addr: bigint, len: number): Promise<Buffer | undefined> {
    const r = this.ranges.find((x) => x.start <= addr && addr + BigInt(len) <= x.end);
    if (!r) return undefined;
    const at = r.offset + (addr - r.start);
    if (at + BigInt(len) > BigInt(r.src.size)) return undefined;
    const b = await r.src.read(Number(at), len);
    return b.length === len ? b : undefined;
  }
}
