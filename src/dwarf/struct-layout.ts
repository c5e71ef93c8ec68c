import * as C from './dwarf-constants';
import { Die } from './die';
import { DieCursor } from './die-cursor';
import { dieFromCursor } from './die';
import type { DwarfFile } from './dwarf-file';

/** A structure's members as the debug info lays them out (what a core reader needs of runtime.g, m, gobuf). */
export interface StructLayout {
  name: string;
  byteSize?: number;
  /** .debug_info offset of the defining DIE. */
  offset: number;
  members: MemberLayout[];
}

export interface MemberLayout {
  name?: string;
  /** Byte offset in the structure (DW_AT_data_member_location), when it is a constant. */
  offset?: number;
  typeName?: string;
  /** Size of the member's type, following typedefs and qualifiers. */
  byteSize?: number;
  /** .debug_info offset of the member's type DIE. */
  typeOffset?: number;
}

const STRUCT_TAGS = new Set([C.DW_TAG_structure_type, C.DW_TAG_class_type, C.DW_TAG_union_type]);
const TRANSPARENT = new Set([C.DW_TAG_typedef, C.DW_TAG_const_type, C.DW_TAG_volatile_type]);

/**
 * Find a structure (struct, class or union) by its DW_AT_name (Go: `runtime.g`) and
 * lay out its members. Declarations are skipped; the first definition wins. Walks the
 * units in order, reading only tags and names until the one it wants.
 */
export function structLayout(dwarf: DwarfFile, name: string): StructLayout | undefined {
  for (const unit of dwarf.units()) {
    const c = new DieCursor(unit);
    while (c.next()) {
      if (!STRUCT_TAGS.has(c.abbrev!.tag)) continue;
      const die = dieFromCursor(c);
      if (die.string(C.DW_AT_name) !== name || die.number(C.DW_AT_declaration)) continue;
      return layoutOf(die);
    }
  }
  return undefined;
}

export function layoutOf(die: Die): StructLayout {
  const members = die
    .children()
    .filter((m) => m.tag === C.DW_TAG_member || m.tag === C.DW_TAG_inheritance)
    .map((m): MemberLayout => {
      const type = m.ref(C.DW_AT_type);
      return { name: m.string(C.DW_AT_name), offset: m.memberOffset(), typeName: type && typeName(type), byteSize: type && byteSize(type), typeOffset: type?.offset };
    });
  return { name: die.string(C.DW_AT_name) ?? '', byteSize: die.number(C.DW_AT_byte_size), offset: die.offset, members };
}

/** A type's name as the producer wrote it (Go names pointers `*runtime.g` itself); C pointers get a `*`. */
export function typeName(type: Die, depth = 0): string | undefined {
  const own = type.string(C.DW_AT_name);
  if (own !== undefined || depth > 8) return own;
  const inner = type.ref(C.DW_AT_type);
  if (type.tag === C.DW_TAG_pointer_type) return `${inner ? typeName(inner, depth + 1) ?? 'void' : 'void'} *`;
  return inner ? typeName(inner, depth + 1) : undefined;
}

export function byteSize(type: Die, depth = 0): number | undefined {
  const own = type.number(C.DW_AT_byte_size);
  if (own === undefined && type.tag === C.DW_TAG_pointer_type) return type.unit.header.addrSize; // Go writes pointers without a size
  if (own !== undefined || depth > 8 || !TRANSPARENT.has(type.tag)) return own;
  const inner = type.ref(C.DW_AT_type);
  return inner ? byteSize(inner, depth + 1) : undefined;
}
