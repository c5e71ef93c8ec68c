import { ProgramHeader } from '../elf/elf-types';

/**
 * Frames some producers print already relative to the module, so no maps are needed
 * (and they must not be rebased a second time):
 *   load-base  hs_err `C [lib.so+0x1139]`: pc - dladdr()'s dli_fbase, which is glibc's
 *              l_map_start, where the first PT_LOAD's page is mapped. So the ELF vaddr
 *              is offset + alignDown(first p_vaddr, page) (0 for most libraries; not
 *              for one linked with -Ttext-segment, see the elf-cases fixture).
 *   elf-vaddr  Android tombstone `#01 pc 000000000001a2b4 /lib/libfoo.so`: libunwindstack
 *              prints the ELF-relative pc (pc - map start + elf offset + load bias).
 */
export type RelativeTo = 'load-base' | 'elf-vaddr';

export type ModuleRelative =
  | { ok: true; elfVaddr: bigint; fileOffset: bigint; segment: ProgramHeader }
  | { ok: false; elfVaddr: bigint; reason: string };

export function normalizeModuleRelative(
  offset: bigint,
  relativeTo: RelativeTo,
  loads: ProgramHeader[],
  pageSize = 4096n,
): ModuleRelative {
  if (loads.length === 0) return { ok: false, elfVaddr: offset, reason: 'the module has no PT_LOAD segments' };
  const firstVaddr = loads.reduce((min, s) => (s.vaddr < min ? s.vaddr : min), loads[0].vaddr);
  const elfVaddr = relativeTo === 'load-base' ? offset + (firstVaddr - (firstVaddr % pageSize)) : offset;
  const segment = loads.find((s) => s.vaddr <= elfVaddr && elfVaddr < s.vaddr + s.memsz);
  if (!segment) {
    return {
      ok: false,
      elfVaddr,
      reason: `module offset 0x${offset.toString(16)} (ELF vaddr 0x${elfVaddr.toString(16)}) is in no PT_LOAD segment of the module (wrong build of the file?)`,
    };
  }
  return { ok: true, elfVaddr, fileOffset: elfVaddr - segment.vaddr + segment.offset, segment };
}
