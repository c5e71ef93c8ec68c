import { ByteReader, isBogusAddress } from './byte-reader';
import * as C from './dwarf-constants';
import { formClass, formNumber, FormSizes, skipForm } from './form';
import type { Unit } from './unit';

/** A run of rows ending with DW_LNE_end_sequence: rows [first, last) cover [low, high). */
export interface LineSequence {
  low: number;
  high: number;
  first: number;
  last: number;
}

interface FileEntry {
  name?: string;
  dir: number;
}

const MAX_ROWS = 1 << 26;

/**
 * One line number program (.debug_line, DWARF 2-5), run to its rows. Fields have the
 * widths LLVM 14 keeps (file and column 16 bits, line 32), and the state machine follows
 * LLVM's DWARFDebugLine: VLIW op_index is not modelled, the address advances by
 * operation_advance * minimum_instruction_length, sequences are kept only when they
 * span some bytes, and file names are made as getFileNameByIndex makes them.
 */
export class LineTable {
  version = 0;
  addresses = new Float64Array(0);
  files16 = new Uint16Array(0);
  lines = new Uint32Array(0);
  columns = new Uint16Array(0);
  rowCount = 0;
  /** Valid sequences, sorted by `high` (LLVM's order for address lookup). */
  sequences: LineSequence[] = [];
  private entries: FileEntry[] = [];
  private dirs: (string | undefined)[] = [];
  private paths = new Map<number, string | undefined>();

  constructor(
    readonly offset: number,
    private readonly compDir: string,
  ) {}

  /** Whether a file number is valid in this table (1-based before DWARF 5, 0-based from 5). */
  hasFile(index: number): boolean {
    return this.version >= 5 ? index < this.entries.length : index >= 1 && index <= this.entries.length;
  }

  /** The file's path as llvm-symbolizer prints it (AbsoluteFilePath), or undefined. */
  fileName(index: number): string | undefined {
    if (this.paths.has(index)) return this.paths.get(index);
    let out: string | undefined;
    if (this.hasFile(index)) {
      const e = this.entries[this.version >= 5 ? index : index - 1];
      if (e.name !== undefined) out = this.absolute(e);
    }
    this.paths.set(index, out);
    return out;
  }

  get fileCount(): number {
    return this.entries.length;
  }

  private absolute(e: FileEntry): string {
    const name = e.name!;
    if (isAbsolute(name)) return name;
    let dir = '';
    if (this.version >= 5) {
      if (e.dir < this.dirs.length) dir = this.dirs[e.dir] ?? '';
    } else if (e.dir > 0 && e.dir <= this.dirs.length) dir = this.dirs[e.dir - 1] ?? '';
    let path = '';
    if (this.compDir !== '' && !isAbsolute(dir)) path = append(path, this.compDir);
    return append(append(path, dir), name);
  }

  /** Parse the program at `offset` of .debug_line for `unit` (which gives strx bases and sizes). */
  static read(unit: Unit, offset: number): LineTable {
    const sec = unit.dwarf.required('debug_line', `unit 0x${unit.offset.toString(16)} has DW_AT_stmt_list`);
    const t = new LineTable(offset, unit.compDir);
    const head = new ByteReader(sec.window(offset, 12), unit.le, '.debug_line', offset, 0, 12, unit.offset);
    let length = head.u32();
    let offsetSize = 4;
    if (length === 0xffffffff) {
      length = head.u64();
      offsetSize = 8;
    } else if (length >= 0xfffffff0) head.fail(`reserved unit length 0x${length.toString(16)}`, 0);
    const total = length + (offsetSize === 8 ? 12 : 4);
    if (!Number.isSafeInteger(total) || offset + total > sec.size) {
      head.fail(`line program claims ${length} bytes, past the end of the section (${sec.size} bytes)`, 0);
    }
    const r = new ByteReader(sec.bytes(offset, total), unit.le, '.debug_line', offset, offsetSize === 8 ? 12 : 4, total, unit.offset);
    t.parse(r, unit, offsetSize);
    return t;
  }

  private parse(r: ByteReader, unit: Unit, offsetSize: number): void {
    const version = r.u16();
    if (version < 2 || version > 5) r.fail(`unsupported line table version ${version}`);
    this.version = version;
    let addrSize = unit.header.addrSize;
    if (version >= 5) {
      addrSize = r.u8();
      r.u8(); // segment selector size
    }
    const headerLength = r.sized(offsetSize);
    const programStart = r.pos + headerLength;
    if (programStart > r.end) r.fail(`header_length ${headerLength} runs past the line program`);
    const minInst = r.u8();
    if (version >= 4) r.u8(); // maximum_operations_per_instruction (LLVM 14 ignores it)
    const defaultIsStmt = r.u8();
    void defaultIsStmt;
    const lineBase = (r.u8() << 24) >> 24;
    const lineRange = r.u8();
    const opcodeBase = r.u8();
    const opLengths: number[] = [];
    for (let i = 1; i < opcodeBase; i++) opLengths.push(r.u8());
    const sizes: FormSizes = { addrSize, offsetSize, version: unit.header.version, offset: unit.offset };
    if (version >= 5) {
      this.dirs = this.entryList(r, unit, sizes).map((e) => e.name);
      this.entries = this.entryList(r, unit, sizes);
    } else {
      for (;;) {
        const s = r.cstr();
        if (s === '') break;
        this.dirs.push(s);
      }
      for (;;) {
        const name = r.cstr();
        if (name === '') break;
        const dir = r.uleb();
        r.skipLeb();
        r.skipLeb();
        this.entries.push({ name, dir });
      }
    }
    r.seek(programStart);
    this.run(r, { minInst, lineBase, lineRange, opcodeBase, opLengths, addrSize });
  }

  /** A DWARF 5 directory or file name table: its entry format, then the entries. */
  private entryList(r: ByteReader, unit: Unit, sizes: FormSizes): FileEntry[] {
    const formatCount = r.u8();
    const format: [number, number][] = [];
    for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
    const count = r.uleb();
    if (count > r.remaining) r.fail(`${count} entries cannot fit in ${r.remaining} bytes`);
    const out: FileEntry[] = [];
    for (let i = 0; i < count; i++) {
      const e: FileEntry = { dir: 0 };
      for (const [type, form] of format) {
        if (type === C.DW_LNCT_path) {
          const v = formNumber(r, form, sizes, 0);
          e.name = pathString(r, unit, form, v);
        } else if (type === C.DW_LNCT_directory_index) {
          const cls = formClass(form);
          const v = formNumber(r, form, sizes, 0);
          if (cls === 'constant') e.dir = v;
        } else skipForm(r, form, sizes);
      }
      out.push(e);
    }
    return out;
  }

  private grow(): void {
    const cap = Math.max(1024, this.addresses.length * 2);
    if (cap > MAX_ROWS) throw new Error('too many rows');
    const a = new Float64Array(cap);
    a.set(this.addresses);
    this.addresses = a;
    const f = new Uint16Array(cap);
    f.set(this.files16);
    this.files16 = f;
    const l = new Uint32Array(cap);
    l.set(this.lines);
    this.lines = l;
    const c = new Uint16Array(cap);
    c.set(this.columns);
    this.columns = c;
  }

  private run(r: ByteReader, p: { minInst: number; lineBase: number; lineRange: number; opcodeBase: number; opLengths: number[]; addrSize: number }): void {
    const { minInst, lineBase, lineRange, opcodeBase, opLengths } = p;
    let address = 0;
    let file = 1;
    let line = 1;
    let column = 0;
    let seqFirst = -1;
    let seqLow = 0;
    const buf = r.buf;
    const append = (end: boolean) => {
      if (this.rowCount === this.addresses.length) {
        if (this.rowCount >= MAX_ROWS) r.fail(`more than ${MAX_ROWS} rows`);
        this.grow();
      }
      const i = this.rowCount++;
      this.addresses[i] = address;
      this.files16[i] = file & 0xffff;
      this.lines[i] = line;
      this.columns[i] = column & 0xffff;
      if (seqFirst < 0) {
        seqFirst = i;
        seqLow = address;
      }
      if (end) {
        if (seqLow < address && !isBogusAddress(seqLow) && !isBogusAddress(address)) {
          this.sequences.push({ low: seqLow, high: address, first: seqFirst, last: i + 1 });
        }
        seqFirst = -1;
        address = 0;
        file = 1;
        line = 1;
        column = 0;
      }
    };
    const advance = (operations: number) => {
      address += operations * minInst;
    };
    while (r.pos < r.end) {
      const op = buf[r.pos++];
      if (op >= opcodeBase) {
        const adj = op - opcodeBase;
        if (lineRange !== 0) {
          advance(Math.floor(adj / lineRange));
          line = (line + lineBase + (adj % lineRange)) >>> 0;
        }
        append(false);
        continue;
      }
      switch (op) {
        case 0: {
          const len = r.uleb();
          const start = r.pos;
          if (len === 0) break;
          r.need(len);
          const sub = r.u8();
          if (sub === C.DW_LNE_end_sequence) append(true);
          else if (sub === C.DW_LNE_set_address) {
            const n = len - 1;
            if (n === 1 || n === 2 || n === 4 || n === 8) address = r.sized(n);
          } else if (sub === C.DW_LNE_define_file) {
            const name = r.cstr();
            const dir = r.uleb();
            this.entries.push({ name, dir });
          } else if (sub === C.DW_LNE_set_discriminator) r.uleb();
          r.seek(start + len);
          break;
        }
        case C.DW_LNS_copy:
          append(false);
          break;
        case C.DW_LNS_advance_pc:
          advance(r.uleb());
          break;
        case C.DW_LNS_advance_line:
          line = (line + r.sleb()) >>> 0;
          break;
        case C.DW_LNS_set_file:
          file = r.uleb();
          break;
        case C.DW_LNS_set_column:
          column = r.uleb();
          break;
        case C.DW_LNS_negate_stmt:
        case C.DW_LNS_set_basic_block:
        case C.DW_LNS_set_prologue_end:
        case C.DW_LNS_set_epilogue_begin:
          break;
        case C.DW_LNS_const_add_pc:
          if (lineRange !== 0) advance(Math.floor((255 - opcodeBase) / lineRange));
          break;
        case C.DW_LNS_fixed_advance_pc:
          address += r.u16();
          break;
        case C.DW_LNS_set_isa:
          r.uleb();
          break;
        default:
          // An opcode this reader does not know: the header says how many LEB128 operands it has.
          for (let i = 0; i < (opLengths[op - 1] ?? 0); i++) r.skipLeb();
      }
    }
    this.sequences.sort((a, b) => a.high - b.high);
  }

  /**
   * The row LLVM's lookupAddress picks for `address`: the first sequence (by high) that
   * ends above it must contain it, then the last row at or below it. -1 when none.
   */
  rowFor(address: number): number {
    const seqs = this.sequences;
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid].high <= address) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= seqs.length || seqs[lo].low > address) return -1;
    const s = seqs[lo];
    // upper_bound over rows (first, last - 1), minus one.
    let a = s.first + 1;
    let b = s.last - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (this.addresses[mid] <= address) a = mid + 1;
      else b = mid;
    }
    return a - 1;
  }
}

function pathString(r: ByteReader, unit: Unit, form: number, v: number): string | undefined {
  if (form === C.DW_FORM_string) {
    const at = v - r.base;
    const end = r.buf.indexOf(0, at);
    return r.buf.toString('utf8', at, end);
  }
  return unit.string(form, v);
}

/** LLVM's isPathAbsoluteOnWindowsOrPosix. */
export function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]+[\\/]/.test(p);
}

/** llvm::sys::path::append (POSIX style), one component. */
export function append(path: string, component: string): string {
  if (path.length > 0 && path.endsWith('/')) return path + component.replace(/^\/+/, '');
  const hasSep = component.startsWith('/');
  const rootName = /^\/\/[^/]/.test(component);
  if (!hasSep && !(path.length === 0 || rootName)) return `${path}/${component}`;
  return path + component;
}
