import { Abbrev } from './abbrev';
import { ByteReader } from './byte-reader';
import { DW_FORM_indirect } from './dwarf-constants';
import { formNumber, formOf, skipForm } from './form';
import type { Unit } from './unit';

/** Attribute names up to here can be picked by a slot table (covers DWARF 5 and the GNU range 0x2101..). */
export const MAX_SLOT_NAME = 0x2200;

/**
 * Attributes a walker wants from DIEs, by slot: `slotOf[name]` is the slot (or -1),
 * and reading a DIE fills `forms[slot]` (0 when absent) and `values[slot]`. Reused
 * for every DIE, so a walk over a unit allocates nothing per DIE.
 */
export class AttrSlots {
  readonly slotOf = new Int16Array(MAX_SLOT_NAME).fill(-1);
  readonly forms: Int32Array;
  readonly values: Float64Array;

  constructor(names: readonly number[]) {
    names.forEach((n, i) => (this.slotOf[n] = i));
    this.forms = new Int32Array(names.length);
    this.values = new Float64Array(names.length);
  }
}

/**
 * Walks a unit's DIEs in preorder (the order they are stored). `next()` moves to the
 * next DIE, skipping the attributes of the current one unless they were read, and
 * keeps `depth` (0 for the unit DIE). Null entries end a list of children; the walk
 * ends with the unit DIE's children (padding after them is ignored, as LLVM does).
 */
export class DieCursor {
  readonly r: ByteReader;
  /** Section offset of the current DIE. */
  offset = -1;
  abbrev: Abbrev | undefined;
  depth = -1;
  private nextDepth: number;
  private attrsPending = false;
  private started = false;

  constructor(
    readonly unit: Unit,
    start = unit.header.dieOffset,
    /** Depth of the DIE at `start` (a cursor can start inside a unit, for one DIE's children). */
    startDepth = 0,
  ) {
    this.r = unit.reader(start);
    this.nextDepth = startDepth;
  }

  next(): boolean {
    const r = this.r;
    if (this.attrsPending) this.skipAttributes();
    for (;;) {
      if (this.started && this.nextDepth <= 0) return false;
      if (r.pos >= r.end) return false;
      const at = r.offset;
      const code = r.uleb();
      if (code === 0) {
        this.nextDepth--;
        if (!this.started) return false;
        continue;
      }
      const abbrev = this.unit.abbrevs.get(code);
      if (!abbrev) return r.fail(`DIE at 0x${at.toString(16)} uses abbreviation code ${code}, which its table lacks`);
      this.started = true;
      this.offset = at;
      this.abbrev = abbrev;
      this.depth = this.nextDepth;
      this.nextDepth = abbrev.hasChildren ? this.depth + 1 : this.depth;
      this.attrsPending = true;
      return true;
    }
  }

  skipAttributes(): void {
    if (!this.attrsPending) return;
    this.attrsPending = false;
    const a = this.abbrev!;
    const h = this.unit.header;
    const fixed = a.fixedSize(h.addrSize, h.offsetSize, h.version);
    if (fixed >= 0) {
      this.r.skip(fixed);
      return;
    }
    const forms = a.forms;
    for (let i = 0; i < forms.length; i++) skipForm(this.r, forms[i], h);
  }

  /** Read the current DIE's attributes into `slots`; the others are skipped. */
  readInto(slots: AttrSlots): void {
    if (!this.attrsPending) throw new Error('attributes already consumed');
    this.attrsPending = false;
    const a = this.abbrev!;
    const h = this.unit.header;
    slots.forms.fill(0);
    const { slotOf, forms, values } = slots;
    const names = a.names;
    const f = a.forms;
    const r = this.r;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const slot = name < MAX_SLOT_NAME ? slotOf[name] : -1;
      if (slot < 0) {
        skipForm(r, f[i], h);
        continue;
      }
      const form = f[i];
      values[slot] = formNumber(r, form, h, a.implicit[i]);
      forms[slot] = form === DW_FORM_indirect ? formOf(form) : form;
    }
  }

  /** The caller reads the attributes itself, from `r` (die.ts decodes them all). */
  takeAttributes(): void {
    if (!this.attrsPending) throw new Error('attributes already consumed');
    this.attrsPending = false;
  }

  /** Section offset just past the current DIE's attributes (its first child, if any). */
  get afterAttributes(): number {
    if (this.attrsPending) this.skipAttributes();
    return this.r.offset;
  }
}
