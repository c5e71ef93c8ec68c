/** ELF note records (namesz, descsz, type, name, desc; 4-byte aligned). */
export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export function parseNotes(buf: Buffer, endian: 'little' | 'big'): ElfNote[] {
  const u32 = (o: number) => (endian === 'little' ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const align4 = (n: number) => (n + 3) & ~3;
  const notes: ElfNote[] = [];
  let o = 0;
  while (o + 12 <= buf.length) {
    const namesz = u32(o);
    const descsz = u32(o + 4);
    const type = u32(o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (namesz > buf.length || descsz > buf.length || descAt + descsz > buf.length) break; // truncated: stop, keep what we have
    const name = buf.toString('latin1', nameAt, nameAt + namesz).replace(/\0+$/, '');
    notes.push({ name, type, desc: Buffer.from(buf.subarray(descAt, descAt + descsz)) });
    o = next;
  }
  return notes;
}
