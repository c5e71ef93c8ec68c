import { LRUCache } from 'lru-cache';
import { RangeSource } from '../adapters/range-source.adapter';
import { Memory } from '../unwind/memory';

/** One PT_LOAD of a core: [vaddr, vaddr + memsz) in the process, its first `filesz` bytes dumped at `offset`. */
export interface CoreSegment {
  vaddr: bigint;
  memsz: bigint;
  filesz: bigint;
  offset: number;
  flags: number;
}

const BLOCK = 64 * 1024;
const MAX_READ = 16 * 1024 * 1024;

/**
 * The process memory a core holds, read on demand by range (a 1 GB core is never
 * loaded): segments sorted by address, 64 KiB blocks of the file kept in a small
 * LRU so an unwinder's many 8-byte reads cost few system calls. Bytes past a
 * segment's filesz were not dumped (file-backed text, by the kernel's
 * coredump_filter): they are unknown, not zero, and answer undefined so a later
 * layer (the module's own file) can supply them.
 */
export class CoreMemory implements Memory {
  private readonly blocks: LRUCache<number, Promise<Buffer>>;
  readonly segments: CoreSegment[];

  constructor(
    private readonly src: RangeSource,
    segments: CoreSegment[],
    cacheBlocks = 256,
  ) {
    this.segments = [...segments].sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
    this.blocks = new LRUCache({ max: cacheBlocks });
  }

  /** The segment holding `addr`, by binary search. */
  segmentAt(addr: bigint): CoreSegment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid];
      if (addr < s.vaddr) hi = mid - 1;
      else if (addr >= s.vaddr + s.memsz) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  async read(addr: bigint, len: number): Promise<Buffer | undefined> {
    if (len < 0 || len > MAX_READ) return undefined;
    const out = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const at = addr + BigInt(done);
      const s = this.segmentAt(at);
      if (!s) return undefined;
      const within = at - s.vaddr;
      if (within >= s.filesz) return undefined;
      const n = Math.min(len - done, Number(s.filesz - within));
      const fileAt = s.offset + Number(within);
      if (fileAt + n > this.src.size) return undefined; // a truncated core: the tail is gone
      await this.copy(fileAt, n, out, done);
      done += n;
    }
    return out;
  }

  private async copy(fileAt: number, n: number, out: Buffer, outAt: number): Promise<void> {
    let o = 0;
    while (o < n) {
      const pos = fileAt + o;
      const blockNo = Math.floor(pos / BLOCK);
      const block = await this.block(blockNo);
      const inBlock = pos - blockNo * BLOCK;
      const take = Math.min(n - o, block.length - inBlock);
      if (take <= 0) return;
      block.copy(out, outAt + o, inBlock, inBlock + take);
      o += take;
    }
  }

  private block(no: number): Promise<Buffer> {
    let b = this.blocks.get(no);
    if (!b) {
      b = this.src.read(no * BLOCK, BLOCK);
      this.blocks.set(no, b);
    }
    return b;
  }
}
