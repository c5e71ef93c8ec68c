import { RangeSource } from '../adapters/range-source.adapter';
import { parseDebuglink } from './debuglink';
import { contentsOf } from './elf-contents';
import { readElfHeader } from './elf-header';
import { ElfInfo, PT_NOTE, SHT_NOBITS, SHT_NOTE } from './elf-types';
import { buildIdsOf, ElfNote, parseNotes } from './notes';
import { readProgramHeaders } from './program-headers';
import { RangeReader } from './range-reader';
import { readSectionHeaders } from './section-headers';

/**
 * Our own range-reading ELF reader (README "Dependencies": why not elfy). It reads the
 * header, program headers, section headers and the few small sections it needs (names,
 * notes, .gnu_debuglink), never the whole file: a 200 MB debug file costs a few KB.
 * Anything out of bounds or absurd is an ElfError carrying the offset where reading failed.
 */
const MAX_NOTE_BYTES = 1 << 20;
const MAX_DEBUGLINK_BYTES = 4096;

export async function readElf(src: RangeSource, path?: string): Promise<ElfInfo> {
  const r = new RangeReader(src, path);
  const header = await readElfHeader(r);
  const programHeaders = await readProgramHeaders(r, header);
  const sections = await readSectionHeaders(r, header);
  const info: ElfInfo = { header, programHeaders, sections, contents: contentsOf(sections) };

  // Notes: from sections when there are any, else from PT_NOTE segments (section headers stripped).
  const noteRanges =
    sections.length > 0
      ? sections.filter((s) => s.type === SHT_NOTE).map((s) => ({ offset: s.offset, size: s.size }))
      : programHeaders.filter((p) => p.type === PT_NOTE).map((p) => ({ offset: Number(p.offset), size: Number(p.filesz) }));
  const notes: ElfNote[] = [];
  for (const range of noteRanges) {
    if (range.size > MAX_NOTE_BYTES || range.size === 0) continue;
    notes.push(...parseNotes(await r.bytes(range.offset, range.size, 'note'), header.endian));
  }
  const ids = buildIdsOf(notes);
  if (ids.gnuBuildId) info.gnuBuildId = ids.gnuBuildId;
  if (ids.goBuildId) info.goBuildId = ids.goBuildId;

  const debuglink = sections.find((s) => s.name === '.gnu_debuglink' && s.type !== SHT_NOBITS);
  if (debuglink && debuglink.size >= 8 && debuglink.size <= MAX_DEBUGLINK_BYTES) {
    const link = parseDebuglink(await r.bytes(debuglink.offset, debuglink.size, '.gnu_debuglink'), header.endian);
    if (link) info.debuglink = link;
  }
  return info;
}
