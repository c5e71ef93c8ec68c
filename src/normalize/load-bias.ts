import { Mapping } from '../model/mapping';
import { PF_X, ProgramHeader } from '../elf/elf-types';

/**
 * Rebase an absolute PC to the module's ELF virtual address. The segment is chosen by
 * file offset, not by `pc - start`: with -z separate-code, PIE, or a nonzero first
 * p_vaddr, `pc - start` is wrong (design.md):
 *   fileOffset = pc - mapping.start + mapping.offset
 *   elfVaddr   = fileOffset - segment.p_offset + segment.p_vaddr
 */
export type Rebased =
  | { ok: true; fileOffset: bigint; elfVaddr: bigint; segment: ProgramHeader; loadBias: bigint }
  | { ok: false; fileOffset: bigint; reason: string };

const PAGE = 4096n;

export function rebase(pc: bigint, mapping: Mapping, loads: ProgramHeader[]): Rebased {
  const fileOffset = pc - mapping.start + mapping.offset;
  const exact = loads.find((s) => s.offset <= fileOffset && fileOffset < s.offset + s.filesz);
  // The page-aligned bytes before p_offset are mapped too; match those by alignment and permissions.
  const segment =
    exact ??
    loads.find(
      (s) =>
        alignDown(s.offset, s.align > 0n ? s.align : PAGE) <= fileOffset &&
        fileOffset < s.offset + s.memsz &&
        (mapping.perms[2] === 'x') === ((s.flags & PF_X) !== 0),
    );
  if (!segment) {
    return {
      ok: false,
      fileOffset,
      reason: `file offset 0x${fileOffset.toString(16)} is in no PT_LOAD segment of the module (wrong build of the file?)`,
    };
  }
  const elfVaddr = fileOffset - segment.offset + segment.vaddr;
  return { ok: true, fileOffset, elfVaddr, segment, loadBias: pc - elfVaddr };
}

/**
 * Does a stored file's PT_LOAD layout fit the process's mappings of that path? Each
 * mapping must begin inside a segment's page-aligned file range, with the segment's
 * execute bit. (RELRO splits a segment into several mappings; later pages of a
 * segment start at offsets past p_offset.) A file that does not fit is another build.
 */
export function layoutFits(mappings: Mapping[], loads: ProgramHeader[]): boolean {
  if (loads.length === 0) return false;
  return mappings.every((m) =>
    loads.some((s) => {
      const first = alignDown(s.offset, PAGE);
      const last = s.offset + s.filesz > first + PAGE ? s.offset + s.filesz : first + PAGE;
      return first <= m.offset && m.offset < last && (m.perms[2] === 'x') === ((s.flags & PF_X) !== 0);
    }),
  );
}

function alignDown(v: bigint, a: bigint): bigint {
  return v - (v % a);
}
