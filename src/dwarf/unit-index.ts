import { ByteReader, isBogusAddress } from './byte-reader';
import type { DwarfFile } from './dwarf-file';

/** One .debug_aranges set: the unit it describes and its [low, high) ranges. */
export interface ArangeSet {
  unitOffset: number;
  ranges: { low: number; high: number }[];
}

/**
 * .debug_aranges, read as LLVM 14's DWARFDebugAranges::extract reads it: sets until the
 * first one that is malformed (that one and the rest are left to the units' own
 * ranges). `error` says what stopped the reading, if anything.
 */
export function readAranges(dwarf: DwarfFile): { sets: ArangeSet[]; error?: string } {
  const sec = dwarf.section('debug_aranges');
  const sets: ArangeSet[] = [];
  if (!sec) return { sets };
  const buf = sec.bytes(0, sec.size);
  const r = new ByteReader(buf, dwarf.le, '.debug_aranges');
  try {
    while (r.pos < r.end) {
      const start = r.pos;
      let length = r.u32();
      let offsetSize = 4;
      if (length === 0xffffffff) {
        length = r.u64();
        offsetSize = 8;
      }
      const end = r.pos + length;
      if (end > r.end) r.fail(`address range table claims ${length} bytes, past the section`, start);
      const version = r.u16();
      const unitOffset = r.sized(offsetSize);
      const addrSize = r.u8();
      const segSize = r.u8();
      if (version !== 2) r.fail(`address range table version ${version} (only 2 exists)`, start);
      if (addrSize !== 4 && addrSize !== 8) r.fail(`address range table address size ${addrSize}`, start);
      if (segSize !== 0) r.fail('address range table with a segment selector', start);
      const tuple = addrSize * 2;
      const header = r.pos - start;
      r.seek(start + (header % tuple ? header + tuple - (header % tuple) : header));
      const ranges: ArangeSet['ranges'] = [];
      let terminated = false;
      while (r.pos + tuple <= end) {
        const low = r.sized(addrSize);
        const len = r.sized(addrSize);
        if (low === 0 && len === 0 && r.pos === end) {
          terminated = true;
          break;
        }
        if (!isBogusAddress(low) && !isBogusAddress(low + len)) ranges.push({ low, high: low + len });
      }
      if (!terminated) r.fail('address range table is not terminated by a null entry', start);
      sets.push({ unitOffset, ranges });
      r.seek(end);
    }
  } catch (err) {
    return { sets, error: (err as Error).message };
  }
  return { sets };
}

/**
 * address -> unit offset, built as LLVM's DWARFDebugAranges builds it: the aranges sets,
 * plus the unit DIE ranges of every unit no set described; where units overlap the
 * lowest unit offset wins, and a range keeps growing while its unit still covers it.
 */
export class UnitIndex {
  private readonly lows: number[] = [];
  private readonly highs: number[] = [];
  private readonly units: number[] = [];

  constructor(sets: ArangeSet[], unitRanges: Map<number, { low: number; high: number }[]>) {
    const described = new Set(sets.map((s) => s.unitOffset));
    const points: { addr: number; unit: number; start: boolean }[] = [];
    const add = (unit: number, low: number, high: number) => {
      if (low >= high) return;
      points.push({ addr: low, unit, start: true }, { addr: high, unit, start: false });
    };
    for (const s of sets) for (const r of s.ranges) add(s.unitOffset, r.low, r.high);
    for (const [unit, ranges] of unitRanges) if (!described.has(unit)) for (const r of ranges) add(unit, r.low, r.high);
    points.sort((a, b) => a.addr - b.addr);
    const valid: number[] = []; // sorted multiset of unit offsets
    let prev = -1;
    for (const p of points) {
      if (prev >= 0 && prev < p.addr && valid.length > 0) {
        const n = this.lows.length;
        if (n > 0 && this.highs[n - 1] === prev && valid.includes(this.units[n - 1])) this.highs[n - 1] = p.addr;
        else {
          this.lows.push(prev);
          this.highs.push(p.addr);
          this.units.push(valid[0]);
        }
      }
      if (p.start) {
        let i = 0;
        while (i < valid.length && valid[i] < p.unit) i++;
        valid.splice(i, 0, p.unit);
      } else {
        const i = valid.indexOf(p.unit);
        if (i >= 0) valid.splice(i, 1);
      }
      prev = p.addr;
    }
  }

  /** The unit offset covering `address`, or -1. */
  find(address: number): number {
    let lo = 0;
    let hi = this.lows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (address < this.lows[mid]) hi = mid - 1;
      else if (address >= this.highs[mid]) lo = mid + 1;
      else return this.units[mid];
    }
    return -1;
  }

  /** The index as [low, high, unit] runs, in address order. */
  *runs(): Generator<[number, number, number]> {
    for (let i = 0; i < this.lows.length; i++) yield [this.lows[i], this.highs[i], this.units[i]];
  }

  get size(): number {
    return this.lows.length;
  }
}
