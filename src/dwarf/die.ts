import { DwarfError } from '../model/errors';
import * as C from './dwarf-constants';
import { DieCursor } from './die-cursor';
import { formClass, formNumber, formOf } from './form';
import { addressRanges, AddressRange } from './dwarf-ranges';
import type { Unit } from './unit';

/** One attribute as read: name, form (DW_FORM_indirect already followed), value (form.ts), byte length of blocks and strings. */
export interface Attr {
  name: number;
  form: number;
  value: number;
  length: number;
}

/** How far DW_AT_abstract_origin / DW_AT_specification chains are followed before they count as a cycle. */
const MAX_REFERENCE_CHAIN = 16;

/**
 * A DIE with all its attributes decoded: the general-purpose view (types, members,
 * variables, subprograms). Walkers over whole units use DieCursor instead, which
 * decodes only the attributes asked for.
 */
export class Die {
  constructor(
    readonly unit: Unit,
    readonly offset: number,
    readonly tag: number,
    readonly hasChildren: boolean,
    readonly attrs: Attr[],
    /** Section offset just past the attributes: the first child, if any. */
    readonly childOffset: number,
  ) {}

  attr(name: number): Attr | undefined {
    for (const a of this.attrs) if (a.name === name) return a;
    return undefined;
  }

  has(name: number): boolean {
    return this.attr(name) !== undefined;
  }

  string(name: number): string | undefined {
    const a = this.attr(name);
    return a ? this.unit.string(a.form, a.value) : undefined;
  }

  /** A constant (unsigned or signed data, implicit_const, flag); undefined for other forms. */
  number(name: number): number | undefined {
    const a = this.attr(name);
    if (!a) return undefined;
    const cls = formClass(a.form);
    return cls === 'constant' || cls === 'signed' || cls === 'flag' ? a.value : undefined;
  }

  address(name: number): number | undefined {
    const a = this.attr(name);
    return a ? this.unit.address(a.form, a.value) : undefined;
  }

  /** The bytes of a block or exprloc attribute. */
  block(name: number): Buffer | undefined {
    const a = this.attr(name);
    if (!a || formClass(a.form) !== 'block') return undefined;
    const at = a.value - this.unit.header.offset;
    return this.unit.buf.subarray(at, at + a.length);
  }

  /** The DIE a reference attribute points at (same unit, or another one for DW_FORM_ref_addr). */
  ref(name: number): Die | undefined {
    const a = this.attr(name);
    if (!a || formClass(a.form) !== 'reference') return undefined;
    return this.unit.dwarf.dieAt(a.value, this.unit);
  }

  children(): Die[] {
    if (!this.hasChildren) return [];
    const out: Die[] = [];
    const c = new DieCursor(this.unit, this.childOffset, 1);
    while (c.next()) {
      if (c.depth === 1) out.push(dieFromCursor(c));
    }
    return out;
  }

  /**
   * An attribute found on this DIE or, as LLVM's findRecursively does, on the DIEs its
   * DW_AT_specification and DW_AT_abstract_origin lead to (specification first).
   * A chain that loops is a DwarfError.
   */
  findRecursively(names: readonly number[]): { die: Die; attr: Attr } | undefined {
    const work: Die[] = [this];
    const seen = new Set<number>([this.offset]);
    while (work.length > 0) {
      const d = work.pop()!;
      for (const n of names) {
        const a = d.attr(n);
        if (a) return { die: d, attr: a };
      }
      for (const link of [C.DW_AT_abstract_origin, C.DW_AT_specification]) {
        const a = d.attr(link);
        if (!a || formClass(a.form) !== 'reference') continue;
        if (seen.has(a.value)) throw cycle(this, a.value);
        seen.add(a.value);
        if (seen.size > MAX_REFERENCE_CHAIN) throw cycle(this, a.value);
        work.push(this.unit.dwarf.dieAt(a.value, d.unit));
      }
    }
    return undefined;
  }

  /** DW_AT_name, here or through specification / abstract origin. */
  name(): string | undefined {
    const f = this.findRecursively([C.DW_AT_name]);
    return f ? f.die.unit.string(f.attr.form, f.attr.value) : undefined;
  }

  /** The linkage (mangled) name, here or through specification / abstract origin. */
  linkageName(): string | undefined {
    const f = this.findRecursively([C.DW_AT_MIPS_linkage_name, C.DW_AT_linkage_name]);
    return f ? f.die.unit.string(f.attr.form, f.attr.value) : undefined;
  }

  /** The code ranges of a unit, subprogram, inlined subroutine or lexical block. */
  ranges(): AddressRange[] {
    const raw = (n: number) => {
      const a = this.attr(n);
      return a ? { form: a.form, value: a.value } : undefined;
    };
    return addressRanges(this.unit, raw(C.DW_AT_low_pc), raw(C.DW_AT_high_pc), raw(C.DW_AT_ranges));
  }

  /**
   * DW_AT_data_member_location as a byte offset: a constant, or the one-operation
   * expressions compilers emit for it (DW_OP_plus_uconst N, DW_OP_constu N).
   */
  memberOffset(): number | undefined {
    const a = this.attr(C.DW_AT_data_member_location);
    if (!a) return this.number(C.DW_AT_data_bit_offset) !== undefined ? Math.floor(this.number(C.DW_AT_data_bit_offset)! / 8) : undefined;
    const cls = formClass(a.form);
    if (cls === 'constant' || cls === 'signed') return a.value;
    const b = this.block(C.DW_AT_data_member_location);
    if (!b || b.length < 2 || (b[0] !== C.DW_OP_plus_uconst && b[0] !== C.DW_OP_constu)) return undefined;
    const r = this.unit.reader(a.value + 1);
    r.end = a.value + a.length - this.unit.header.offset;
    const v = r.uleb();
    return r.pos === r.end ? v : undefined;
  }
}

function cycle(from: Die, at: number): DwarfError {
  return new DwarfError(`DIE 0x${from.offset.toString(16)}: DW_AT_abstract_origin/DW_AT_specification chain loops (or runs past ${MAX_REFERENCE_CHAIN} links) at 0x${at.toString(16)}`, {
    section: from.unit.header.section,
    offset: from.offset,
    unit: from.unit.offset,
  });
}

/** Decode the DIE the cursor is on (all attributes), leaving the cursor after them. */
export function dieFromCursor(c: DieCursor): Die {
  const a = c.abbrev!;
  const h = c.unit.header;
  const r = c.r;
  const attrs: Attr[] = [];
  c.takeAttributes();
  for (let i = 0; i < a.names.length; i++) {
    const start = r.offset;
    const value = formNumber(r, a.forms[i], h, a.implicit[i]);
    const form = formOf(a.forms[i]);
    const cls = formClass(form);
    const length = cls === 'block' ? r.offset - value : form === C.DW_FORM_string ? r.offset - value - 1 : r.offset - start;
    attrs.push({ name: a.names[i], form, value, length });
  }
  return new Die(c.unit, c.offset, a.tag, a.hasChildren, attrs, r.offset);
}

/** The DIE at `offset`, which must lie in `unit`. */
export function readDieAt(unit: Unit, offset: number): Die {
  const c = new DieCursor(unit, offset, 1);
  if (!c.next() || c.offset !== offset) {
    throw new DwarfError(`no DIE at offset 0x${offset.toString(16)} (a null entry, or the end of the unit)`, {
      section: unit.header.section,
      offset,
      unit: unit.offset,
    });
  }
  return dieFromCursor(c);
}
