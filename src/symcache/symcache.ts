import { isAscii } from 'node:buffer';
import { FileHandle, open } from 'node:fs/promises';
import { ResolvedSymbol } from '../model/resolved-frame';
import { InlinedFrame } from '../model/unified-stack';
import { blockBounds, blockSum, FunctionKind, HEADER_BYTES, locationBits, PAGE_BITS, parseSymcache, ParsedSymcache, readHeader, SymcacheFormatError } from './symcache-format';

const MEMO_ENTRIES = 1 << 16;

/** The symcache cannot answer this address (outside what it covers, or DWARF it could not read): ask llvm-symbolizer. */
export const CANNOT_ANSWER = Symbol('symcache cannot answer');

/**
 * A symcache read straight from its bytes: lookups are a binary search over the range
 * starts and a walk up the location chain; strings are decoded once, when first used.
 * Answers are shared between lookups (never change one); they have the shape the llvm-symbolizer path gives (toResolvedSymbol) for DWARF
 * modules and the in-process resolver's for symbol-table and Go answers.
 */
export class Symcache {
  private readonly t: ParsedSymcache;
  private readonly locBits: number;
  private readonly wFn: number;
  private readonly wFile: number;
  private readonly wLine: number;
  private readonly wColumn: number;
  private readonly wParent: number;
  private readonly wRange: number;
  /** Each field's mask (all ones for a 32-bit field). */
  private readonly mRange: number;
  private readonly mFn: number;
  private readonly mFile: number;
  private readonly mLine: number;
  private readonly mColumn: number;
  private readonly mParent: number;
  /** The last decoded location's fields (decode): Smi fields on the instance, no record object per location. */
  private dFn = 0;
  private dFile = 0;
  private dLine = 0;
  private dColumn = 0;
  private dParent = 0;
  /** Scratch for a chain's inlined frames, copied out at its length. */
  private readonly chain: InlinedFrame[] = [];
  /**
   * Strings decoded so far: a slot table (index + 1 into a dense list, 0 not yet). Not a
   * Map: a fresh worker's first lookups each do several misses and inserts, and a growing
   * Map (rehashes, boxed entries the scavenger copies) was most of their cost. Not a holey
   * array: a million holes is a slow dictionary in V8.
   */
  private readonly strSlot: Int32Array;
  private readonly strs: string[] = [];
  /**
   * Answers by innermost location, kept from a location's second lookup on (`seen` marks
   * the first): in a fresh worker most addresses are met once, and keeping those answers
   * made every scavenge copy them (a fifth of 20,000 first lookups). Frames are not
   * memoized: in 20,000 first libjvm lookups only 18% of inlined frames were met before.
   */
  private readonly seen: Uint8Array;
  private readonly answers = new Map<number, ResolvedSymbol>();
  private readonly nFunc: number;
  /** The base as a double when that is exact, else -1. */
  private readonly baseNum: number;
  private readonly base: bigint;
  readonly bytes: number;
  /**
   * The whole string table as one JS string when it is ASCII (byte offsets are then
   * character offsets): a string is a substring of it (a slice, no copy, no call into C++).
   * Decoding 5.6 MB at once is ~3 ms; one Buffer.toString per string was a tenth of a
   * fresh worker's first lookups.
   */
  private readonly ascii: string | undefined;

  private constructor(buf: Buffer, sums?: Uint32Array) {
    this.t = parseSymcache(buf, sums);
    this.nFunc = this.t.functions.length / 4;
    this.base = this.t.base;
    this.baseNum = this.base <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.base) : -1;
    this.bytes = buf.length;
    const w = this.t.widths;
    this.locBits = locationBits(w);
    this.wFn = w.fn;
    this.wFile = w.file;
    this.wLine = w.line;
    this.wColumn = w.column;
    this.wParent = w.parent;
    const mask = (n: number) => (n === 32 ? -1 : (1 << n) - 1);
    this.wRange = w.range;
    this.mRange = mask(w.range);
    this.mFn = mask(w.fn);
    this.mFile = mask(w.file);
    this.mLine = mask(w.line);
    this.mColumn = mask(w.column);
    this.mParent = mask(w.parent);
    this.validate();
    this.ascii = isAscii(this.t.stringData) ? this.t.stringData.toString('latin1') : undefined;
    this.strSlot = new Int32Array(this.t.stringOffsets.length);
    this.seen = new Uint8Array((this.t.nLocations + 7) >>> 3);
  }

  /** Check a file (magic, version, size, checksum, every index in range) and open it. */
  static open(buf: Buffer): Symcache {
    return new Symcache(buf);
  }

  /**
   * Read a symcache file and open it. Its 1 MiB blocks are read in parallel and each is
   * summed as it arrives: on a 31 MB file in a fresh worker, one sequential read (page
   * faults and copy on one core) then one pass of the checksum took ~60 ms; the thread
   * pool's overlapping reads with the sums in between take about half.
   */
  static async load(path: string): Promise<Symcache> {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const buf = Buffer.allocUnsafeSlow(size); // its own ArrayBuffer: aligned for the typed views
      await readAt(fh, buf, 0, Math.min(size, HEADER_BYTES));
      const L = readHeader(buf, size);
      const sums = new Uint32Array(L.nBlocks);
      const reads = [readAt(fh, buf, L.sums, L.end - L.sums)];
      for (let k = 0; k < L.nBlocks; k++) {
        const [from, to] = blockBounds(L, k);
        reads.push(readAt(fh, buf, from, to - from).then(() => void (sums[k] = blockSum(buf, L, k))));
      }
      // Settled, not all: no read may still be filling the buffer when this one fails.
      for (const r of await Promise.allSettled(reads)) if (r.status === 'rejected') throw r.reason;
      return new Symcache(buf, sums);
    } finally {
      await fh.close();
    }
  }

  get ranges(): number {
    return this.t.nRanges;
  }

  get locations(): number {
    return this.t.nLocations;
  }

  get span(): { base: bigint; size: number } {
    return { base: this.base, size: this.t.span };
  }

  /** The answer at a lookup address: a symbol, null (nothing is there), or CANNOT_ANSWER. */
  lookup(address: bigint): ResolvedSymbol | null | typeof CANNOT_ANSWER {
    // In doubles while both are exact (below 2^53, as user-space addresses are): no BigInt made per lookup.
    const n = Number(address);
    if (n <= Number.MAX_SAFE_INTEGER && this.baseNum >= 0) return n < this.baseNum ? CANNOT_ANSWER : this.lookupOffset(n - this.baseNum, address);
    if (address < this.base) return CANNOT_ANSWER;
    // lookupOffset refuses what is past the span (a difference rounded as a double stays past it).
    return this.lookupOffset(Number(address - this.base), address);
  }

  /** The same for an address already made relative to the base (bench and oracle loops). */
  lookupOffset(rel: number, address?: bigint): ResolvedSymbol | null | typeof CANNOT_ANSWER {
    const t = this.t;
    if (rel < 0 || rel >= t.span) return CANNOT_ANSWER;
    const r = this.rangeAt(rel);
    if (r < 0) return CANNOT_ANSWER;
    const p = r * this.wRange;
    const o = p & 31;
    let bits = t.rangeLocs[p >>> 5] >>> o;
    if (o + this.wRange > 32) bits |= t.rangeLocs[(p >>> 5) + 1] << (32 - o);
    const v = (bits & this.mRange) >>> 0;
    if (v === 0) return null;
    if (v === 1) return CANNOT_ANSWER;
    if (v - 2 >= t.nLocations) throw new SymcacheFormatError(`symcache range ${r} points past the locations`);
    return this.symbolAt(v - 2, rel, address);
  }

  /** The last range starting at or before `rel`: within its 64 KiB page, else the last of the pages before. */
  private rangeAt(rel: number): number {
    const { pages, starts } = this.t;
    const page = rel >>> PAGE_BITS;
    const low = rel & 0xffff;
    let lo = pages[page];
    const next = pages[page + 1];
    if (next < lo || next > this.t.nRanges) throw new SymcacheFormatError(`symcache page ${page} is out of order`);
    let hi = next - 1;
    if (hi < lo || starts[lo] > low) return lo - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= low) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Decode location `loc`'s record into the d* fields (one call per location, not one per
   * field: a fresh worker runs this in the interpreter before it is optimized), checking
   * its function and file indices.
   */
  private decode(loc: number): void {
    // bitsAt written out per field: a call per field was most of a lookup's time in the
    // interpreter and baseline code a fresh worker runs before its optimized code is ready.
    const L = this.t.locations;
    let p = loc * this.locBits;
    let w = p >>> 5;
    let o = p & 31;
    let v = L[w] >>> o;
    if (o + this.wFn > 32) v |= L[w + 1] << (32 - o);
    const fn = (v & this.mFn) >>> 0;
    p += this.wFn;
    w = p >>> 5;
    o = p & 31;
    v = L[w] >>> o;
    if (o + this.wFile > 32) v |= L[w + 1] << (32 - o);
    const file = (v & this.mFile) >>> 0;
    p += this.wFile;
    w = p >>> 5;
    o = p & 31;
    v = L[w] >>> o;
    if (o + this.wLine > 32) v |= L[w + 1] << (32 - o);
    this.dLine = (v & this.mLine) >>> 0;
    p += this.wLine;
    w = p >>> 5;
    o = p & 31;
    v = L[w] >>> o;
    if (o + this.wColumn > 32) v |= L[w + 1] << (32 - o);
    this.dColumn = (v & this.mColumn) >>> 0;
    p += this.wColumn;
    w = p >>> 5;
    o = p & 31;
    v = L[w] >>> o;
    if (o + this.wParent > 32) v |= L[w + 1] << (32 - o);
    this.dParent = (v & this.mParent) >>> 0;
    if (fn >= this.nFunc) throw new SymcacheFormatError(`symcache location ${loc} points past the functions`);
    if (file > this.t.files.length) throw new SymcacheFormatError(`symcache location ${loc} points past the files`);
    this.dFn = fn;
    this.dFile = file;
  }

  private symbolAt(innermost: number, rel: number, address?: bigint): ResolvedSymbol {
    const known = this.answers.get(innermost);
    if (known !== undefined) return known;
    let outer = innermost;
    const chain = this.chain;
    let depth = 0;
    this.decode(outer);
    for (let up = this.dParent; up !== 0; up = this.dParent) {
      // Callers are written before their callees, so a chain always ends; a file that says otherwise is refused.
      if (up - 1 >= outer) throw new SymcacheFormatError(`symcache location ${outer} has a caller that does not come before it`);
      chain[depth++] = this.frame();
      outer = up - 1;
      this.decode(outer);
    }
    // Exact-size (a pushed-to [] grows a 16-slot store: garbage the scavenger copies).
    let inlined: InlinedFrame[] = depth === 0 ? [] : chain.slice(0, depth);
    // The outermost location (no caller): read straight from the d* fields.
    const fn = this.dFn;
    const F = this.t.functions;
    const kind = F[fn * 4 + 3] as FunctionKind;
    const name = this.nameOf(fn);
    if (kind === FunctionKind.Symtab || kind === FunctionKind.Dynsym) {
      const linkage = F[fn * 4 + 1];
      const entry = F[fn * 4 + 2];
      return {
        function: name,
        linkageName: linkage !== 0xffffffff ? this.string(linkage) : undefined,
        offset: address !== undefined ? address - (this.base + BigInt(entry)) : BigInt(rel - entry),
        inlined: [],
        source: kind === FunctionKind.Symtab ? 'symtab' : 'dynsym',
      };
    }
    const file = this.dFile !== 0 ? this.string(this.t.files[this.dFile - 1]) : undefined;
    const line = this.dLine ? this.dLine : undefined;
    let answer: ResolvedSymbol;
    if (kind === FunctionKind.Gopclntab) {
      inlined = inlined.map((i) => ({ function: i.function, file: i.file, line: i.line }));
      answer = { function: name, file, line, inlined, source: 'gopclntab' };
    } else {
      // A literal: one object shape (first lookups are dominated by building these).
      answer = { function: name, file, line, column: this.dColumn ? this.dColumn : undefined, inlined, source: file || inlined.length > 0 ? 'dwarf' : 'symtab' };
    }
    // Answers (DWARF, Go: they depend on the location only) are bounded: cleared when full.
    const bit = 1 << (innermost & 7);
    if ((this.seen[innermost >>> 3] & bit) === 0) this.seen[innermost >>> 3] |= bit;
    else {
      if (this.answers.size >= MEMO_ENTRIES) this.answers.clear();
      this.answers.set(innermost, answer);
    }
    return answer;
  }

  /** The frame of the location decode() has just read. */
  private frame(): InlinedFrame {
    return {
      function: this.nameOf(this.dFn),
      file: this.dFile !== 0 ? this.string(this.t.files[this.dFile - 1]) : undefined,
      line: this.dLine ? this.dLine : undefined,
      column: this.dColumn ? this.dColumn : undefined,
    };
  }

  /**
   * Function `fn`'s name, decoded each time (a slice of the string table, no copy). Not
   * memoized: a memo kept every name a fresh worker met alive through each scavenge, and
   * over 20,000 first libjvm lookups that cost more than the slices (median 153 ms -> 133).
   */
  private nameOf(fn: number): string {
    const id = this.t.functions[fn * 4];
    const o = this.t.stringOffsets;
    if (!(id + 1 < o.length && o[id] <= o[id + 1] && o[id + 1] <= this.t.stringData.length)) throw new SymcacheFormatError(`symcache string ${id} lies outside the string table`);
    return this.ascii !== undefined ? this.ascii.substring(o[id], o[id + 1]) : this.t.stringData.toString('utf8', o[id], o[id + 1]);
  }

  /** String `id`, checked as it is first read (a file is not walked at open). */
  private string(id: number): string {
    const slot = this.strSlot[id]; // undefined past the table: checked below
    if (slot > 0) return this.strs[slot - 1];
    const o = this.t.stringOffsets;
    if (!(id + 1 < o.length && o[id] <= o[id + 1] && o[id + 1] <= this.t.stringData.length)) throw new SymcacheFormatError(`symcache string ${id} lies outside the string table`);
    const s = this.ascii !== undefined ? this.ascii.substring(o[id], o[id + 1]) : this.t.stringData.toString('utf8', o[id], o[id + 1]);
    this.strs.push(s);
    this.strSlot[id] = this.strs.length;
    return s;
  }

  /**
   * What can be checked at once. Every index is checked as a lookup reads it (a bad one
   * throws SymcacheFormatError): walking libjvm's 91k functions, 91k strings and 20k pages
   * at open was a sixth of a fresh worker's open.
   */
  private validate(): void {
    const t = this.t;
    if (t.nRanges > 0 && (t.pages[0] !== 0 || t.starts[0] !== 0)) throw new SymcacheFormatError('symcache does not start a range at its base');
  }
}

/** Read exactly `length` bytes at `position` (a read may return fewer). */
async function readAt(fh: FileHandle, buf: Buffer, position: number, length: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await fh.read(buf, position + done, length - done, position + done);
    if (bytesRead === 0) throw new SymcacheFormatError(`symcache file ended at ${position + done}, before the ${buf.length} bytes it had when opened`);
    done += bytesRead;
  }
}
