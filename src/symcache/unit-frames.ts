import { isBogusAddress } from '../dwarf/byte-reader';
import * as C from '../dwarf/dwarf-constants';
import { AttrSlots, DieCursor } from '../dwarf/die-cursor';
import { addressRanges, AddressRange } from '../dwarf/dwarf-ranges';
import { formClass } from '../dwarf/form';
import { LineTable } from '../dwarf/line-program';
import type { Unit } from '../dwarf/unit';
import { DwarfError } from '../model/errors';
import { GrowableF64, GrowableU32, StringInterner, TupleInterner } from './tuple-interner';

/** No value (no parent frame, no file). */
export const NONE = 0xffffffff;

/**
 * A frame name the symcache cannot know (a raw frame's name id): llvm-symbolizer 14 would
 * look it up in a supplementary (dwz alt) file by an offset into its own sections instead.
 * An answer with such a frame is left to the fallback.
 */
export const UNKNOWN_NAME = 0xfffffffe;

/** stringId / reference results besides an id or offset (-1: no such attribute). */
const ABSENT = -1;
/** DW_FORM_GNU_strp_alt: the attribute is there, llvm 14 reads no string from it (the name search stops, nameless). */
const UNREADABLE = -2;
/** DW_FORM_strp_sup (a supplementary file's .debug_str, which llvm 14 reads from this file's) or DW_FORM_GNU_ref_alt. */
const UNKNOWABLE = -3;

/**
 * Raw frames, as llvm-symbolizer 14 builds them before its symbol table and demangler
 * touch them: [name, file, line, column, caller] (name and file are string ids, 0/NONE
 * when unknown; the caller is another raw frame). An address's answer is the id of its
 * innermost frame.
 */
export interface FrameTables {
  strings: StringInterner;
  frames: TupleInterner;
  /** String ids by where the string lives: .debug_str, .debug_line_str, inline in .debug_info / .debug_types (stringId). */
  byLocation: Map<number, number>[];
}

export function newFrameTables(strings = new StringInterner()): FrameTables {
  return { strings, frames: new TupleInterner(5, 1 << 18), byLocation: [new Map(), new Map(), new Map(), new Map()] };
}

/** [start, end) -> innermost raw frame, in address order, for all units (each unit a run). */
export interface Segments {
  starts: GrowableF64;
  ends: GrowableF64;
  frames: GrowableU32;
}

export function newSegments(): Segments {
  return { starts: new GrowableF64(), ends: new GrowableF64(), frames: new GrowableU32() };
}

export interface UnitResult {
  /** The unit DIE's ranges (what LLVM's address -> unit index is built from when .debug_aranges lacks the unit). */
  ranges: AddressRange[];
  /** Its segments are [segBegin, segEnd) of the Segments. */
  segBegin: number;
  segEnd: number;
  rows: number;
  dies: number;
}

const ATTRS = [
  C.DW_AT_low_pc,
  C.DW_AT_high_pc,
  C.DW_AT_ranges,
  C.DW_AT_name,
  C.DW_AT_linkage_name,
  C.DW_AT_MIPS_linkage_name,
  C.DW_AT_abstract_origin,
  C.DW_AT_specification,
  C.DW_AT_call_file,
  C.DW_AT_call_line,
  C.DW_AT_call_column,
];
const [LOW, HIGH, RANGES, NAME, LINKAGE, MIPS_LINKAGE, ORIGIN, SPEC, CALL_FILE, CALL_LINE, CALL_COLUMN] = ATTRS.map((_, i) => i);
const MAX_REF_CHAIN = 16;
const MAX_DEPTH = 4096;

/** What name lookups need of a DIE: its own names and where its specification / abstract origin point. */
interface NameInfo {
  linkage: number;
  name: number;
  origin: number;
  spec: number;
}

/**
 * One compile unit as LLVM's DWARFContext::getInliningInfoForAddress sees it:
 * subprogram and inlined-subroutine DIEs painted over their ranges in DIE order (a
 * later DIE wins where it covers: updateAddressDieMap), the chain up to the subprogram
 * (lexical blocks skipped), names as getSubroutineName(LinkageName) finds them
 * (linkage name, else name, through specification and abstract origin), frame 0's
 * file/line/column from the line table row lookupAddress picks, the callers' from
 * DW_AT_call_file/line/column. Appends the unit's segments to `out`.
 */
export function unitFrames(unit: Unit, t: FrameTables, out: Segments): UnitResult {
  const segBegin = out.starts.length;
  const ranges = addressRanges(unit, unit.lowPc, unit.highPc, unit.ranges).filter((r) => r.high > r.low);
  const table = unit.stmtList !== undefined ? LineTable.read(unit, unit.stmtList) : undefined;
  const p = new Painter();
  const nodes = new Nodes();
  const slots = new AttrSlots(ATTRS);
  const refInfo = new Map<number, NameInfo>();
  const str = (i: number) => {
    const form = slots.forms[i];
    return form === 0 ? ABSENT : stringId(unit, form, slots.values[i], t);
  };
  const ref = (i: number) => refValue(slots.forms[i], slots.values[i]);
  const num = (i: number) => (slots.forms[i] !== 0 && formClass(slots.forms[i]) !== 'block' ? slots.values[i] : 0);

  // The ancestors of the DIE being read, by depth (entries past the current depth are
  // stale, never read); a subroutine's node is made only when it, or a DIE under it, has code.
  const tags = new Int32Array(MAX_DEPTH);
  const nodeAt = new Int32Array(MAX_DEPTH);
  const own = { linkage: new Float64Array(MAX_DEPTH), name: new Float64Array(MAX_DEPTH), origin: new Float64Array(MAX_DEPTH), spec: new Float64Array(MAX_DEPTH) };
  const call = { file: new Float64Array(MAX_DEPTH), line: new Float64Array(MAX_DEPTH), column: new Float64Array(MAX_DEPTH) };
  const c = new DieCursor(unit);
  let dies = 0;
  const materialize = (d: number): number => {
    if (nodeAt[d] >= 0) return nodeAt[d];
    let parent = NONE;
    if (tags[d] === C.DW_TAG_inlined_subroutine) {
      for (let a = d - 1; a >= 0; a--) {
        if (tags[a] === C.DW_TAG_subprogram || tags[a] === C.DW_TAG_inlined_subroutine) {
          parent = materialize(a);
          break;
        }
      }
    }
    const info: NameInfo = { linkage: own.linkage[d], name: own.name[d], origin: own.origin[d], spec: own.spec[d] };
    const id = nodes.add(subroutineName(unit, info, refInfo, t), call.file[d], call.line[d], call.column[d], parent);
    nodeAt[d] = id;
    return id;
  };
  while (c.next()) {
    dies++;
    const d = c.depth;
    if (d >= MAX_DEPTH) c.r.fail(`DIEs nest deeper than ${MAX_DEPTH}`);
    const tag = c.abbrev!.tag;
    tags[d] = tag;
    nodeAt[d] = -1;
    if (tag !== C.DW_TAG_subprogram && tag !== C.DW_TAG_inlined_subroutine) continue;
    c.readInto(slots);
    const linkage = str(LINKAGE);
    own.linkage[d] = linkage !== ABSENT ? linkage : str(MIPS_LINKAGE);
    own.name[d] = str(NAME);
    own.origin[d] = ref(ORIGIN);
    own.spec[d] = ref(SPEC);
    call.file[d] = num(CALL_FILE);
    call.line[d] = num(CALL_LINE);
    call.column[d] = num(CALL_COLUMN);
    const raw = (i: number) => (slots.forms[i] !== 0 ? { form: slots.forms[i], value: slots.values[i] } : undefined);
    const rs = addressRanges(unit, raw(LOW), raw(HIGH), raw(RANGES));
    let node = -1;
    for (const r of rs) {
      if (r.high <= r.low) continue; // LLVM ignores empty ranges (and cannot use inverted ones)
      if (node < 0) node = materialize(d);
      p.add(r.low, r.high, node);
    }
  }

  // Frame 0 from the line table, callers from the nodes; one raw frame id per elementary interval.
  const fileIds = new Map<number, number>();
  const fileId = (index: number): number => {
    let id = fileIds.get(index);
    if (id === undefined) {
      const name = table?.fileName(index);
      id = name === undefined ? NONE : t.strings.intern(name);
      fileIds.set(index, id);
    }
    return id;
  };
  const callers = new Int32Array(nodes.count).fill(-1);
  const tuple = new Uint32Array(5);
  const callerTuple = new Uint32Array(5);
  const callerFrame = (node: number): number => {
    const parent = nodes.parent[node];
    if (parent === NONE) return NONE;
    if (callers[node] >= 0) return callers[node];
    const up = callerFrame(parent);
    // The caller's location is where `node` was inlined (its call_*); no line table, no file.
    const tuple = callerTuple;
    tuple[0] = nodes.name[parent];
    tuple[1] = table ? fileId(nodes.callFile[node]) : NONE;
    tuple[2] = nodes.callLine[node];
    tuple[3] = nodes.callColumn[node];
    tuple[4] = up;
    const id = t.frames.intern(tuple);
    callers[node] = id;
    return id;
  };
  const leaf = p.segments();
  const rows = table ? rowSegments(table) : { starts: [], ends: [], rows: [] };
  let li = 0;
  let ri = 0;
  let pos = Math.min(leaf.starts[0] ?? Infinity, rows.starts[0] ?? Infinity);
  const emit = (start: number, end: number, frame: number) => {
    const n = out.starts.length;
    if (n > segBegin && out.ends.data[n - 1] === start && out.frames.data[n - 1] === frame) {
      out.ends.data[n - 1] = end;
      return;
    }
    out.starts.push(start);
    out.ends.push(end);
    out.frames.push(frame);
  };
  while (li < leaf.starts.length || ri < rows.starts.length) {
    while (li < leaf.starts.length && leaf.ends[li] <= pos) li++;
    while (ri < rows.starts.length && rows.ends[ri] <= pos) ri++;
    if (li >= leaf.starts.length && ri >= rows.starts.length) break;
    const ls = li < leaf.starts.length ? leaf.starts[li] : Infinity;
    const rsStart = ri < rows.starts.length ? rows.starts[ri] : Infinity;
    if (pos < ls && pos < rsStart) pos = Math.min(ls, rsStart);
    const inLeaf = li < leaf.starts.length && leaf.starts[li] <= pos;
    const inRow = ri < rows.starts.length && rows.starts[ri] <= pos;
    let end = Infinity;
    if (inLeaf) end = Math.min(end, leaf.ends[li]);
    else if (li < leaf.starts.length) end = Math.min(end, leaf.starts[li]);
    if (inRow) end = Math.min(end, rows.ends[ri]);
    else if (ri < rows.starts.length) end = Math.min(end, rows.starts[ri]);
    const node = inLeaf ? leaf.nodes[li] : -1;
    const row = inRow ? rows.rows[ri] : -1;
    // getFileLineInfoForAddress: a row whose file is not in the table gives no file and no line.
    const file = row >= 0 ? fileId(table!.files16[row]) : NONE;
    const caller = node >= 0 ? callerFrame(node) : NONE;
    tuple[0] = node >= 0 ? nodes.name[node] : 0;
    tuple[1] = file;
    tuple[2] = file !== NONE ? table!.lines[row] : 0;
    tuple[3] = file !== NONE ? table!.columns[row] : 0;
    tuple[4] = caller;
    emit(pos, end, t.frames.intern(tuple));
    pos = end;
  }
  return { ranges, segBegin, segEnd: out.starts.length, rows: table?.rowCount ?? 0, dies };
}

/** The name llvm-symbolizer gives a subroutine DIE: its linkage name, else its name, through spec/origin (UNKNOWN_NAME: not knowable here). */
function subroutineName(unit: Unit, own: NameInfo, refs: Map<number, NameInfo>, t: FrameTables): number {
  const linkage = findRecursively(unit, own, refs, t, 'linkage');
  if (linkage >= 0) return linkage;
  if (linkage === UNKNOWABLE) return UNKNOWN_NAME;
  const name = findRecursively(unit, own, refs, t, 'name');
  return name >= 0 ? name : name === UNKNOWABLE ? UNKNOWN_NAME : 0;
}

/**
 * A reference attribute's target offset. DW_FORM_GNU_ref_alt (dwz) is an offset in the alt
 * file: llvm 14 looks it up in this file's .debug_info (getAsRelativeReference), finding
 * some unrelated DIE or none, so what it names from there is UNKNOWABLE. DW_FORM_ref_sup4/8
 * it does not follow at all (ABSENT, as here).
 */
function refValue(form: number, value: number): number {
  if (form === 0) return ABSENT;
  if (form === C.DW_FORM_GNU_ref_alt) return UNKNOWABLE;
  return formClass(form) === 'reference' ? value : ABSENT;
}

/**
 * LLVM's DWARFDie::findRecursively: depth-first from the DIE, pushing abstract origin then
 * specification; the first DIE with the attribute ends the search (a GNU_strp_alt one with
 * no name: toString fails there). UNKNOWABLE where the search reaches what llvm would read
 * from the wrong file (an alt reference, a strp_sup string).
 */
function findRecursively(unit: Unit, own: NameInfo, refs: Map<number, NameInfo>, t: FrameTables, which: 'linkage' | 'name'): number {
  const work: (NameInfo | undefined)[] = [own];
  const seen: number[] = [];
  while (work.length > 0) {
    const info = work.pop();
    if (!info) return UNKNOWABLE; // an alt reference's turn: llvm would search some DIE of this file
    const v = info[which];
    if (v >= 0 || v === UNKNOWABLE) return v;
    if (v === UNREADABLE) return ABSENT;
    for (const target of [info.origin, info.spec]) {
      if (target === UNKNOWABLE) {
        work.push(undefined);
        continue;
      }
      if (target < 0) continue;
      if (seen.includes(target) || seen.length >= MAX_REF_CHAIN) {
        throw new DwarfError(
          `DW_AT_abstract_origin/DW_AT_specification references loop (or chain past ${MAX_REF_CHAIN} DIEs) at DIE 0x${target.toString(16)}`,
          { section: unit.header.section, offset: target, unit: unit.offset },
        );
      }
      seen.push(target);
      work.push(nameInfoAt(unit, target, refs, t));
    }
  }
  return ABSENT;
}

/**
 * A string attribute's interned id, by where it lives (a .debug_str offset, an inline
 * string's offset): a name used by thousands of DIEs is decoded and hashed once.
 */
function stringId(unit: Unit, form: number, value: number, t: FrameTables): number {
  // One map per section, keyed by offset (small integers: V8's fast keys).
  let map: Map<number, number>;
  let key = value;
  if (form === C.DW_FORM_strp) map = t.byLocation[0];
  else if (form === C.DW_FORM_line_strp) map = t.byLocation[1];
  else if (form === C.DW_FORM_string) map = t.byLocation[unit.header.section === '.debug_info' ? 2 : 3];
  else if (formClass(form) === 'strx') {
    map = t.byLocation[0];
    key = unit.dwarf.strOffset(unit, value);
  } else if (form === C.DW_FORM_GNU_strp_alt) return UNREADABLE;
  else if (form === C.DW_FORM_strp_sup) return UNKNOWABLE;
  else return ABSENT;
  let id = map.get(key);
  if (id === undefined) {
    const s = unit.string(form, value);
    id = s === undefined ? ABSENT : t.strings.intern(s);
    map.set(key, id);
  }
  return id;
}

function nameInfoAt(unit: Unit, offset: number, refs: Map<number, NameInfo>, t: FrameTables): NameInfo {
  let info = refs.get(offset);
  if (info) return info;
  const die = unit.dwarf.dieAt(offset, unit);
  const str = (n: number) => {
    const a = die.attr(n);
    return a ? stringId(die.unit, a.form, a.value, t) : ABSENT;
  };
  const refOf = (n: number) => {
    const a = die.attr(n);
    return a ? refValue(a.form, a.value) : ABSENT;
  };
  // find() returns the first of the names in the DIE's own attribute order.
  const first = die.attrs.find((a) => a.name === C.DW_AT_linkage_name || a.name === C.DW_AT_MIPS_linkage_name);
  info = { linkage: first ? str(first.name) : ABSENT, name: str(C.DW_AT_name), origin: refOf(C.DW_AT_abstract_origin), spec: refOf(C.DW_AT_specification) };
  refs.set(offset, info);
  return info;
}

/** Subroutine nodes of one unit, in flat arrays. */
class Nodes {
  name = new Uint32Array(256);
  callFile = new Uint32Array(256);
  callLine = new Uint32Array(256);
  callColumn = new Uint32Array(256);
  parent = new Uint32Array(256);
  count = 0;

  add(name: number, file: number, line: number, column: number, parent: number): number {
    if (this.count === this.name.length) {
      for (const k of ['name', 'callFile', 'callLine', 'callColumn', 'parent'] as const) {
        const b = new Uint32Array(this[k].length * 2);
        b.set(this[k]);
        this[k] = b;
      }
    }
    const i = this.count++;
    this.name[i] = name;
    // Stored as LLVM keeps them: unsigned 32-bit (a negative or huge value wraps, as there).
    this.callFile[i] = file >>> 0;
    this.callLine[i] = line >>> 0;
    this.callColumn[i] = column >>> 0;
    this.parent[i] = parent;
    return i;
  }
}

/**
 * "Last painter wins" over [low, high) intervals added in DIE order: at each address the
 * most recently added interval covering it. A sweep with a max-heap of active intervals.
 */
class Painter {
  private lows: number[] = [];
  private highs: number[] = [];
  private nodes: number[] = [];

  add(low: number, high: number, node: number): void {
    if (isBogusAddress(low) || isBogusAddress(high)) return;
    this.lows.push(low);
    this.highs.push(high);
    this.nodes.push(node);
  }

  segments(): { starts: number[]; ends: number[]; nodes: number[] } {
    const n = this.lows.length;
    const out = { starts: [] as number[], ends: [] as number[], nodes: [] as number[] };
    if (n === 0) return out;
    const byLow = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.lows[a] - this.lows[b] || a - b);
    const heap: number[] = []; // interval indices, max by index (= DIE order)
    const push = (i: number) => {
      heap.push(i);
      for (let k = heap.length - 1; k > 0; ) {
        const up = (k - 1) >> 1;
        if (heap[up] >= heap[k]) break;
        [heap[up], heap[k]] = [heap[k], heap[up]];
        k = up;
      }
    };
    const pop = () => {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = last;
      for (let k = 0; ; ) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && heap[l] > heap[m]) m = l;
        if (r < heap.length && heap[r] > heap[m]) m = r;
        if (m === k) break;
        [heap[m], heap[k]] = [heap[k], heap[m]];
        k = m;
      }
    };
    let next = 0;
    let pos = this.lows[byLow[0]];
    for (;;) {
      while (next < n && this.lows[byLow[next]] <= pos) push(byLow[next++]);
      while (heap.length > 0 && this.highs[heap[0]] <= pos) pop();
      if (heap.length === 0) {
        if (next >= n) break;
        pos = this.lows[byLow[next]];
        continue;
      }
      const top = heap[0];
      // The top holds until it ends or a newer interval starts (an older one starting changes nothing).
      let end = this.highs[top];
      for (let k = next; k < n && this.lows[byLow[k]] < end; k++) {
        if (byLow[k] > top) {
          end = this.lows[byLow[k]];
          break;
        }
      }
      const node = this.nodes[top];
      const m = out.starts.length;
      if (m > 0 && out.ends[m - 1] === pos && out.nodes[m - 1] === node) out.ends[m - 1] = end;
      else {
        out.starts.push(pos);
        out.ends.push(end);
        out.nodes.push(node);
      }
      pos = end;
    }
    return out;
  }
}

/** The line table as lookupAddress answers it: [start, end) -> row, in address order. */
function rowSegments(t: LineTable): { starts: number[]; ends: number[]; rows: number[] } {
  const out = { starts: [] as number[], ends: [] as number[], rows: [] as number[] };
  let served = -Infinity; // addresses below are answered by an earlier sequence (or by none)
  const a = t.addresses;
  for (const s of t.sequences) {
    const from = Math.max(served, s.low);
    served = Math.max(served, s.high);
    if (from >= s.high) continue;
    for (let i = s.first; i < s.last - 1; i++) {
      const lo = Math.max(a[i], from);
      const hi = Math.min(a[i + 1], s.high);
      if (hi <= lo) continue;
      // Rows out of address order: upper_bound would give LLVM's answer only by luck; skip them.
      if (a[i + 1] < a[i]) continue;
      out.starts.push(lo);
      out.ends.push(hi);
      out.rows.push(i);
    }
  }
  return out;
}
