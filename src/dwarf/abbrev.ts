import { ByteReader } from './byte-reader';
import { DW_FORM_implicit_const } from './dwarf-constants';
import { SectionData } from './dwarf-sections';
import { fixedFormSize } from './form';

/** One abbreviation declaration: a DIE's tag, whether it has children, its attributes' names and forms. */
export class Abbrev {
  /** Bytes all attributes take when every form is fixed-size for a unit's sizes, else -1 (computed once per sizes). */
  private fixedKey = -1;
  private fixed = -1;

  constructor(
    readonly code: number,
    readonly tag: number,
    readonly hasChildren: boolean,
    readonly names: number[],
    readonly forms: number[],
    /** DW_FORM_implicit_const values, by attribute index (0 elsewhere). */
    readonly implicit: number[],
  ) {}

  /** Size of the attributes when they are all fixed-size, else -1: lets a walker skip a DIE in one step. */
  fixedSize(addrSize: number, offsetSize: number, version: number): number {
    const key = addrSize * 1000 + offsetSize * 10 + version;
    if (key !== this.fixedKey) {
      let total = 0;
      for (const f of this.forms) {
        const n = fixedFormSize(f, addrSize, offsetSize, version);
        if (n < 0) {
          total = -1;
          break;
        }
        total += n;
      }
      this.fixed = total;
      this.fixedKey = key;
    }
    return this.fixed;
  }

  indexOf(name: number): number {
    return this.names.indexOf(name);
  }
}

/** The abbreviations of one table (one `.debug_abbrev` offset), by code. */
export class AbbrevTable {
  private readonly dense: (Abbrev | undefined)[] = [];
  private readonly sparse = new Map<number, Abbrev>();

  add(a: Abbrev): void {
    if (a.code < 4096) this.dense[a.code] = a;
    else this.sparse.set(a.code, a);
  }

  get(code: number): Abbrev | undefined {
    return code < 4096 ? this.dense[code] : this.sparse.get(code);
  }
}

const FIRST_WINDOW = 64 * 1024;

/**
 * Parse the table at `offset`. Tables carry no length, so parsing starts on a window of
 * the section and starts over on a larger one if the table runs past it.
 */
export function readAbbrevTable(section: SectionData, offset: number, le: boolean): AbbrevTable {
  for (let size = FIRST_WINDOW; ; size *= 4) {
    const buf = section.window(offset, size);
    const whole = offset + buf.length >= section.size;
    const r = new ByteReader(buf, le, '.debug_abbrev', offset);
    try {
      return parseTable(r);
    } catch (err) {
      if (whole || r.pos < buf.length - 64) throw err; // a real error, not the window's end
    }
  }
}

function parseTable(r: ByteReader): AbbrevTable {
  const table = new AbbrevTable();
  for (;;) {
    const code = r.uleb();
    if (code === 0) return table;
    const tag = r.uleb();
    const children = r.u8();
    const names: number[] = [];
    const forms: number[] = [];
    const implicit: number[] = [];
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      names.push(name);
      forms.push(form);
      implicit.push(form === DW_FORM_implicit_const ? r.sleb() : 0);
      if (names.length > 4096) r.fail(`abbreviation ${code} has more than 4096 attributes`);
    }
    if (table.get(code)) r.fail(`abbreviation code ${code} is declared twice`);
    table.add(new Abbrev(code, tag, children !== 0, names, forms, implicit));
  }
}
