import { crc32 } from 'node:zlib';

/**
 * The symcache file (after symbolic-symcache's flat layout, packed tighter): a fixed
 * header, then flat little-endian tables, so a lookup is one binary search over range
 * starts and a walk up `parent` links, straight from the file's bytes.
 *
 *   header (96 bytes)  magic "SBSYMC\0\0", version, flags, base address, span, counts,
 *                      field widths, CRC-32 of the header's first 64 bytes and the block sums
 *   pages              u32 [span / 1 KiB + 1]: the first range starting in each 1 KiB page
 *                      (a finer page leaves a lookup's search a few cache lines, not a 10 KB
 *                      stretch of starts: in a fresh worker every line is a miss)
 *   range starts       u16 [n]: low 16 bits of (address - base); the page gives the rest.
 *                      A range runs to the next start (the last one to `span`)
 *   range locations    n values of `rangeBits` bits: 0 nothing is there, 1 the symcache
 *                      cannot answer (ask llvm-symbolizer), k + 2 location k
 *   locations          records of function, file + 1, line, column, parent + 1, each field
 *                      as wide as its largest value needs (widths in the header): the
 *                      innermost location of a range, its callers by `parent`
 *   functions          u32 [name, linkage name, entry - base, kind] [n]
 *   files              u32 path string [n]
 *   strings            u32 offsets [n + 1], then UTF-8 bytes
 *   block sums         u32 [n]: CRC-32 of each 1 MiB block after the header, so a reader
 *                      can check blocks as its parallel reads bring them (Symcache.load);
 *                      CRC-32, not a hash: it guards against damage, not an adversary, and
 *                      at ~2.5 GB/s it was a tenth of what SHA-256 cost a fresh worker
 *
 * Every table is fixed-width, so nothing is decoded up front. VERSION changes whenever
 * the layout or the meaning of a field changes; a builder fix that changes answers counts
 * too (caches built before it are rebuilt, see symcache.service).
 */
export const MAGIC = Buffer.from('SBSYMC\0\0', 'latin1');
export const VERSION = 3; // 2: versioned _Z names left mangled, as llvm-symbolizer 14 does; 3: block CRC-32s, 1 KiB pages
export const HEADER_BYTES = 96;
export const NONE = 0xffffffff;
/** Logical range values (the file stores them as 0 and 1, locations from 2). */
export const NO_ANSWER = 0xffffffff;
export const ASK_FALLBACK = 0xfffffffe;
export const PAGE_BITS = 10;
export const BLOCK_BYTES = 1 << 20;

/** What kind of answer a function gives (how ResolvedSymbol.source and offset are made). */
export enum FunctionKind {
  /** DWARF + ELF symbols as llvm-symbolizer combines them: source dwarf, or symtab when no file and no inlining. */
  Llvm = 0,
  Symtab = 1,
  Dynsym = 2,
  Gopclntab = 3,
}

export const FLAG_DWARF = 1;

/** What the builder hands the writer: plain arrays, one entry per range / location. */
export interface SymcacheTables {
  flags: number;
  base: bigint;
  span: number;
  /** address - base, increasing. */
  rangeStarts: Uint32Array;
  /** A location, NO_ANSWER or ASK_FALLBACK. */
  rangeLocs: Uint32Array;
  /** [function, file (NONE), line, parent (NONE)] per location. */
  locations: Uint32Array;
  columns: Uint16Array;
  /** [name, linkage (NONE), entry (NONE), kind] per function. */
  functions: Uint32Array;
  files: Uint32Array;
  strings: string[];
}

/** Field widths in bits, as stored in the header. */
export interface Widths {
  range: number;
  fn: number;
  file: number;
  line: number;
  column: number;
  parent: number;
}

const pad4 = (n: number) => (n + 3) & ~3;
const bitsFor = (max: number) => (max <= 0 ? 1 : Math.floor(Math.log2(max)) + 1);
const words = (bits: number) => Math.ceil(bits / 32);

export function locationBits(w: Widths): number {
  return w.fn + w.file + w.line + w.column + w.parent;
}

function layout(nPages: number, nRanges: number, nLoc: number, nFunc: number, nFiles: number, nStrings: number, stringBytes: number, w: Widths) {
  const pages = HEADER_BYTES;
  const starts = pages + 4 * (nPages + 1);
  const locs = starts + pad4(2 * nRanges);
  const locations = locs + 4 * words(nRanges * w.range);
  const functions = locations + 4 * words(nLoc * locationBits(w));
  const files = functions + 16 * nFunc;
  const strOffsets = files + 4 * nFiles;
  const strData = strOffsets + 4 * (nStrings + 1);
  const sums = strData + pad4(stringBytes);
  const nBlocks = Math.ceil((sums - HEADER_BYTES) / BLOCK_BYTES);
  return { pages, starts, locs, locations, functions, files, strOffsets, strData, sums, nBlocks, end: sums + 4 * nBlocks };
}

export type Layout = ReturnType<typeof layout>;

class BitWriter {
  constructor(readonly out: Uint32Array) {}
  pos = 0;
  put(v: number, n: number): void {
    const w = Math.floor(this.pos / 32);
    const o = this.pos % 32;
    this.out[w] |= v << o;
    if (o + n > 32) this.out[w + 1] |= v >>> (32 - o);
    this.pos += n;
  }
}

export function writeSymcache(t: SymcacheTables): Buffer {
  const strBytes = t.strings.map((s) => Buffer.from(s, 'utf8'));
  const stringBytes = strBytes.reduce((n, b) => n + b.length, 0);
  const nRanges = t.rangeStarts.length;
  const nLoc = t.columns.length;
  const nFunc = t.functions.length / 4;
  const nPages = Math.ceil(t.span / 2 ** PAGE_BITS);
  let maxFn = 0;
  let maxFile = 0;
  let maxLine = 0;
  let maxCol = 0;
  for (let i = 0; i < nLoc; i++) {
    maxFn = Math.max(maxFn, t.locations[i * 4]);
    if (t.locations[i * 4 + 1] !== NONE) maxFile = Math.max(maxFile, t.locations[i * 4 + 1] + 1);
    maxLine = Math.max(maxLine, t.locations[i * 4 + 2]);
    maxCol = Math.max(maxCol, t.columns[i]);
  }
  const w: Widths = { range: bitsFor(nLoc + 1), fn: bitsFor(maxFn), file: bitsFor(maxFile), line: bitsFor(maxLine), column: bitsFor(maxCol), parent: bitsFor(nLoc) };
  if (nLoc * locationBits(w) >= 2 ** 32 || nRanges * w.range >= 2 ** 32) throw new Error(`too many locations (${nLoc}) or ranges (${nRanges}) for one symcache`);
  const L = layout(nPages, nRanges, nLoc, nFunc, t.files.length, t.strings.length, stringBytes, w);
  const out = Buffer.alloc(L.end);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(t.flags, 12);
  out.writeBigUInt64LE(t.base, 16);
  out.writeUInt32LE(t.span, 24);
  [nRanges, nLoc, nFunc, t.files.length, t.strings.length, stringBytes].forEach((v, i) => out.writeUInt32LE(v, 28 + 4 * i));
  [w.range, w.fn, w.file, w.line, w.column, w.parent].forEach((v, i) => out.writeUInt8(v, 52 + i));
  const u32 = (at: number, n: number) => new Uint32Array(out.buffer, out.byteOffset + at, n);
  const pages = u32(L.pages, nPages + 1);
  for (let p = 0, r = 0; p <= nPages; p++) {
    while (r < nRanges && t.rangeStarts[r] < p * 2 ** PAGE_BITS) r++;
    pages[p] = r;
  }
  const starts = new Uint16Array(out.buffer, out.byteOffset + L.starts, nRanges);
  for (let i = 0; i < nRanges; i++) starts[i] = t.rangeStarts[i] & 0xffff;
  const rl = new BitWriter(u32(L.locs, words(nRanges * w.range)));
  for (let i = 0; i < nRanges; i++) {
    const v = t.rangeLocs[i];
    rl.put(v === NO_ANSWER ? 0 : v === ASK_FALLBACK ? 1 : v + 2, w.range);
  }
  const lw = new BitWriter(u32(L.locations, words(nLoc * locationBits(w))));
  for (let i = 0; i < nLoc; i++) {
    const file = t.locations[i * 4 + 1];
    const parent = t.locations[i * 4 + 3];
    lw.put(t.locations[i * 4], w.fn);
    lw.put(file === NONE ? 0 : file + 1, w.file);
    lw.put(t.locations[i * 4 + 2], w.line);
    lw.put(t.columns[i], w.column);
    lw.put(parent === NONE ? 0 : parent + 1, w.parent);
  }
  u32(L.functions, nFunc * 4).set(t.functions);
  u32(L.files, t.files.length).set(t.files);
  const offsets = u32(L.strOffsets, t.strings.length + 1);
  let o = 0;
  strBytes.forEach((b, i) => {
    offsets[i] = o;
    b.copy(out, L.strData + o);
    o += b.length;
  });
  offsets[t.strings.length] = o;
  for (let k = 0; k < L.nBlocks; k++) out.writeUInt32LE(blockSum(out, L, k), L.sums + 4 * k);
  out.writeUInt32LE(headerSum(out, L), 64);
  return out;
}

/** Block k's bytes: [HEADER_BYTES + k MiB, the next block or the block sums). */
export function blockBounds(L: Layout, k: number): [number, number] {
  const from = HEADER_BYTES + k * BLOCK_BYTES;
  return [from, Math.min(from + BLOCK_BYTES, L.sums)];
}

export function blockSum(file: Buffer, L: Layout, k: number): number {
  const [from, to] = blockBounds(L, k);
  return crc32(file.subarray(from, to)) >>> 0;
}

/** Over the header's fields and the block sums: a damaged header or sum is caught too. */
function headerSum(file: Buffer, L: Layout): number {
  return crc32(file.subarray(L.sums, L.end), crc32(file.subarray(0, 64))) >>> 0;
}

export interface ParsedSymcache {
  flags: number;
  base: bigint;
  span: number;
  nRanges: number;
  nLocations: number;
  widths: Widths;
  pages: Uint32Array;
  starts: Uint16Array;
  rangeLocs: Uint32Array;
  locations: Uint32Array;
  functions: Uint32Array;
  files: Uint32Array;
  stringOffsets: Uint32Array;
  stringData: Buffer;
}

/**
 * The layout a header describes, after checking magic, version and widths, and that the
 * file is as long as the header says (`size`: the file's, when only the header is read yet).
 */
export function readHeader(b: Buffer, size = b.length): Layout {
  if (size < HEADER_BYTES || b.length < HEADER_BYTES || !b.subarray(0, 8).equals(MAGIC)) throw new SymcacheFormatError('not a symcache file (bad magic)');
  const version = b.readUInt32LE(8);
  if (version !== VERSION) throw new SymcacheFormatError(`symcache version ${version}, this build reads ${VERSION}`);
  const [nRanges, nLoc, nFunc, nFiles, nStrings, stringBytes] = [0, 1, 2, 3, 4, 5].map((i) => b.readUInt32LE(28 + 4 * i));
  const w = widthsOf(b);
  if (Object.values(w).some((x) => x < 1 || x > 32)) throw new SymcacheFormatError('symcache field widths out of range');
  const L = layout(Math.ceil(b.readUInt32LE(24) / 2 ** PAGE_BITS), nRanges, nLoc, nFunc, nFiles, nStrings, stringBytes, w);
  if (size !== L.end) throw new SymcacheFormatError(`symcache is ${size} bytes, its header says ${L.end}`);
  // Bit positions are 32-bit unsigned in the reader (p >>> 5): a table of 512 MiB is far past any real one.
  if (nLoc * locationBits(w) >= 2 ** 32 || nRanges * w.range >= 2 ** 32) throw new SymcacheFormatError('symcache tables are too large (bit positions past 2^32)');
  return L;
}

function widthsOf(b: Buffer): Widths {
  const [range, fn, file, line, column, parent] = [0, 1, 2, 3, 4, 5].map((i) => b.readUInt8(52 + i));
  return { range, fn, file, line, column, parent };
}

/**
 * Check the header sum, and the block sums against `sums` (each block's CRC-32, computed
 * as it was read) or, without them, against the bytes.
 */
export function checkSums(b: Buffer, L: Layout, sums?: Uint32Array): void {
  if (headerSum(b, L) !== b.readUInt32LE(64)) throw new SymcacheFormatError('symcache checksum mismatch (the header or its block sums are damaged)');
  for (let k = 0; k < L.nBlocks; k++) {
    const got = sums ? sums[k] : blockSum(b, L, k);
    if (got !== b.readUInt32LE(L.sums + 4 * k)) throw new SymcacheFormatError(`symcache checksum mismatch (block ${k} of ${L.nBlocks} is damaged)`);
  }
}

/**
 * The tables of a symcache file, as views into its bytes (no copy), after checking
 * magic, version, sizes and, unless `sums` says they were checked as read, the checksums.
 */
export function parseSymcache(b: Buffer, sums?: Uint32Array): ParsedSymcache {
  const L = readHeader(b);
  checkSums(b, L, sums);
  const widths = widthsOf(b);
  // Typed arrays need aligned offsets: a Buffer from a pool may not start at a multiple of 4.
  const bytes = b.byteOffset % 4 === 0 ? b : Buffer.from(b);
  const u32 = (at: number, n: number) => new Uint32Array(bytes.buffer, bytes.byteOffset + at, n);
  const [nRanges, nLoc, nFunc, nFiles, nStrings, stringBytes] = [0, 1, 2, 3, 4, 5].map((i) => b.readUInt32LE(28 + 4 * i));
  const span = b.readUInt32LE(24);
  return {
    flags: bytes.readUInt32LE(12),
    base: bytes.readBigUInt64LE(16),
    span,
    nRanges,
    nLocations: nLoc,
    widths,
    pages: u32(L.pages, Math.ceil(span / 2 ** PAGE_BITS) + 1),
    starts: new Uint16Array(bytes.buffer, bytes.byteOffset + L.starts, nRanges),
    rangeLocs: u32(L.locs, words(nRanges * widths.range)),
    locations: u32(L.locations, words(nLoc * locationBits(widths))),
    functions: u32(L.functions, nFunc * 4),
    files: u32(L.files, nFiles),
    stringOffsets: u32(L.strOffsets, nStrings + 1),
    stringData: bytes.subarray(L.strData, L.strData + stringBytes),
  };
}

export class SymcacheFormatError extends Error {}
