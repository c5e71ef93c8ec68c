/**
 * `.gnu_debuglink`: a NUL-terminated file name, padded to 4 bytes, then the CRC32 of
 * the debug file in the file's byte order. Undefined when the section is malformed.
 */
export function parseDebuglink(bytes: Buffer, endian: 'little' | 'big'): { name: string; crc: number } | undefined {
  const nul = bytes.indexOf(0);
  if (nul <= 0) return undefined;
  const crcAt = (nul + 4) & ~3;
  if (crcAt + 4 > bytes.length) return undefined;
  const crc = endian === 'little' ? bytes.readUInt32LE(crcAt) : bytes.readUInt32BE(crcAt);
  return { name: bytes.toString('utf8', 0, nul), crc };
}
