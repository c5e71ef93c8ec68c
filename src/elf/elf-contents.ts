import { ElfContents, SectionHeader, SHF_COMPRESSED, SHT_NOBITS } from './elf-types';

/** What a file holds, from its section headers (a debug file has .text as NOBITS). */
export function contentsOf(sections: SectionHeader[]): ElfContents {
  const has = (name: string) => sections.some((s) => s.name === name && s.type !== SHT_NOBITS && s.size > 0);
  const debugInfo = sections.find((s) => s.name === '.debug_info' && s.type !== SHT_NOBITS && s.size > 0);
  return {
    debugInfo: !!debugInfo || has('.zdebug_info'),
    // Two encodings: GNU's old .zdebug_* sections, and SHF_COMPRESSED (gABI; what Go 1.19 and `-gz` write).
    compressedDebugInfo: has('.zdebug_info') || (!!debugInfo && (debugInfo.flags & BigInt(SHF_COMPRESSED)) !== 0n),
    symtab: has('.symtab'),
    dynsym: has('.dynsym'),
    gopclntab: has('.gopclntab'),
    text: has('.text'),
  };
}
