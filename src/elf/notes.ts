/** ELF note records (namesz, descsz, type, name, desc; 4-byte aligned). */
export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export const NT_GNU_BUILD_ID = 3;
/** Go's linker writes its build id as a note named "Go" of type 4 (cmd/link: ELF_NOTE_GOBUILDID_TAG). */
export const NT_GO_BUILD_ID = 4;

/** Parses notes until the buffer ends or a record does not fit (truncated: keep what we have). */
export function parseNotes(buf: Buffer, endian: 'little' | 'big'): ElfNote[] {
  const u32 = (o: number) => (endian === 'little' ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const align4 = (n: number) => Math.ceil(n / 4) * 4;
  const notes: ElfNote[] = [];
  let o = 0;
  while (o + 12 <= buf.length) {
    const namesz = u32(o);
    const descsz = u32(o + 4);
    const type = u32(o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + align4(namesz);
    if (namesz > buf.length || descsz > buf.length || descAt + descsz > buf.length) break;
    const name = buf.toString('latin1', nameAt, nameAt + namesz).replace(/\0+$/, '');
    notes.push({ name, type, desc: Buffer.from(buf.subarray(descAt, descAt + descsz)) });
    o = descAt + align4(descsz);
  }
  return notes;
}

/** The GNU build-id (hex) and Go build id (text) among a file's notes, first of each. */
export function buildIdsOf(notes: ElfNote[]): { gnuBuildId?: string; goBuildId?: string } {
  const gnu = notes.find((n) => n.name === 'GNU' && n.type === NT_GNU_BUILD_ID && n.desc.length > 0);
  const go = notes.find((n) => n.name === 'Go' && n.type === NT_GO_BUILD_ID && n.desc.length > 0);
  return { gnuBuildId: gnu?.desc.toString('hex'), goBuildId: go?.desc.toString('utf8') };
}
