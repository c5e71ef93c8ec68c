import { SyncRangeSource } from '../adapters/range-source.adapter';
import { ElfInfo } from '../elf/elf-types';
import { DwarfError } from '../model/errors';
import { AbbrevTable, readAbbrevTable } from './abbrev';
import { ByteReader } from './byte-reader';
import { DwarfSections, SectionData } from './dwarf-sections';
import { Die, readDieAt } from './die';
import { MAX_HEADER_BYTES, parseUnitHeader, UnitHeader } from './unit-header';
import { Unit } from './unit';

export interface DwarfOptions {
  /** Largest size a compressed section may inflate to (a lying header is refused before the allocation). */
  maxInflatedBytes?: number;
}

const UNIT_CACHE = 16;
const ABBREV_CACHE = 256;
const STRING_CACHE = 200_000;

/**
 * Our DWARF reader (DWARF 2-5), lazy as gimli's: a unit's bytes are read when it is
 * asked for, an abbreviation table when a unit uses it, a string when an attribute
 * names it. General purpose: units, DIEs and their attributes, types and members, not
 * only code (the symcache builder is one user, core files' struct layouts another).
 * Every offset is bounds-checked; a bad one is a DwarfError naming section, offset and
 * unit, so a caller can treat that unit as unreadable and go on.
 */
export class DwarfFile {
  private readonly abbrevs = new Map<number, AbbrevTable>();
  private readonly unitCache = new Map<number, Unit>();
  private readonly strCache = new Map<number, string>();
  private readonly lineStrCache = new Map<number, string>();
  private headerList?: UnitHeader[];

  constructor(readonly sections: DwarfSections) {}

  static open(info: ElfInfo, src: SyncRangeSource, opts: DwarfOptions = {}): DwarfFile {
    return new DwarfFile(DwarfSections.of(info, src, opts.maxInflatedBytes));
  }

  get le(): boolean {
    return this.sections.littleEndian;
  }

  get hasInfo(): boolean {
    return this.sections.has('debug_info');
  }

  section(name: Parameters<DwarfSections['get']>[0]): SectionData | undefined {
    return this.sections.get(name);
  }

  required(name: Parameters<DwarfSections['get']>[0], why: string): SectionData {
    const s = this.sections.get(name);
    if (!s) throw new DwarfError(`${why}, but the file has no .${name}`, { section: `.${name}`, offset: 0 });
    return s;
  }

  abbrevTable(offset: number): AbbrevTable {
    let t = this.abbrevs.get(offset);
    if (!t) {
      const sec = this.required('debug_abbrev', 'a unit needs abbreviations');
      if (offset < 0 || offset >= sec.size) {
        throw new DwarfError(`abbreviation offset 0x${offset.toString(16)} lies outside .debug_abbrev (${sec.size} bytes)`, {
          section: '.debug_abbrev',
          offset,
        });
      }
      t = readAbbrevTable(sec, offset, this.le);
      this.abbrevs.set(offset, t);
      if (this.abbrevs.size > ABBREV_CACHE) this.abbrevs.delete(this.abbrevs.keys().next().value as number);
    }
    return t;
  }

  /** The header of the unit at `offset` of .debug_info (or .debug_types). */
  headerAt(offset: number, section: UnitHeader['section'] = '.debug_info'): UnitHeader {
    const sec = this.required(section === '.debug_info' ? 'debug_info' : 'debug_types', 'reading a unit');
    const w = sec.window(offset, MAX_HEADER_BYTES);
    return parseUnitHeader(new ByteReader(w, this.le, section, offset), sec.size, section);
  }

  /** Every unit header of .debug_info, in order (read once; a bad header ends the list with an error). */
  headers(): UnitHeader[] {
    if (!this.headerList) {
      const sec = this.sections.get('debug_info');
      const list: UnitHeader[] = [];
      for (let o = 0; sec && o < sec.size; ) {
        const h = this.headerAt(o);
        list.push(h);
        o = h.end;
      }
      this.headerList = list;
    }
    return this.headerList;
  }

  /** The unit whose header is at `offset`. */
  unitAt(offset: number, section: UnitHeader['section'] = '.debug_info'): Unit {
    const key = section === '.debug_info' ? offset : -1 - offset;
    const hit = this.unitCache.get(key);
    if (hit) return hit;
    const h = this.headerAt(offset, section);
    const sec = this.sections.get(section === '.debug_info' ? 'debug_info' : 'debug_types')!;
    const unit = new Unit(this, h, sec.bytes(h.offset, h.end - h.offset));
    this.unitCache.set(key, unit);
    if (this.unitCache.size > UNIT_CACHE) this.unitCache.delete(this.unitCache.keys().next().value as number);
    return unit;
  }

  /** A unit made from bytes already in hand (a streamed pass); not cached. */
  unitFrom(header: UnitHeader, bytes: Buffer): Unit {
    return new Unit(this, header, bytes);
  }

  *units(): Generator<Unit> {
    for (const h of this.headers()) yield this.unitAt(h.offset);
  }

  /** The .debug_info unit holding section offset `offset` (a DW_FORM_ref_addr target). */
  unitContaining(offset: number): Unit | undefined {
    const hs = this.headers();
    let lo = 0;
    let hi = hs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offset < hs[mid].offset) hi = mid - 1;
      else if (offset >= hs[mid].end) lo = mid + 1;
      else return this.unitAt(hs[mid].offset);
    }
    return undefined;
  }

  /** The DIE at a .debug_info section offset, in whichever unit holds it. */
  dieAt(offset: number, near?: Unit): Die {
    const unit = near?.contains(offset) ? near : this.unitContaining(offset);
    if (!unit || !unit.contains(offset)) {
      throw new DwarfError(`no unit holds DIE offset 0x${offset.toString(16)}`, { section: '.debug_info', offset, unit: near?.offset });
    }
    return readDieAt(unit, offset);
  }

  /**
   * All units of .debug_info in one sequential pass, each read once and let go: ranges
   * of the file, or a streaming inflate when the section is compressed, so a 250 MB
   * section is never held whole. A unit that cannot be parsed ends the stream with a
   * DwarfError (the stream cannot know where the next unit starts).
   */
  async *streamUnits(): AsyncGenerator<Unit> {
    if (!this.sections.has('debug_info')) return;
    const size = this.sections.size('debug_info');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let base = 0; // section offset of pending[0][0]
    const take = (n: number): Buffer => {
      const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      const out = all.subarray(0, n);
      const rest = all.subarray(n);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      base += n;
      return out;
    };
    const peek = (n: number): Buffer => {
      if (pending.length > 1 && pending[0].length < n) {
        const all = Buffer.concat(pending, pendingBytes);
        pending = [all];
      }
      return pending[0].subarray(0, n);
    };
    const tryUnit = (final: boolean): Unit | undefined => {
      if (pendingBytes === 0) return undefined;
      if (pendingBytes < MAX_HEADER_BYTES && !final) return undefined;
      const head = peek(Math.min(MAX_HEADER_BYTES, pendingBytes));
      const h = parseUnitHeader(new ByteReader(head, this.le, '.debug_info', base), final ? base + pendingBytes : size, '.debug_info');
      const len = h.end - h.offset;
      if (pendingBytes < len) return undefined;
      return new Unit(this, h, Buffer.from(take(len)));
    };
    for await (const chunk of this.sections.stream('debug_info')) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      for (let u = tryUnit(false); u; u = tryUnit(false)) yield u;
    }
    for (let u = tryUnit(true); u; u = tryUnit(true)) yield u;
    if (pendingBytes > 0) {
      throw new DwarfError(`.debug_info ends inside a unit (${pendingBytes} bytes left over)`, { section: '.debug_info', offset: base });
    }
  }

  str(offset: number, unit?: number): string {
    return this.cstring(this.strCache, 'debug_str', offset, unit);
  }

  lineStr(offset: number, unit?: number): string {
    return this.cstring(this.lineStrCache, 'debug_line_str', offset, unit);
  }

  /** The .debug_str offset at index `index` of a unit's string offsets table. */
  strOffset(unit: Unit, index: number): number {
    const sec = this.required('debug_str_offsets', 'a unit uses DW_FORM_strx');
    const base = unit.strOffsetsBase ?? (unit.header.version >= 5 ? 8 : 0);
    const size = unit.header.offsetSize;
    const at = base + index * size;
    const b = sec.bytes(at, size);
    return new ByteReader(b, this.le, '.debug_str_offsets', at, 0, size, unit.offset).sized(size);
  }

  /** The address at index `index` of a unit's .debug_addr table. */
  addrx(unit: Unit, index: number): number {
    const sec = this.required('debug_addr', 'a unit uses an address index');
    if (unit.addrBase === undefined) {
      throw new DwarfError(`unit 0x${unit.offset.toString(16)} uses an address index but has no DW_AT_addr_base`, {
        section: unit.header.section,
        offset: unit.offset,
        unit: unit.offset,
      });
    }
    const size = unit.header.addrSize;
    const at = unit.addrBase + index * size;
    const b = sec.bytes(at, size);
    return new ByteReader(b, this.le, '.debug_addr', at, 0, size, unit.offset).sized(size);
  }

  private cstring(cache: Map<number, string>, name: 'debug_str' | 'debug_line_str', offset: number, unit?: number): string {
    const hit = cache.get(offset);
    if (hit !== undefined) return hit;
    const sec = this.sections.get(name);
    if (!sec || offset < 0 || offset >= sec.size) {
      throw new DwarfError(`string offset 0x${offset.toString(16)} lies outside .${name} (${sec?.size ?? 0} bytes)`, { section: `.${name}`, offset, unit });
    }
    for (let n = 256; ; n *= 8) {
      const w = sec.window(offset, n);
      const end = w.indexOf(0);
      if (end >= 0) {
        const s = w.toString('utf8', 0, end);
        if (cache.size >= STRING_CACHE) cache.clear();
        cache.set(offset, s);
        return s;
      }
      if (offset + w.length >= sec.size) {
        throw new DwarfError(`string at 0x${offset.toString(16)} of .${name} has no terminating NUL`, { section: `.${name}`, offset, unit });
      }
    }
  }
}
