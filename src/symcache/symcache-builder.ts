import { SyncFileSource, SyncRangeSource } from '../adapters/range-source.adapter';
import { DW_TAG_skeleton_unit, DW_UT_skeleton, DW_UT_split_compile, DW_UT_split_type, DW_UT_type } from '../dwarf/dwarf-constants';
import { DwarfFile } from '../dwarf/dwarf-file';
import { addressRanges } from '../dwarf/dwarf-ranges';
import { readAranges, UnitIndex } from '../dwarf/unit-index';
import { readElf } from '../elf/elf-file';
import { ElfInfo } from '../elf/elf-types';
import { GoPclntab, locateGofunc, locatePclntab } from '../elf/gopclntab';
import { ElfSymbol, findSymbol, readFunctionSymbols } from '../elf/symbol-table';
import { SymbridgeError } from '../model/errors';
import { readLlvmSymbols, symbolIntervals } from './llvm-symbols';
import { ASK_FALLBACK, FLAG_DWARF, FunctionKind, NO_ANSWER, NONE, SymcacheTables, writeSymcache } from './symcache-format';
import { GrowableU32, StringInterner, TupleInterner } from './tuple-interner';
import { FrameTables, newFrameTables, newSegments, Segments, unitFrames, UNKNOWN_NAME } from './unit-frames';

export interface BuildOptions {
  /** Turns raw names into what users read, in one batch (llvm-cxxfilt); names not in the map stay as they are. */
  demangle: (names: string[]) => Promise<Map<string, string>>;
  maxInflatedBytes?: number;
  progress?: (done: number, total: number) => void;
}

export interface BuildStats {
  mode: 'dwarf' | 'symbols';
  units: number;
  dies: number;
  lineRows: number;
  ranges: number;
  locations: number;
  functions: number;
  files: number;
  /** Bytes of the DWARF sections as stored in the file (compressed or not), and inflated. */
  dwarfStoredBytes: number;
  dwarfBytes: number;
  symcacheBytes: number;
  ms: number;
}

const SHF_ALLOC = 2n;
const MAX_SPAN = 0xfffffff0;
const MAX_CHAIN = 256;

/**
 * Build a symcache from one ELF file. With DWARF, every address gets the answer
 * llvm-symbolizer 14 would give (`--inlines --functions=linkage --demangle`): DWARF
 * frames, the outermost one named from the symbol table where it has a symbol, nameless
 * frames left out. Without DWARF, the in-process resolver's answers: Go's pclntab,
 * else .symtab, else .dynsym. Units it cannot read (split DWARF skeletons) are marked
 * "ask the fallback"; DWARF that lies fails the build with a DwarfError saying where.
 */
export async function buildSymcache(path: string, opts: BuildOptions): Promise<{ bytes: Buffer; stats: BuildStats }> {
  const t0 = Date.now();
  const src = SyncFileSource.open(path);
  try {
    const info = await readElf(src, path);
    const b = new Builder(info);
    const stats = info.contents.debugInfo ? await b.fromDwarf(src, opts) : await b.fromSymbols(src);
    const tables = await b.tables(opts.demangle);
    const bytes = writeSymcache(tables);
    return {
      bytes,
      stats: {
        ...stats,
        ranges: tables.rangeStarts.length,
        locations: tables.columns.length,
        functions: tables.functions.length / 4,
        files: tables.files.length,
        dwarfStoredBytes: info.sections.filter((s) => /^\.z?debug_/.test(s.name)).reduce((n, s) => n + s.size, 0),
        symcacheBytes: bytes.length,
        ms: Date.now() - t0,
      },
    };
  } finally {
    src.closeSync();
  }
}

type PartStats = Pick<BuildStats, 'mode' | 'units' | 'dies' | 'lineRows' | 'dwarfBytes'>;

class Builder {
  readonly base: number;
  readonly limit: number;
  private readonly strings = new StringInterner();
  private readonly memo = new TupleInterner(2, 1 << 18);
  private readonly memoValues = new GrowableU32();
  private readonly memoKey = new Uint32Array(2);
  /** [raw name, entry, kind] -> function id. */
  private readonly functions = new TupleInterner(3, 1 << 14);
  /** [function, file, line, column, parent] -> location id (parents first). */
  private readonly locations = new TupleInterner(5, 1 << 18);
  private readonly files = new Map<number, number>();
  private readonly fileList: number[] = [];
  private readonly starts = new GrowableU32();
  private readonly locs = new GrowableU32();
  private mode: 'dwarf' | 'symbols' = 'symbols';

  constructor(private readonly info: ElfInfo) {
    const alloc = info.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0n && s.size > 0 && s.addr > 0n);
    const lo = alloc.length ? alloc.reduce((m, s) => (s.addr < m ? s.addr : m), alloc[0].addr) : 0n;
    const hi = alloc.length ? alloc.reduce((m, s) => (s.addr + BigInt(s.size) > m ? s.addr + BigInt(s.size) : m), 0n) : 0n;
    if (hi - lo > BigInt(MAX_SPAN)) {
      throw new SymbridgeError('ELF_INVALID', `the file's sections span ${hi - lo} bytes of addresses: a symcache covers at most 4 GiB`);
    }
    this.base = Number(lo);
    this.limit = Number(hi);
  }

  async fromDwarf(src: SyncRangeSource, opts: BuildOptions): Promise<PartStats> {
    this.mode = 'dwarf';
    const dwarf = DwarfFile.open(this.info, src, { maxInflatedBytes: opts.maxInflatedBytes });
    const tables = newFrameTables(this.strings);
    const segs = newSegments();
    const units: { offset: number; end: number; segBegin: number; segEnd: number; unknown: boolean }[] = [];
    const unitRanges = new Map<number, { low: number; high: number }[]>();
    const aranges = readAranges(dwarf);
    const total = dwarf.sections.size('debug_info');
    let dies = 0;
    let rows = 0;
    for await (const unit of dwarf.streamUnits()) {
      opts.progress?.(unit.header.end, total);
      const h = unit.header;
      if (h.unitType === DW_UT_type || h.unitType === DW_UT_split_type) continue; // types only
      const split = h.unitType === DW_UT_skeleton || h.unitType === DW_UT_split_compile || unit.tag === DW_TAG_skeleton_unit || unit.dwoName !== undefined;
      if (split) {
        // Its DIEs live in a .dwo file we do not have: llvm-symbolizer may find it, we cannot.
        const rs = addressRanges(unit, unit.lowPc, unit.highPc, unit.ranges);
        unitRanges.set(unit.offset, rs);
        units.push({ offset: unit.offset, end: h.end, segBegin: 0, segEnd: 0, unknown: true });
        continue;
      }
      const r = unitFrames(unit, tables, segs);
      dies += r.dies;
      rows += r.rows;
      unitRanges.set(unit.offset, r.ranges);
      units.push({ offset: unit.offset, end: h.end, segBegin: r.segBegin, segEnd: r.segEnd, unknown: false });
    }
    const index = new UnitIndex(aranges.sets, unitRanges);
    // An aranges set names its unit by an offset inside it (getCompileUnitForOffset).
    const unitFor = (offset: number) => {
      let lo = 0;
      let hi = units.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (offset < units[mid].offset) hi = mid - 1;
        else if (offset >= units[mid].end) lo = mid + 1;
        else return units[mid];
      }
      return undefined;
    };
    const symbols = readLlvmSymbols(src, this.info);
    const symIntervals = symbolIntervals(symbols, this.limit);
    const symNames = symbols.map((s) => this.strings.intern(s.name));
    const symFiles = symbols.map((s) => (s.file ? this.strings.intern(s.file) : NONE));
    const answer = (frame: number, sym: number): number =>
      frame === ASK_FALLBACK ? ASK_FALLBACK : this.finalLlvm(tables, frame, sym, sym >= 0 ? symNames[sym] : 0, sym >= 0 ? symFiles[sym] : NONE, 0);
    // Base intervals (unit index runs, each unit's segments, gaps) overlaid with symbol intervals.
    const base = baseIntervals(index, unitFor, segs, this.base, this.limit);
    let si = 0;
    for (const [start, end, frame] of base) {
      let pos = start;
      while (pos < end) {
        while (si < symIntervals.length && symIntervals[si].end <= pos) si++;
        const s = symIntervals[si];
        let stop = end;
        let sym = -1;
        if (s && s.start <= pos) {
          sym = s.sym;
          stop = Math.min(end, s.end);
        } else if (s && s.start < end) stop = s.start;
        this.emit(pos, answer(frame, sym));
        pos = stop;
      }
    }
    return { mode: 'dwarf', units: units.length, dies, lineRows: rows, dwarfBytes: total };
  }

  /**
   * llvm's frames for a raw chain: the outermost renamed from the symbol table (and given
   * the local symbol's STT_FILE when DWARF named no file), nameless frames left out.
   * Memoized by (frame, symbol): inner frames share their callers' final locations.
   */
  private finalLlvm(tables: FrameTables, frame: number, sym: number, symName: number, symFile: number, depth: number): number {
    const key = this.memoKey;
    key[0] = frame === NONE ? 0 : frame + 1;
    key[1] = sym + 1;
    const known = this.memo.find(key);
    if (known >= 0) return this.memoValues.data[known];
    const F = tables.frames;
    let result: number;
    if (frame === NONE) {
      // No DWARF frame: llvm's one empty frame, which only the symbol can name.
      result = sym >= 0 && symName !== 0 ? this.locations.intern([this.fn(symName, NONE, FunctionKind.Llvm), symFile === NONE ? NONE : this.file(symFile), 0, 0, NONE]) : NO_ANSWER;
    } else {
      const up = F.get(frame, 4);
      const outer = up === NONE || depth >= MAX_CHAIN;
      const parent = outer ? NO_ANSWER : this.finalLlvm(tables, up, sym, symName, symFile, depth + 1);
      const name = outer && sym >= 0 ? symName : F.get(frame, 0);
      let file = F.get(frame, 1);
      if (outer && file === NONE && sym >= 0) file = symFile;
      // A name only llvm's misreading of a dwz alt reference gives: the whole answer is the fallback's.
      if (name === UNKNOWN_NAME || parent === ASK_FALLBACK) result = ASK_FALLBACK;
      else result = name === 0 ? parent : this.locations.intern([this.fn(name, NONE, FunctionKind.Llvm), file === NONE ? NONE : this.file(file), F.get(frame, 2), F.get(frame, 3) & 0xffff, parent === NO_ANSWER ? NONE : parent]);
    }
    key[0] = frame === NONE ? 0 : frame + 1;
    key[1] = sym + 1;
    const id = this.memo.intern(key);
    while (this.memoValues.length <= id) this.memoValues.push(0);
    this.memoValues.data[id] = result;
    return result;
  }

  async fromSymbols(src: SyncFileSource): Promise<PartStats> {
    const info = this.info;
    const read = async (o: number, n: number) => src.readSync(o, n);
    const text = info.sections.find((s) => s.name === '.text');
    let go: GoPclntab | undefined;
    if (info.header.endian === 'little') {
      const pcln = await locatePclntab(info.sections, read).catch(() => undefined);
      if (pcln) {
        go = new GoPclntab(Buffer.from(pcln.bytes), info.header.endian, text?.addr ?? 0n);
        const gofunc = await locateGofunc(info.sections, read, go, pcln.vaddr).catch(() => undefined);
        if (gofunc) go.withInlineTrees(Buffer.from(gofunc));
      }
    }
    const symtab = info.contents.symtab ? await readFunctionSymbols(src, info, '.symtab') : [];
    const dynsym = info.contents.dynsym ? await readFunctionSymbols(src, info, '.dynsym') : [];
    // Every address where some answer can change; between two of them the answer is one.
    const points = new Set<number>([this.base, this.limit]);
    for (const f of go?.functions() ?? []) for (const p of go!.changePoints(f)) points.add(Number(p)), points.add(Number(f.end));
    for (const table of [symtab, dynsym]) {
      for (const s of table) {
        points.add(Number(s.value));
        if (s.size > 0n) points.add(Number(s.value + s.size));
      }
    }
    const sorted = [...points].filter((p) => p >= this.base && p <= this.limit).sort((a, b) => a - b);
    for (let i = 0; i + 1 < sorted.length; i++) this.emit(sorted[i], this.symbolAnswer(BigInt(sorted[i]), go, symtab, dynsym));
    return { mode: 'symbols', units: 0, dies: 0, lineRows: 0, dwarfBytes: 0 };
  }

  /** resolveWithoutDwarf's answer, as a location. */
  private symbolAnswer(addr: bigint, go: GoPclntab | undefined, symtab: ElfSymbol[], dynsym: ElfSymbol[]): number {
    const g = go?.lookup(addr);
    if (g) {
      // Outermost first: the physical function, then the inlined callees inward.
      let parent = this.locations.intern([this.fn(this.strings.intern(g.function), NONE, FunctionKind.Gopclntab), this.fileOrNone(g.file), g.line ?? 0, 0, NONE]);
      for (let i = g.inlined.length - 1; i >= 0; i--) {
        const f = g.inlined[i];
        parent = this.locations.intern([this.fn(this.strings.intern(f.function), NONE, FunctionKind.Gopclntab), this.fileOrNone(f.file), f.line ?? 0, 0, parent]);
      }
      return parent;
    }
    for (const [table, kind] of [
      [symtab, FunctionKind.Symtab],
      [dynsym, FunctionKind.Dynsym],
    ] as const) {
      const s = findSymbol(table, addr);
      if (s) return this.locations.intern([this.fn(this.strings.intern(s.name), Number(s.value) - this.base, kind), NONE, 0, 0, NONE]);
    }
    return NO_ANSWER;
  }

  /** A function by its raw name's string id. */
  private fn(name: number, entry: number, kind: FunctionKind): number {
    return this.functions.intern([name, entry >>> 0, kind]);
  }

  /** A file by its path's string id. */
  private file(s: number): number {
    let id = this.files.get(s);
    if (id === undefined) {
      id = this.fileList.length;
      this.fileList.push(s);
      this.files.set(s, id);
    }
    return id;
  }

  private fileOrNone(path: string | undefined): number {
    return path === undefined ? NONE : this.file(this.strings.intern(path));
  }

  /** A range from `start` (increasing from call to call) to the next one; equal neighbours merge. */
  private emit(start: number, loc: number): void {
    if (start < this.base || start >= this.limit) return;
    const n = this.starts.length;
    if (n > 0 && this.locs.data[n - 1] === loc) return;
    this.starts.push(start - this.base);
    this.locs.push(loc);
  }

  /** The tables, names demangled (one batch), strings compacted to those still used. */
  async tables(demangle: BuildOptions['demangle']): Promise<SymcacheTables> {
    const fcount = this.functions.count;
    const raw = Array.from({ length: fcount }, (_, i) => this.strings.list[this.functions.get(i, 0)]);
    const kinds = Array.from({ length: fcount }, (_, i) => this.functions.get(i, 2) as FunctionKind);
    const wanted = raw.filter((n, i) => wantsDemangling(n, kinds[i]));
    const demangled = wanted.length ? await demangle([...new Set(wanted)]) : new Map<string, string>();
    const out = new StringInterner();
    const functions = new Uint32Array(fcount * 4);
    for (let i = 0; i < fcount; i++) {
      const name = wantsDemangling(raw[i], kinds[i]) ? demangled.get(raw[i]) ?? raw[i] : raw[i];
      functions[i * 4] = out.intern(name);
      // The mangled name is kept where an answer carries it (symbol-table answers).
      functions[i * 4 + 1] = name !== raw[i] && (kinds[i] === FunctionKind.Symtab || kinds[i] === FunctionKind.Dynsym) ? out.intern(raw[i]) : NONE;
      functions[i * 4 + 2] = this.functions.get(i, 1);
      functions[i * 4 + 3] = kinds[i];
    }
    const files = Uint32Array.from(this.fileList, (s) => out.intern(this.strings.list[s]));
    const L = this.locations.values();
    const n = this.locations.count;
    const locations = new Uint32Array(n * 4);
    const columns = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      locations[i * 4] = L[i * 5];
      locations[i * 4 + 1] = L[i * 5 + 1];
      locations[i * 4 + 2] = L[i * 5 + 2];
      locations[i * 4 + 3] = L[i * 5 + 4];
      columns[i] = L[i * 5 + 3];
    }
    return {
      flags: this.mode === 'dwarf' ? FLAG_DWARF : 0,
      base: BigInt(this.base),
      span: this.limit - this.base,
      rangeStarts: this.starts.data.slice(0, this.starts.length),
      rangeLocs: this.locs.data.slice(0, this.locs.length),
      locations,
      columns,
      functions,
      files,
      strings: out.list,
    };
  }
}

/**
 * llvm-symbolizer demangles `_Z` names only, and not versioned ones (`_Z...@GLIBCXX_3.4`:
 * its demangler rejects the suffix, llvm-cxxfilt would accept it; found by the libstdc++
 * oracle); the symbol-table resolver also Rust and Swift ones (Demangler).
 */
function wantsDemangling(name: string, kind: FunctionKind): boolean {
  if (kind === FunctionKind.Gopclntab || /[\s"]/.test(name)) return false;
  return kind === FunctionKind.Llvm ? name.startsWith('_Z') && !name.includes('@') : /^(_Z|_R|\$s|_\$s)/.test(name);
}

/**
 * [start, end, raw frame] over [lo, hi) in address order: the unit index's runs, each
 * filled from its unit's segments (NONE where the unit has no frame), ASK_FALLBACK for
 * units we cannot read, NONE between runs.
 */
function* baseIntervals(
  index: UnitIndex,
  unitFor: (offset: number) => { segBegin: number; segEnd: number; unknown: boolean } | undefined,
  segs: Segments,
  lo: number,
  hi: number,
): Generator<[number, number, number]> {
  let pos = lo;
  const S = segs.starts.data;
  const E = segs.ends.data;
  const Fr = segs.frames.data;
  for (const [rlo, rhi, unitOffset] of index.runs()) {
    const a = Math.max(rlo, lo);
    const b = Math.min(rhi, hi);
    if (b <= a) continue;
    if (a > pos) yield [pos, a, NONE];
    const u = unitFor(unitOffset);
    if (!u) yield [a, b, NONE];
    else if (u.unknown) yield [a, b, ASK_FALLBACK];
    else {
      // First segment ending after a.
      let l = u.segBegin;
      let h = u.segEnd;
      while (l < h) {
        const m = (l + h) >> 1;
        if (E[m] <= a) l = m + 1;
        else h = m;
      }
      let p = a;
      for (let i = l; i < u.segEnd && S[i] < b; i++) {
        const s = Math.max(S[i], a);
        if (s > p) yield [p, s, NONE];
        const e = Math.min(E[i], b);
        yield [s, e, Fr[i]];
        p = e;
      }
      if (p < b) yield [p, b, NONE];
    }
    pos = b;
  }
  if (pos < hi) yield [pos, hi, NONE];
}
