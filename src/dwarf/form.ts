import { ByteReader } from './byte-reader';
import * as C from './dwarf-constants';

/**
 * Attribute forms (DWARF 2-5 and the GNU ones): their sizes, skipping them, and their
 * values. A value is one number wherever it can be (addresses, constants, offsets,
 * indices, references made absolute), so walking a unit allocates nothing; blocks and
 * inline strings are (section offset, length) into the unit's bytes.
 */

/** The sizes a unit's header fixes for its forms. */
export interface FormSizes {
  addrSize: number;
  offsetSize: number;
  version: number;
  /** Section offset of the unit (unit-relative references are made absolute with it). */
  offset: number;
}

/** Bytes a form takes when that is fixed, else -1. */
export function fixedFormSize(form: number, addrSize: number, offsetSize: number, version: number): number {
  switch (form) {
    case C.DW_FORM_flag_present:
    case C.DW_FORM_implicit_const:
      return 0;
    case C.DW_FORM_data1:
    case C.DW_FORM_ref1:
    case C.DW_FORM_flag:
    case C.DW_FORM_strx1:
    case C.DW_FORM_addrx1:
      return 1;
    case C.DW_FORM_data2:
    case C.DW_FORM_ref2:
    case C.DW_FORM_strx2:
    case C.DW_FORM_addrx2:
      return 2;
    case C.DW_FORM_strx3:
    case C.DW_FORM_addrx3:
      return 3;
    case C.DW_FORM_data4:
    case C.DW_FORM_ref4:
    case C.DW_FORM_strx4:
    case C.DW_FORM_addrx4:
    case C.DW_FORM_ref_sup4:
      return 4;
    case C.DW_FORM_data8:
    case C.DW_FORM_ref8:
    case C.DW_FORM_ref_sig8:
    case C.DW_FORM_ref_sup8:
      return 8;
    case C.DW_FORM_data16:
      return 16;
    case C.DW_FORM_addr:
      return addrSize;
    case C.DW_FORM_ref_addr:
      return version <= 2 ? addrSize : offsetSize;
    case C.DW_FORM_strp:
    case C.DW_FORM_line_strp:
    case C.DW_FORM_sec_offset:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
    case C.DW_FORM_GNU_ref_alt:
      return offsetSize;
    default:
      return -1;
  }
}

export function skipForm(r: ByteReader, form: number, u: FormSizes): void {
  const n = fixedFormSize(form, u.addrSize, u.offsetSize, u.version);
  if (n >= 0) {
    r.skip(n);
    return;
  }
  switch (form) {
    case C.DW_FORM_string:
      r.cstrEnd();
      return;
    case C.DW_FORM_block1:
      r.skip(r.u8());
      return;
    case C.DW_FORM_block2:
      r.skip(r.u16());
      return;
    case C.DW_FORM_block4:
      r.skip(r.u32());
      return;
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      r.skip(r.uleb());
      return;
    case C.DW_FORM_sdata:
    case C.DW_FORM_udata:
    case C.DW_FORM_ref_udata:
    case C.DW_FORM_strx:
    case C.DW_FORM_addrx:
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
    case C.DW_FORM_GNU_addr_index:
    case C.DW_FORM_GNU_str_index:
      r.skipLeb();
      return;
    case C.DW_FORM_indirect:
      skipForm(r, indirectForm(r), u);
      return;
    default:
      r.fail(`unknown attribute form 0x${form.toString(16)}`);
  }
}

function indirectForm(r: ByteReader): number {
  const form = r.uleb();
  if (form === C.DW_FORM_indirect) r.fail('DW_FORM_indirect names DW_FORM_indirect');
  return form;
}

/**
 * The form's value as one number (see the file comment); for blocks and inline strings
 * the section offset of their bytes. `implicit` is the abbreviation's constant.
 * DW_FORM_indirect yields the value of the form it names: read `formOf` for which.
 */
export function formNumber(r: ByteReader, form: number, u: FormSizes, implicit: number): number {
  switch (form) {
    case C.DW_FORM_addr:
      return r.sized(u.addrSize);
    case C.DW_FORM_data1:
    case C.DW_FORM_flag:
    case C.DW_FORM_strx1:
    case C.DW_FORM_addrx1:
      return r.u8();
    case C.DW_FORM_data2:
    case C.DW_FORM_strx2:
    case C.DW_FORM_addrx2:
      return r.u16();
    case C.DW_FORM_strx3:
    case C.DW_FORM_addrx3:
      return r.u24();
    case C.DW_FORM_data4:
    case C.DW_FORM_strx4:
    case C.DW_FORM_addrx4:
    case C.DW_FORM_ref_sup4:
      return r.u32();
    case C.DW_FORM_data8:
    case C.DW_FORM_ref_sup8:
      return r.u64();
    case C.DW_FORM_ref1:
      return u.offset + r.u8();
    case C.DW_FORM_ref2:
      return u.offset + r.u16();
    case C.DW_FORM_ref4:
      return u.offset + r.u32();
    case C.DW_FORM_ref8:
      return u.offset + r.u64();
    case C.DW_FORM_ref_udata:
      return u.offset + r.uleb();
    case C.DW_FORM_ref_addr:
      return r.sized(u.version <= 2 ? u.addrSize : u.offsetSize);
    case C.DW_FORM_strp:
    case C.DW_FORM_line_strp:
    case C.DW_FORM_sec_offset:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
    case C.DW_FORM_GNU_ref_alt:
      return r.sized(u.offsetSize);
    case C.DW_FORM_udata:
    case C.DW_FORM_strx:
    case C.DW_FORM_addrx:
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
    case C.DW_FORM_GNU_addr_index:
    case C.DW_FORM_GNU_str_index:
      return r.uleb();
    case C.DW_FORM_sdata:
      return r.sleb();
    case C.DW_FORM_flag_present:
      return 1;
    case C.DW_FORM_implicit_const:
      return implicit;
    case C.DW_FORM_string: {
      const at = r.offset;
      r.cstrEnd();
      return at;
    }
    case C.DW_FORM_data16: {
      const at = r.offset;
      r.skip(16);
      return at;
    }
    case C.DW_FORM_ref_sig8: {
      const at = r.offset;
      r.skip(8);
      return at;
    }
    case C.DW_FORM_block1:
    case C.DW_FORM_block2:
    case C.DW_FORM_block4:
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc: {
      const len = form === C.DW_FORM_block1 ? r.u8() : form === C.DW_FORM_block2 ? r.u16() : form === C.DW_FORM_block4 ? r.u32() : r.uleb();
      const at = r.offset;
      r.skip(len);
      return at;
    }
    case C.DW_FORM_indirect: {
      const actual = indirectForm(r);
      lastIndirect = actual;
      return formNumber(r, actual, u, implicit);
    }
    default:
      return r.fail(`unknown attribute form 0x${form.toString(16)}`);
  }
}

let lastIndirect = 0;

/** The form an attribute really has (DW_FORM_indirect names it in the data, just read by formNumber). */
export function formOf(form: number): number {
  return form === C.DW_FORM_indirect ? lastIndirect : form;
}

/** What kind of value a form holds. */
export type FormClass = 'address' | 'addrx' | 'constant' | 'signed' | 'flag' | 'string' | 'strx' | 'reference' | 'signature' | 'offset' | 'block' | 'index' | 'other';

export function formClass(form: number): FormClass {
  switch (form) {
    case C.DW_FORM_addr:
      return 'address';
    case C.DW_FORM_addrx:
    case C.DW_FORM_addrx1:
    case C.DW_FORM_addrx2:
    case C.DW_FORM_addrx3:
    case C.DW_FORM_addrx4:
    case C.DW_FORM_GNU_addr_index:
      return 'addrx';
    case C.DW_FORM_data1:
    case C.DW_FORM_data2:
    case C.DW_FORM_data4:
    case C.DW_FORM_data8:
    case C.DW_FORM_udata:
      return 'constant';
    case C.DW_FORM_sdata:
    case C.DW_FORM_implicit_const:
      return 'signed';
    case C.DW_FORM_flag:
    case C.DW_FORM_flag_present:
      return 'flag';
    case C.DW_FORM_string:
    case C.DW_FORM_strp:
    case C.DW_FORM_line_strp:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
      return 'string';
    case C.DW_FORM_strx:
    case C.DW_FORM_strx1:
    case C.DW_FORM_strx2:
    case C.DW_FORM_strx3:
    case C.DW_FORM_strx4:
    case C.DW_FORM_GNU_str_index:
      return 'strx';
    case C.DW_FORM_ref1:
    case C.DW_FORM_ref2:
    case C.DW_FORM_ref4:
    case C.DW_FORM_ref8:
    case C.DW_FORM_ref_udata:
    case C.DW_FORM_ref_addr:
      return 'reference';
    case C.DW_FORM_ref_sig8:
      return 'signature';
    case C.DW_FORM_sec_offset:
      return 'offset';
    case C.DW_FORM_block1:
    case C.DW_FORM_block2:
    case C.DW_FORM_block4:
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
    case C.DW_FORM_data16:
      return 'block';
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
      return 'index';
    default:
      return 'other';
  }
}
