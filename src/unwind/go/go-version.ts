import { RangeSource } from '../../adapters/range-source.adapter';
import { ElfInfo, SHT_NOBITS } from '../../elf/elf-types';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * The Go version a binary was built with, from `.go.buildinfo` (what `go version
 * FILE` reads; it survives -s -w). Go 1.18+ writes the strings inline (flag bit 2);
 * older versions point at them, which we do not follow.
 */
export async function readGoVersion(src: RangeSource, info: ElfInfo): Promise<string | undefined> {
  const s = info.sections.find((x) => x.name === '.go.buildinfo' && x.type !== SHT_NOBITS && x.size >= 32);
  if (!s) return undefined;
  const b = await src.read(s.offset, Math.min(s.size, 4096));
  if (!b.subarray(0, 14).equals(MAGIC) || (b[15] & 2) === 0) return undefined;
  let p = 32;
  let len = 0;
  let shift = 0;
  for (; p < b.length; p++) {
    len |= (b[p] & 0x7f) << shift;
    shift += 7;
    if ((b[p] & 0x80) === 0) break;
  }
  p++;
  if (len <= 0 || len > 64 || p + len > b.length) return undefined;
  const v = b.toString('utf8', p, p + len);
  return /^go\d/.test(v) ? v : undefined;
}
