import { AbbrevTable } from './abbrev';
import { ByteReader } from './byte-reader';
import * as C from './dwarf-constants';
import { AttrSlots, DieCursor } from './die-cursor';
import type { DwarfFile } from './dwarf-file';
import { formClass } from './form';
import { UnitHeader } from './unit-header';

const UNIT_ATTRS = [
  C.DW_AT_name,
  C.DW_AT_comp_dir,
  C.DW_AT_stmt_list,
  C.DW_AT_low_pc,
  C.DW_AT_high_pc,
  C.DW_AT_ranges,
  C.DW_AT_entry_pc,
  C.DW_AT_str_offsets_base,
  C.DW_AT_addr_base,
  C.DW_AT_GNU_addr_base,
  C.DW_AT_rnglists_base,
  C.DW_AT_GNU_ranges_base,
  C.DW_AT_loclists_base,
  C.DW_AT_dwo_name,
  C.DW_AT_GNU_dwo_name,
  C.DW_AT_language,
  C.DW_AT_producer,
] as const;
type UnitAttr = (typeof UNIT_ATTRS)[number];
const SLOT = Object.fromEntries(UNIT_ATTRS.map((n, i) => [n, i])) as Record<UnitAttr, number>;

/** A raw attribute value: its form and number (see form.ts). */
export interface RawAttr {
  form: number;
  value: number;
}

/**
 * One unit with its bytes in hand, its abbreviations, and what its unit DIE says that
 * the rest of the unit needs: the bases of its string offsets, addresses and range
 * lists, its base address, compilation directory and line program.
 */
export class Unit {
  readonly abbrevs: AbbrevTable;
  readonly le: boolean;
  tag = 0;
  name?: string;
  compDir = '';
  producer?: string;
  language?: number;
  /** .debug_line offset of the unit's line program. */
  stmtList?: number;
  /** The unit's base address (DW_AT_low_pc, else DW_AT_entry_pc), for range lists. */
  baseAddress?: number;
  strOffsetsBase?: number;
  addrBase?: number;
  rnglistsBase = 0;
  loclistsBase?: number;
  /** The unit DIE's own extent, as its attributes give it. */
  lowPc?: RawAttr;
  highPc?: RawAttr;
  ranges?: RawAttr;
  /** Split DWARF: the skeleton's .dwo (its DIEs are in that other file). */
  dwoName?: string;

  constructor(
    readonly dwarf: DwarfFile,
    readonly header: UnitHeader,
    /** The unit's bytes: buf[0] is the byte at header.offset. */
    readonly buf: Buffer,
  ) {
    this.le = dwarf.le;
    this.abbrevs = dwarf.abbrevTable(header.abbrevOffset);
    const cursor = new DieCursor(this);
    if (!cursor.next()) return; // an empty unit: nothing in it
    const slots = new AttrSlots(UNIT_ATTRS);
    this.tag = cursor.abbrev!.tag;
    cursor.readInto(slots);
    const has = (a: UnitAttr) => slots.forms[SLOT[a]] !== 0;
    const raw = (a: UnitAttr): RawAttr | undefined => (has(a) ? { form: slots.forms[SLOT[a]], value: slots.values[SLOT[a]] } : undefined);
    const num = (a: UnitAttr) => (has(a) ? slots.values[SLOT[a]] : undefined);
    // Bases first: string and address indices in the unit DIE itself depend on them.
    this.strOffsetsBase = num(C.DW_AT_str_offsets_base);
    this.addrBase = num(C.DW_AT_addr_base) ?? num(C.DW_AT_GNU_addr_base);
    this.rnglistsBase = num(C.DW_AT_rnglists_base) ?? num(C.DW_AT_GNU_ranges_base) ?? 0;
    this.loclistsBase = num(C.DW_AT_loclists_base);
    this.stmtList = num(C.DW_AT_stmt_list);
    this.language = num(C.DW_AT_language);
    this.lowPc = raw(C.DW_AT_low_pc);
    this.highPc = raw(C.DW_AT_high_pc);
    this.ranges = raw(C.DW_AT_ranges);
    const str = (a: UnitAttr) => {
      const v = raw(a);
      return v ? this.string(v.form, v.value) : undefined;
    };
    this.name = str(C.DW_AT_name);
    this.compDir = str(C.DW_AT_comp_dir) ?? '';
    this.producer = str(C.DW_AT_producer);
    this.dwoName = str(C.DW_AT_dwo_name) ?? str(C.DW_AT_GNU_dwo_name);
    const base = this.lowPc ?? raw(C.DW_AT_entry_pc);
    if (base) this.baseAddress = this.address(base.form, base.value);
  }

  get offset(): number {
    return this.header.offset;
  }

  /** A cursor at section offset `at` of this unit, bounded by the unit's end. */
  reader(at: number): ByteReader {
    const h = this.header;
    return new ByteReader(this.buf, this.le, h.section, h.offset, at - h.offset, this.buf.length, h.offset);
  }

  contains(offset: number): boolean {
    return offset >= this.header.dieOffset && offset < this.header.end;
  }

  /** A string-class attribute's text, or undefined when its form is not a string (or points nowhere). */
  string(form: number, value: number): string | undefined {
    switch (formClass(form)) {
      case 'string':
        if (form === C.DW_FORM_string) {
          const at = value - this.header.offset;
          const end = this.buf.indexOf(0, at);
          return end < 0 ? undefined : this.buf.toString('utf8', at, end);
        }
        if (form === C.DW_FORM_strp) return this.dwarf.str(value, this.offset);
        if (form === C.DW_FORM_line_strp) return this.dwarf.lineStr(value, this.offset);
        return undefined; // strp_sup / GNU_strp_alt: a supplementary file we do not have
      case 'strx':
        return this.dwarf.str(this.dwarf.strOffset(this, value), this.offset);
      default:
        return undefined;
    }
  }

  /** An address-class attribute's address (DW_FORM_addr, or an index into .debug_addr). */
  address(form: number, value: number): number | undefined {
    const cls = formClass(form);
    if (cls === 'address') return value;
    if (cls === 'addrx') return this.dwarf.addrx(this, value);
    return undefined;
  }
}
