import { ResolvedSymbol } from '../model/resolved-frame';
import { InlinedFrame } from '../model/unified-stack';
import { bitsAt, FunctionKind, locationBits, PAGE_BITS, parseSymcache, ParsedSymcache, SymcacheFormatError } from './symcache-format';

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
  private readonly o: { file: number; line: number; column: number; parent: number };
  /** Strings decoded so far (a Map: an array of a million holes would be a slow dictionary in V8). */
  private readonly decoded = new Map<number, string>();
  private readonly nFunc: number;
  private readonly spanBig: bigint;
  private readonly base: bigint;
  /**
   * Answers by innermost location, for the kinds whose answer depends on the location only
   * (DWARF, Go): a warm lookup is the binary search and one Map.get. Bounded: cleared when full.
   */
  private readonly answers = new Map<number, ResolvedSymbol>();
  /** Frames by location: callers are shared by many chains (a fresh worker's first lookups mostly hit these). */
  private readonly frames = new Map<number, InlinedFrame>();
  readonly bytes: number;

  private constructor(buf: Buffer) {
    this.t = parseSymcache(buf);
    this.nFunc = this.t.functions.length / 4;
    this.spanBig = BigInt(this.t.span);
    this.base = this.t.base;
    this.bytes = buf.length;
    const w = this.t.widths;
    this.locBits = locationBits(w);
    this.o = { file: w.fn, line: w.fn + w.file, column: w.fn + w.file + w.line, parent: w.fn + w.file + w.line + w.column };
    this.validate();
  }

  /** Check a file (magic, version, size, checksum, every index in range) and open it. */
  static open(buf: Buffer): Symcache {
    return new Symcache(buf);
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
    if (address < this.base) return CANNOT_ANSWER;
    const d = address - this.base;
    if (d >= this.spanBig) return CANNOT_ANSWER;
    return this.lookupOffset(Number(d), address);
  }

  /** The same for an address already made relative to the base (bench and oracle loops). */
  lookupOffset(rel: number, address?: bigint): ResolvedSymbol | null | typeof CANNOT_ANSWER {
    const t = this.t;
    if (rel < 0 || rel >= t.span) return CANNOT_ANSWER;
    const r = this.rangeAt(rel);
    if (r < 0) return CANNOT_ANSWER;
    const v = bitsAt(t.rangeLocs, r * t.widths.range, t.widths.range);
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
    let hi = pages[page + 1] - 1;
    if (hi < lo || starts[lo] > low) return lo - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= low) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private field(loc: number, at: number, n: number): number {
    return bitsAt(this.t.locations, loc * this.locBits + at, n);
  }

  private symbolAt(innermost: number, rel: number, address?: bigint): ResolvedSymbol {
    const known = this.answers.get(innermost);
    if (known) return known;
    const w = this.t.widths;
    let outer = innermost;
    let inlined: InlinedFrame[] = [];
    for (let up = this.field(outer, this.o.parent, w.parent); up !== 0; up = this.field(outer, this.o.parent, w.parent)) {
      // Callers are written before their callees, so a chain always ends; a file that says otherwise is refused.
      if (up - 1 >= outer) throw new SymcacheFormatError(`symcache location ${outer} has a caller that does not come before it`);
      inlined.push(this.frame(outer));
      outer = up - 1;
    }
    const fn = this.checkedFn(outer);
    const F = this.t.functions;
    const kind = F[fn * 4 + 3] as FunctionKind;
    const name = this.string(F[fn * 4]);
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
    const f = this.frame(outer);
    let answer: ResolvedSymbol;
    if (kind === FunctionKind.Gopclntab) {
      inlined = inlined.map((i) => ({ function: i.function, file: i.file, line: i.line }));
      answer = { function: f.function, file: f.file, line: f.line, inlined, source: 'gopclntab' };
    } else {
      // A literal, not a spread of f: one object shape, no runtime clone (first lookups are dominated by this).
      answer = { function: f.function, file: f.file, line: f.line, column: f.column, inlined, source: f.file || inlined.length > 0 ? 'dwarf' : 'symtab' };
    }
    if (this.answers.size >= MEMO_ENTRIES) this.answers.clear();
    this.answers.set(innermost, answer);
    return answer;
  }

  private checkedFn(loc: number): number {
    const fn = this.field(loc, 0, this.t.widths.fn);
    if (fn >= this.nFunc) throw new SymcacheFormatError(`symcache location ${loc} points past the functions`);
    return fn;
  }

  private frame(loc: number): InlinedFrame {
    let f = this.frames.get(loc);
    if (!f) {
      f = this.readFrame(loc);
      if (this.frames.size >= MEMO_ENTRIES) this.frames.clear();
      this.frames.set(loc, f);
    }
    return f;
  }

  private readFrame(loc: number): InlinedFrame {
    const w = this.t.widths;
    const file = this.field(loc, this.o.file, w.file);
    if (file > this.t.files.length) throw new SymcacheFormatError(`symcache location ${loc} points past the files`);
    const line = this.field(loc, this.o.line, w.line);
    const column = this.field(loc, this.o.column, w.column);
    return {
      function: this.string(this.t.functions[this.checkedFn(loc) * 4]),
      file: file !== 0 ? this.string(this.t.files[file - 1]) : undefined,
      line: line ? line : undefined,
      column: column ? column : undefined,
    };
  }

  private string(id: number): string {
    let s = this.decoded.get(id);
    if (s === undefined) {
      const o = this.t.stringOffsets;
      s = this.t.stringData.toString('utf8', o[id], o[id + 1]);
      this.decoded.set(id, s);
    }
    return s;
  }

  /**
   * Every index points inside its table: the small tables here, at open; ranges and
   * locations (millions) as a lookup reads them (a bad one throws SymcacheFormatError),
   * so opening libjvm's does not walk 1.7M locations first.
   */
  private validate(): void {
    const t = this.t;
    const nFunc = this.nFunc;
    const nStr = t.stringOffsets.length - 1;
    const bad = (what: string) => {
      throw new SymcacheFormatError(`symcache ${what}`);
    };
    for (let p = 0; p + 1 < t.pages.length; p++) if (t.pages[p] > t.pages[p + 1] || t.pages[p + 1] > t.nRanges) bad(`page ${p} is out of order`);
    if (t.nRanges > 0 && (t.pages[0] !== 0 || t.starts[0] !== 0)) bad('does not start a range at its base');
    const F = t.functions;
    for (let i = 0; i < nFunc; i++) {
      if (F[i * 4] >= nStr) bad(`function ${i} has no name string`);
      if (F[i * 4 + 1] !== 0xffffffff && F[i * 4 + 1] >= nStr) bad(`function ${i} points past the strings`);
    }
    for (let i = 0; i < t.files.length; i++) if (t.files[i] >= nStr) bad(`file ${i} points past the strings`);
    const o = t.stringOffsets;
    for (let i = 0; i < nStr; i++) if (o[i] > o[i + 1] || o[i + 1] > t.stringData.length) bad(`string ${i} lies outside`);
  }
}
