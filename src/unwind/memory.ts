/**
 * The unwinder's only view of a process: bytes at virtual addresses. A core file, a
 * module's file content (text pages the kernel does not dump), or a minidump all
 * answer this, so the unwinder never knows where the bytes come from.
 */
export interface Memory {
  /** `len` bytes at `addr`, or undefined when any of them is not in the image. */
  read(addr: bigint, len: number): Promise<Buffer | undefined>;
}

const MASK64 = (1n << 64n) - 1n;

export async function readU64(m: Memory, addr: bigint): Promise<bigint | undefined> {
  if (addr < 0n || addr + 8n > MASK64) return undefined;
  const b = await m.read(addr, 8);
  return b ? b.readBigUInt64LE(0) : undefined;
}

export async function readU32(m: Memory, addr: bigint): Promise<number | undefined> {
  if (addr < 0n || addr + 4n > MASK64) return undefined;
  const b = await m.read(addr, 4);
  return b ? b.readUInt32LE(0) : undefined;
}

/** Tries each layer in order: the first that has all the bytes answers. */
export class LayeredMemory implements Memory {
  constructor(private readonly layers: Memory[]) {}
  async read(addr: bigint, len: number): Promise<Buffer | undefined> {
    for (const l of this.layers) {
      const b = await l.read(addr, len);
      if (b) return b;
    }
    return undefined;
  }
}
