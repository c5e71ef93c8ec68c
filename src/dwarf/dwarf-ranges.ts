import { DwarfError } from '../model/errors';
import { ByteReader, isBogusAddress } from './byte-reader';
import * as C from './dwarf-constants';
import { formClass } from './form';
import type { RawAttr, Unit } from './unit';

/** [low, high): the code a DIE covers. */
export interface AddressRange {
  low: number;
  high: number;
}

const MAX_ENTRIES = 1 << 20;

/**
 * A DIE's address ranges as LLVM's DWARFDie::getAddressRanges reads them:
 * DW_AT_low_pc + DW_AT_high_pc (an address, or a length) when both are there, else
 * DW_AT_ranges (.debug_ranges for DWARF 2-4, .debug_rnglists for 5, by offset or
 * DW_FORM_rnglistx index). Tombstoned entries (discarded code, max or max-1) and
 * values that are no address at all are left out.
 */
export function addressRanges(unit: Unit, low?: RawAttr, high?: RawAttr, ranges?: RawAttr): AddressRange[] {
  if (low && high) {
    const size = unit.header.addrSize;
    const lo = unit.address(low.form, low.value);
    if (lo !== undefined && !isBogusAddress(lo) && (size === 8 || lo !== 2 ** (size * 8) - 1)) {
      const cls = formClass(high.form);
      const hi = cls === 'address' || cls === 'addrx' ? unit.address(high.form, high.value) : cls === 'constant' || cls === 'signed' ? lo + high.value : undefined;
      if (hi !== undefined) return isBogusAddress(hi) ? [] : [{ low: lo, high: hi }];
    }
  }
  if (!ranges) return [];
  const cls = formClass(ranges.form);
  if (unit.header.version <= 4) {
    if (cls !== 'offset' && cls !== 'constant') return [];
    return rangeList(unit, ranges.value);
  }
  if (ranges.form === C.DW_FORM_rnglistx) return rnglist(unit, rnglistOffset(unit, ranges.value));
  if (cls !== 'offset' && cls !== 'constant') return [];
  return rnglist(unit, ranges.value);
}

/** An address of all ones (the largest for its size): a base-selection marker, or the DWARF 5 tombstone. */
function allOnes(r: ByteReader, at: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (r.buf[at + i] !== 0xff) return false;
  return true;
}

/** Discarded code (LLVM's tombstones: max, or max - 1 in .debug_ranges), or a value that is no address. */
function isTombstone(v: number, size: number): boolean {
  return size === 8 ? isBogusAddress(v) : v >= 2 ** (size * 8) - 2;
}

/**
 * Parse a list that has no length prefix: on a window of the section first, again on
 * the whole remainder if it runs past the window.
 */
function inWindow<T>(unit: Unit, name: 'debug_ranges' | 'debug_rnglists', offset: number, parse: (r: ByteReader) => T): T {
  const sec = unit.dwarf.required(name, `unit 0x${unit.offset.toString(16)} has DW_AT_ranges`);
  if (offset < 0 || offset >= sec.size) {
    throw new DwarfError(`range list offset 0x${offset.toString(16)} lies outside .${name} (${sec.size} bytes)`, {
      section: `.${name}`,
      offset,
      unit: unit.offset,
    });
  }
  const first = sec.window(offset, 4096);
  try {
    return parse(reader(unit, first, `.${name}`, offset));
  } catch (err) {
    if (offset + first.length >= sec.size || !(err instanceof DwarfError) || !/needed|runs past/.test(err.message)) throw err;
  }
  return parse(reader(unit, sec.window(offset, sec.size - offset), `.${name}`, offset));
}

/** DWARF 2-4 .debug_ranges: address pairs; (0, 0) ends the list, (max, a) sets the base. */
function rangeList(unit: Unit, offset: number): AddressRange[] {
  return inWindow(unit, 'debug_ranges', offset, (r) => {
    const size = unit.header.addrSize;
    let base = unit.baseAddress;
    const out: AddressRange[] = [];
    for (let n = 0; n < MAX_ENTRIES; n++) {
      const at = r.pos;
      const a = r.sized(size);
      const b = r.sized(size);
      if (a === 0 && b === 0) return out;
      if (allOnes(r, at, size)) {
        base = b; // base address selection
        continue;
      }
      if (isTombstone(a, size) || (base !== undefined && isTombstone(base, size))) continue;
      const lo = a + (base ?? 0);
      const hi = b + (base ?? 0);
      if (!isBogusAddress(lo) && !isBogusAddress(hi)) out.push({ low: lo, high: hi });
    }
    return r.fail(`range list at 0x${offset.toString(16)} has more than ${MAX_ENTRIES} entries`);
  });
}

/** DW_FORM_rnglistx: the offsets table right after DW_AT_rnglists_base holds offsets relative to that base. */
function rnglistOffset(unit: Unit, index: number): number {
  const sec = unit.dwarf.required('debug_rnglists', 'DW_FORM_rnglistx');
  const size = unit.header.offsetSize;
  const at = unit.rnglistsBase + index * size;
  return unit.rnglistsBase + reader(unit, sec.bytes(at, size), '.debug_rnglists', at).sized(size);
}

/** DWARF 5 .debug_rnglists entries (DW_RLE_*), as LLVM's DWARFDebugRnglist::getAbsoluteRanges applies them. */
function rnglist(unit: Unit, offset: number): AddressRange[] {
  return inWindow(unit, 'debug_rnglists', offset, (r) => rnglistIn(unit, r));
}

function rnglistIn(unit: Unit, r: ByteReader): AddressRange[] {
  const size = unit.header.addrSize;
  const isTomb = (v: number) => (size === 8 ? isBogusAddress(v) : v === 2 ** (size * 8) - 1);
  const addrx = (i: number) => unit.dwarf.addrx(unit, i);
  let base = unit.baseAddress;
  const out: AddressRange[] = [];
  const push = (lo: number, hi: number) => {
    if (!isTomb(lo) && !isBogusAddress(hi)) out.push({ low: lo, high: hi });
  };
  for (let n = 0; n < MAX_ENTRIES; n++) {
    const kind = r.u8();
    switch (kind) {
      case C.DW_RLE_end_of_list:
        return out;
      case C.DW_RLE_base_addressx:
        base = addrx(r.uleb());
        break;
      case C.DW_RLE_base_address:
        base = r.sized(size);
        break;
      case C.DW_RLE_offset_pair: {
        const a = r.uleb();
        const b = r.uleb();
        if (base !== undefined && isTomb(base)) break;
        push(a + (base ?? 0), b + (base ?? 0));
        break;
      }
      case C.DW_RLE_start_end: {
        const a = r.sized(size);
        push(a, r.sized(size));
        break;
      }
      case C.DW_RLE_start_length: {
        const a = r.sized(size);
        push(a, a + r.uleb());
        break;
      }
      case C.DW_RLE_startx_length: {
        const a = addrx(r.uleb());
        push(a, a + r.uleb());
        break;
      }
      case C.DW_RLE_startx_endx: {
        const a = addrx(r.uleb());
        push(a, addrx(r.uleb()));
        break;
      }
      default:
        r.fail(`unknown range list entry kind 0x${kind.toString(16)}`, r.pos - 1);
    }
  }
  return r.fail(`range list has more than ${MAX_ENTRIES} entries`);
}

function reader(unit: Unit, buf: Buffer, section: string, base: number): ByteReader {
  return new ByteReader(buf, unit.le, section, base, 0, buf.length, unit.offset);
}
