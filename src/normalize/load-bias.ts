import { Mapping } from '../model/mapping';
import { PF_X, ProgramHeader } from '../elf/elf-types';
import { alignDown } from './layout-fit';

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
