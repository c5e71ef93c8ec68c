import { PF_X, ProgramHeader } from '../elf/elf-types';
import { Mapping } from '../model/mapping';

export type LayoutFit = { fits: true; loadBias: bigint } | { fits: false; why: string };

const PAGE = 4096n;

/**
 * Does a file's PT_LOAD layout fit a process's mappings of it? It fits when one load
 * bias B places every mapping inside a segment: same file-offset-to-address delta
 * (m.offset - (m.start - B) = p_offset - p_vaddr), the mapping's extent within the
 * segment's page-aligned memory range (sizes), and the segment's execute bit. RELRO
 * splits a segment into several mappings and the loader maps whole pages, so each
 * mapping is checked on its own against the one bias. Another build of the same
 * library usually moves a segment, so some mapping lands at the wrong delta or size.
 */
export function layoutFit(mappings: Mapping[], loads: ProgramHeader[]): LayoutFit {
  if (loads.length === 0) return { fits: false, why: 'the file has no PT_LOAD segments' };
  if (mappings.length === 0) return { fits: false, why: 'no mappings of the file to compare' };
  const candidates = new Set<bigint>();
  for (const m of mappings) for (const s of loads) if (sameExec(m, s)) candidates.add(m.start - (m.offset - s.offset + s.vaddr));
  for (const bias of candidates) {
    if (mappings.every((m) => loads.some((s) => placed(m, s, bias)))) return { fits: true, loadBias: bias };
  }
  const first = mappings[0];
  return {
    fits: false,
    why: `no single load bias places all ${mappings.length} mappings (first: ${first.perms} at file offset 0x${first.offset.toString(16)}) in the file's ${loads.length} PT_LOAD segments`,
  };
}

function placed(m: Mapping, s: ProgramHeader, bias: bigint): boolean {
  if (!sameExec(m, s)) return false;
  const rel = m.start - bias;
  if (m.offset - rel !== s.offset - s.vaddr) return false;
  const align = s.align > PAGE ? s.align : PAGE;
  return rel >= alignDown(s.vaddr, align) && m.end - bias <= alignUp(s.vaddr + s.memsz, align);
}

/** `?` (a core writer that left a mapping out, so its permissions are unknown) fits either way. */
function sameExec(m: Mapping, s: ProgramHeader): boolean {
  return m.perms[2] === '?' || (m.perms[2] === 'x') === ((s.flags & PF_X) !== 0);
}

export function alignDown(v: bigint, a: bigint): bigint {
  return v - (v % a);
}

function alignUp(v: bigint, a: bigint): bigint {
  return alignDown(v + a - 1n, a);
}
