import { ByteReader } from './byte-reader';
import * as C from './dwarf-constants';
import { FormSizes } from './form';

/** A unit header (DWARF 2-5; `.debug_info` and DWARF 4's `.debug_types`). */
export interface UnitHeader extends FormSizes {
  section: '.debug_info' | '.debug_types';
  /** Section offset past the unit: where the next one starts. */
  end: number;
  unitType: number;
  abbrevOffset: number;
  /** Section offset of the first DIE (the unit DIE). */
  dieOffset: number;
  typeSignature?: bigint;
  /** Section offset of the type DIE of a type unit. */
  typeOffset?: number;
  dwoId?: bigint;
}

/** The longest initial length + header a reader must have in hand to parse any header. */
export const MAX_HEADER_BYTES = 12 + 2 + 1 + 1 + 8 + 8 + 8;

/**
 * Parse the header at the cursor (the cursor's base makes offsets section offsets).
 * `sectionSize` bounds the unit: a length past it is an error, not a read.
 */
export function parseUnitHeader(r: ByteReader, sectionSize: number, section: UnitHeader['section']): UnitHeader {
  const offset = r.offset;
  let length = r.u32();
  let offsetSize = 4;
  if (length === 0xffffffff) {
    length = r.u64();
    offsetSize = 8;
  } else if (length >= 0xfffffff0) {
    r.fail(`unit at 0x${offset.toString(16)} has a reserved initial length 0x${length.toString(16)}`);
  }
  const start = r.offset;
  const end = start + length;
  if (!Number.isSafeInteger(end) || end > sectionSize) {
    r.fail(`unit at 0x${offset.toString(16)} claims ${length} bytes, past the end of the section (${sectionSize} bytes)`);
  }
  const version = r.u16();
  if (version < 2 || version > 5) r.fail(`unit at 0x${offset.toString(16)} has unsupported DWARF version ${version}`);
  let unitType: number = section === '.debug_types' ? C.DW_UT_type : C.DW_UT_compile;
  let addrSize: number;
  let abbrevOffset: number;
  const h: Partial<UnitHeader> = {};
  if (version >= 5) {
    unitType = r.u8();
    addrSize = r.u8();
    abbrevOffset = r.sized(offsetSize);
    if (unitType === C.DW_UT_skeleton || unitType === C.DW_UT_split_compile) h.dwoId = r.u64big();
    else if (unitType === C.DW_UT_type || unitType === C.DW_UT_split_type) {
      h.typeSignature = r.u64big();
      h.typeOffset = offset + r.sized(offsetSize);
    } else if (unitType !== C.DW_UT_compile && unitType !== C.DW_UT_partial) {
      r.fail(`unit at 0x${offset.toString(16)} has unknown unit type ${unitType}`);
    }
  } else {
    abbrevOffset = r.sized(offsetSize);
    addrSize = r.u8();
    if (section === '.debug_types') {
      h.typeSignature = r.u64big();
      h.typeOffset = offset + r.sized(offsetSize);
    }
  }
  if (addrSize !== 1 && addrSize !== 2 && addrSize !== 4 && addrSize !== 8) {
    r.fail(`unit at 0x${offset.toString(16)} has address size ${addrSize}`);
  }
  const dieOffset = r.offset;
  if (dieOffset > end) r.fail(`unit at 0x${offset.toString(16)} is shorter than its own header`);
  return { ...h, section, offset, end, version, unitType, addrSize, offsetSize, abbrevOffset, dieOffset };
}
