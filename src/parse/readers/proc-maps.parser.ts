import { Mapping } from '../../model/mapping';
import { ParseError } from '../../model/errors';
import { emptyReport, FormatReader } from '../format-reader';
import { clip, TextLine } from '../text-lines';

/**
 * /proc/PID/maps: `start-end perms offset dev inode [path]`. The path is the rest of
 * the line (it may hold spaces) and may end in ` (deleted)`. Leading blanks are
 * tolerated, since dumps (hs_err, tombstones) indent the same lines.
 */
export const MAPS_LINE =
  /^\s*([0-9a-f]{1,16})-([0-9a-f]{1,16})\s+([r-][w-][x-][ps-])\s+([0-9a-f]{1,16})\s+([0-9a-f]{2,}:[0-9a-f]{2,})\s+(\d+)(?:\s+(.*?))?\s*$/i;

export function parseMapsLine(line: TextLine): Mapping | undefined {
  const m = MAPS_LINE.exec(line.text);
  if (!m) return undefined;
  let path = m[7] ?? '';
  const deleted = path.endsWith(' (deleted)');
  if (deleted) path = path.slice(0, -' (deleted)'.length);
  const start = BigInt(`0x${m[1]}`);
  const end = BigInt(`0x${m[2]}`);
  if (end <= start) return undefined;
  return {
    start,
    end,
    perms: m[3],
    offset: BigInt(`0x${m[4]}`),
    dev: m[5],
    inode: Number(m[6]),
    path,
    deleted,
    inputLine: line.no,
  };
}

export function isMapsLine(text: string): boolean {
  return MAPS_LINE.test(text);
}

/**
 * Parse a maps snapshot given on its own (the `maps` field): every non-blank line must
 * be a maps line, else a ParseError naming the line.
 */
export function parseProcMaps(lines: TextLine[], field = 'maps'): Mapping[] {
  const out: Mapping[] = [];
  for (const line of lines) {
    if (line.text.trim() === '') continue;
    const mapping = parseMapsLine(line);
    if (!mapping) {
      throw new ParseError(
        `${field} line ${line.no} is not a /proc/PID/maps line: expected "start-end perms offset dev inode [path]" ` +
          `(e.g. "7f3a1c000000-7f3a1c021000 r-xp 00001000 08:01 1234 /usr/lib/libfoo.so"), got "${clip(line.text)}"`,
        { line: line.no, field },
      );
    }
    out.push(mapping);
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** A maps snapshot, alone or between the other texts of a paste. */
export const procMapsReader: FormatReader = {
  format: 'maps',
  description: 'snapshot of /proc/PID/maps lines',
  expected: 'a /proc/PID/maps snapshot ("start-end perms offset dev inode path" lines)',
  strict: true,
  shapes: [{ name: 'maps line `start-end perms offset dev inode path`', re: MAPS_LINE, role: 'strong' }],
  read: (lines, field, warn) => {
    const report = emptyReport();
    for (const l of lines) {
      if (l.text.trim() === '') continue;
      const m = parseMapsLine(l);
      // A line shaped like maps may still not be a mapping (end <= start): said, not kept.
      if (m) report.mappings.push(m);
      else if (MAPS_LINE.test(l.text)) warn(`${field} line ${l.no}: not a usable mapping (its end is not above its start): ${clip(l.text)}`);
    }
    return report;
  },
};
