import { ElfError } from '../model/errors';

/**
 * Go's function table (.gopclntab), the part of a Go binary that survives `-s -w`:
 * function entries and names, and the pc->file and pc->line tables the runtime
 * prints tracebacks from. Formats of Go 1.16/1.17 (magic 0xfffffffa), 1.18/1.19
 * (0xfffffff0) and 1.20+ (0xfffffff1). Layouts as in runtime/symtab.go.
 */
export interface GoFunc {
  entry: bigint;
  end: bigint;
  name: string;
  funcOff: number;
}

export interface GoLine {
  function: string;
  file?: string;
  line?: number;
  entry: bigint;
  /** Functions the compiler inlined at this pc, innermost first (needs the inline tree). */
  inlined: { function: string; file?: string; line?: number }[];
}

/** What the unwinder reads of a Go function (runtime/symtab.go _func): pcsp gives the frame size. */
export interface GoFrameInfo {
  entry: bigint;
  end: bigint;
  name: string;
  funcID: number;
  /** funcFlag: TOPFRAME 1, SPWRITE 2, ASM 4 (Go 1.17+; 0 before). */
  flag: number;
  /** Bytes the function's frame has pushed at this pc, return address excluded; undefined when pcsp has no value. */
  spDelta?: number;
}

const PCDATA_INL_TREE_INDEX = 2;
const FUNCDATA_INL_TREE = 3;

const GO116 = 0xfffffffa;
const GO118 = 0xfffffff0;
const GO120 = 0xfffffff1;

export class GoPclntab {
  private readonly funcs: GoFunc[] = [];
  private readonly ptr: number;
  private readonly quantum: number;
  private readonly le: boolean;
  private readonly version: 116 | 118 | 120;
  private readonly funcnametab: number;
  private readonly cutab: number;
  private readonly filetab: number;
  private readonly pctab: number;
  private readonly pclntab: number;
  /** Bytes from moduledata.gofunc on, where inline trees live (Go 1.18+); see withInlineTrees. */
  private gofunc?: Buffer;

  /** `textFallback`: the .text address, for PIE files whose header textStart is left to a relocation (0). */
  constructor(
    private readonly b: Buffer,
    endian: 'little' | 'big',
    textFallback: bigint,
  ) {
    this.le = endian === 'little';
    if (b.length < 64) throw new ElfError('.gopclntab is too short for a header', { offset: 0 });
    const magic = this.u32(0);
    this.version = magic === GO120 ? 120 : magic === GO118 ? 118 : magic === GO116 ? 116 : this.unsupported(magic);
    this.quantum = b[6];
    this.ptr = b[7];
    if (this.ptr !== 4 && this.ptr !== 8) throw new ElfError(`.gopclntab pointer size ${this.ptr}`, { offset: 7 });
    const word = (i: number) => Number(this.uptr(8 + i * this.ptr));
    const nfunc = word(0);
    let i = 2;
    let textStart = 0n;
    if (this.version >= 118) textStart = this.uptr(8 + i++ * this.ptr);
    if (textStart === 0n) textStart = textFallback;
    this.funcnametab = word(i++);
    this.cutab = word(i++);
    this.filetab = word(i++);
    this.pctab = word(i++);
    this.pclntab = word(i++);
    const entrySize = this.version >= 118 ? 8 : this.ptr * 2;
    if (nfunc < 0 || this.pclntab + (nfunc + 1) * entrySize > b.length) {
      throw new ElfError(`.gopclntab function table (${nfunc} functions) lies outside the section`, { offset: this.pclntab });
    }
    const entryAt = (k: number): [bigint, number] => {
      const o = this.pclntab + k * entrySize;
      return this.version >= 118 ? [textStart + BigInt(this.u32(o)), this.u32(o + 4)] : [this.uptr(o), Number(this.uptr(o + this.ptr))];
    };
    for (let k = 0; k < nfunc; k++) {
      const [entry, funcOff] = entryAt(k);
      const [end] = entryAt(k + 1);
      const nameOff = this.i32(this.pclntab + funcOff + (this.version >= 118 ? 4 : this.ptr));
      this.funcs.push({ entry, end, funcOff, name: this.cstring(this.funcnametab + nameOff) });
    }
  }

  /** Offset of the funcnametab from the header: with the header's address it identifies moduledata. */
  get funcnameOffset(): number {
    return this.funcnametab;
  }

  get goVersion(): 116 | 118 | 120 {
    return this.version;
  }

  /** Give the bytes at moduledata.gofunc, so inlined frames are expanded as Go's traceback does. */
  withInlineTrees(gofunc: Buffer): this {
    if (this.version >= 118) this.gofunc = gofunc;
    return this;
  }

  get functionCount(): number {
    return this.funcs.length;
  }

  /** Every function, in address order. */
  functions(): readonly GoFunc[] {
    return this.funcs;
  }

  /**
   * The pcs in [entry, end) where the answer of `lookup` can change: where the function's
   * file, line or inline-tree index tables step. Between two of them lookup is constant.
   */
  changePoints(f: GoFunc): bigint[] {
    const base = this.pclntab + f.funcOff;
    const fields = base + (this.version >= 118 ? 4 : this.ptr);
    const tables = [this.u32(fields + 16), this.u32(fields + 20)];
    const npcdata = this.u32(fields + 24);
    const fixed = this.version >= 120 ? 44 : this.version >= 118 ? 40 : 44;
    if (this.gofunc && npcdata > PCDATA_INL_TREE_INDEX) tables.push(this.u32(base + fixed + 4 * PCDATA_INL_TREE_INDEX));
    const points = new Set<bigint>([f.entry]);
    for (const off of tables) {
      if (off === 0) continue;
      let p = this.pctab + off;
      let pc = f.entry;
      let first = true;
      while (p < this.b.length) {
        const [uvdelta, n1] = this.uvarint(p);
        if (uvdelta === 0 && !first) break;
        p += n1;
        const [pcdelta, n2] = this.uvarint(p);
        p += n2;
        pc += BigInt(pcdelta * this.quantum);
        first = false;
        if (pc >= f.end) break;
        points.add(pc);
      }
    }
    return [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private byName?: Map<string, GoFunc[]>;

  /** The functions named `name` (as Go's traceback prints it: an ABI wrapper has its function's name), for frames given by name + offset. */
  funcsNamed(name: string): GoFunc[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const f of this.funcs) this.byName.set(f.name, [...(this.byName.get(f.name) ?? []), f]);
    }
    return this.byName.get(name) ?? [];
  }

  /** Function, file and line at `pc` (already the lookup address: pc-1 for return addresses). */
  lookup(pc: bigint): GoLine | undefined {
    const f = this.funcAt(pc);
    return f && this.describe(f, pc);
  }

  /** The function at `pc` as the unwinder needs it: its entry, name, flags and stack frame size at `pc` (pcsp). */
  frameAt(pc: bigint): GoFrameInfo | undefined {
    const f = this.funcAt(pc);
    if (!f) return undefined;
    const base = this.pclntab + f.funcOff;
    const fields = base + (this.version >= 118 ? 4 : this.ptr);
    const pcsp = this.u32(fields + 12);
    // funcID and flag follow cuOffset (and startLine from Go 1.20); Go 1.16 has no flag byte.
    const idAt = this.version >= 120 ? base + 40 : this.version >= 118 ? base + 36 : base + 40;
    const spDelta = this.pcvalue(pcsp, f.entry, pc);
    return { entry: f.entry, end: f.end, name: f.name, funcID: this.b[idAt], flag: this.version >= 118 ? this.b[idAt + 1] : 0, spDelta };
  }

  private funcAt(pc: bigint): GoFunc | undefined {
    let lo = 0;
    let hi = this.funcs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = this.funcs[mid];
      if (pc < f.entry) hi = mid - 1;
      else if (pc >= f.end) lo = mid + 1;
      else return f;
    }
    return undefined;
  }

  private describe(f: GoFunc, pc: bigint): GoLine {
    const base = this.pclntab + f.funcOff;
    // _func: entry(off), nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset, [startLine], ...
    const fields = base + (this.version >= 118 ? 4 : this.ptr);
    const pcfile = this.u32(fields + 16);
    const pcln = this.u32(fields + 20);
    const npcdata = this.u32(fields + 24);
    const cuOffset = this.u32(fields + 28);
    const fixed = this.version >= 120 ? 44 : this.version >= 118 ? 40 : 44;
    const nfuncdata = this.b[base + fixed - 1];
    const where = (at: bigint) => {
      const line = this.pcvalue(pcln, f.entry, at);
      return { file: this.fileName(cuOffset, this.pcvalue(pcfile, f.entry, at)), line: line !== undefined && line > 0 ? line : undefined };
    };
    const inlined: GoLine['inlined'] = [];
    let at = pc;
    if (this.gofunc && npcdata > PCDATA_INL_TREE_INDEX && nfuncdata > FUNCDATA_INL_TREE) {
      const ixTable = this.u32(base + fixed + 4 * PCDATA_INL_TREE_INDEX);
      const treeOff = this.u32(base + fixed + 4 * npcdata + 4 * FUNCDATA_INL_TREE);
      let ix = treeOff === 0xffffffff ? undefined : this.pcvalue(ixTable, f.entry, at);
      // Go's traceback: name the inlined callee at the current pc, then step to the call site (parentPc).
      for (let guard = 0; ix !== undefined && ix >= 0 && guard < 64; guard++) {
        const node = this.inlineNode(treeOff, ix);
        if (!node) break;
        inlined.push({ function: this.cstring(this.funcnametab + node.nameOff), ...where(at) });
        at = f.entry + BigInt(node.parentPc);
        ix = this.pcvalue(ixTable, f.entry, at);
      }
    }
    return { function: f.name, ...where(at), entry: f.entry, inlined };
  }

  /** One inlinedCall: 20 bytes in Go 1.18/1.19 (with file and line), 16 bytes from 1.20. */
  private inlineNode(treeOff: number, ix: number): { nameOff: number; parentPc: number } | undefined {
    const g = this.gofunc!;
    const size = this.version >= 120 ? 16 : 20;
    const o = treeOff + ix * size;
    if (o < 0 || o + size > g.length) return undefined;
    const i32 = (k: number) => (this.le ? g.readInt32LE(o + k) : g.readInt32BE(o + k));
    return this.version >= 120 ? { nameOff: i32(4), parentPc: i32(8) } : { nameOff: i32(12), parentPc: i32(16) };
  }

  private fileName(cuOffset: number, fileno: number | undefined): string | undefined {
    if (fileno === undefined || fileno < 0) return undefined;
    const at = this.cutab + (cuOffset + fileno) * 4;
    if (at + 4 > this.b.length) return undefined;
    const off = this.u32(at);
    return off === 0xffffffff ? undefined : this.cstring(this.filetab + off);
  }

  /** Walk a pc-value table (zigzag value deltas, pc deltas in instruction quanta) to `target`. */
  private pcvalue(off: number, entry: bigint, target: bigint): number | undefined {
    if (off === 0) return undefined;
    let p = this.pctab + off;
    let pc = entry;
    let val = -1;
    let first = true;
    while (p < this.b.length) {
      const [uvdelta, n1] = this.uvarint(p);
      if (uvdelta === 0 && !first) return undefined;
      p += n1;
      val += uvdelta & 1 ? -((uvdelta + 1) / 2) : uvdelta / 2;
      const [pcdelta, n2] = this.uvarint(p);
      p += n2;
      pc += BigInt(pcdelta * this.quantum);
      first = false;
      if (target < pc) return val;
    }
    return undefined;
  }

  private uvarint(p: number): [number, number] {
    let v = 0;
    let shift = 1;
    for (let n = 0; n < 10 && p + n < this.b.length; n++) {
      const byte = this.b[p + n];
      v += (byte & 0x7f) * shift;
      if ((byte & 0x80) === 0) return [v, n + 1];
      shift *= 128;
    }
    throw new ElfError('.gopclntab varint runs past the section', { offset: p });
  }

  private cstring(at: number): string {
    if (at < 0 || at >= this.b.length) return '?';
    const end = this.b.indexOf(0, at);
    return this.b.toString('utf8', at, end < 0 ? this.b.length : end);
  }

  private u32(o: number): number {
    this.check(o, 4);
    return this.le ? this.b.readUInt32LE(o) : this.b.readUInt32BE(o);
  }

  private i32(o: number): number {
    this.check(o, 4);
    return this.le ? this.b.readInt32LE(o) : this.b.readInt32BE(o);
  }

  private uptr(o: number): bigint {
    this.check(o, this.ptr);
    if (this.ptr === 4) return BigInt(this.u32(o));
    return this.le ? this.b.readBigUInt64LE(o) : this.b.readBigUInt64BE(o);
  }

  private check(o: number, n: number): void {
    if (o < 0 || o + n > this.b.length) throw new ElfError(`.gopclntab read of ${n} bytes at ${o} runs past the section`, { offset: o });
  }

  private unsupported(magic: number): never {
    throw new ElfError(`.gopclntab magic 0x${magic.toString(16)} is not a supported Go version (1.16+)`, { offset: 0 });
  }
}

const MAGICS = new Set([GO116, GO118, GO120]);

/** A section as far as locating Go's tables needs it. */
interface Sec {
  name: string;
  addr: bigint;
  offset: number;
  size: number;
  type: number;
}
type ReadAt = (offset: number, size: number) => Promise<Buffer>;

/**
 * Where the Go function table is: the `.gopclntab` section, or (PIE and c-shared
 * builds put it in `.data.rel.ro`) the first offset there holding a plausible header.
 */
export async function locatePclntab(sections: Sec[], read: ReadAt): Promise<{ bytes: Buffer; vaddr: bigint } | undefined> {
  const own = sections.find((s) => s.name === '.gopclntab' && s.size > 0 && s.type !== 8);
  if (own) return { bytes: await read(own.offset, own.size), vaddr: own.addr };
  const relro = sections.find((s) => s.name === '.data.rel.ro' && s.size > 0 && s.type !== 8);
  if (!relro) return undefined;
  const b = await read(relro.offset, relro.size);
  for (let o = 0; o + 64 <= b.length; o += 4) {
    const magic = b.readUInt32LE(o);
    if (!MAGICS.has(magic) || b[o + 4] !== 0 || b[o + 5] !== 0) continue;
    if (![1, 2, 4].includes(b[o + 6]) || (b[o + 7] !== 4 && b[o + 7] !== 8)) continue;
    const candidate = b.subarray(o);
    try {
      if (new GoPclntab(candidate, 'little', 0n).functionCount > 0) return { bytes: candidate, vaddr: relro.addr + BigInt(o) };
    } catch {
      /* not a header after all: keep looking */
    }
  }
  return undefined;
}

/**
 * The bytes at moduledata.gofunc (Go 1.18+), where inline trees live. moduledata is
 * found by its first two words: the pclntab header's address and its funcnametab's.
 */
export async function locateGofunc(sections: Sec[], read: ReadAt, table: GoPclntab, pclntabVaddr: bigint): Promise<Buffer | undefined> {
  if (table.goVersion < 118) return undefined;
  const want = [pclntabVaddr, pclntabVaddr + BigInt(table.funcnameOffset)];
  const gofuncWord = table.goVersion >= 120 ? 40 : 38;
  for (const name of ['.noptrdata', '.data', '.data.rel.ro']) {
    const s = sections.find((x) => x.name === name && x.size > 0 && x.type !== 8);
    if (!s) continue;
    const b = await read(s.offset, s.size);
    for (let o = 0; o + (gofuncWord + 1) * 8 <= b.length; o += 8) {
      if (b.readBigUInt64LE(o) !== want[0] || b.readBigUInt64LE(o + 8) !== want[1]) continue;
      const gofunc = b.readBigUInt64LE(o + gofuncWord * 8);
      const home = sections.find((x) => x.addr <= gofunc && gofunc < x.addr + BigInt(x.size) && x.type !== 8);
      if (!home) return undefined;
      const start = home.offset + Number(gofunc - home.addr);
      return read(start, home.offset + home.size - start);
    }
  }
  return undefined;
}

/** Go's function table with its inline trees (little-endian files), or undefined when the file has none. */
export async function readGoTable(
  info: { header: { endian: 'little' | 'big' }; sections: Sec[] },
  read: ReadAt,
): Promise<GoPclntab | undefined> {
  if (info.header.endian !== 'little') return undefined;
  const text = info.sections.find((s) => s.name === '.text');
  const pcln = await locatePclntab(info.sections, read).catch(() => undefined);
  if (!pcln) return undefined;
  const go = new GoPclntab(Buffer.from(pcln.bytes), info.header.endian, text?.addr ?? 0n);
  const gofunc = await locateGofunc(info.sections, read, go, pcln.vaddr).catch(() => undefined);
  if (gofunc) go.withInlineTrees(Buffer.from(gofunc));
  return go;
}
