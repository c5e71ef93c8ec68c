import { createHash } from 'node:crypto';
import { basename } from '../normalize/find-mapping';

/**
 * File names as the store keeps them. An uploaded name is kept whole (a Linux file
 * name may be 255 bytes, and module identification compares it with the basename in
 * the crash's maps), but as a path component of the by-name index it must fit
 * NAME_MAX (255 bytes) once URL-encoded, and `%`, multibyte characters and emoji grow
 * 3 to 12 times when encoded. A key that would not fit is shortened to a readable
 * prefix plus a digest of the whole name, so it stays unique and stable.
 */

/** Longest file name kept from an upload, in characters (longer is not a real file name). */
const MAX_NAME_CHARS = 1024;
/** Longest index key, bytes: under NAME_MAX with room for the temp suffixes writers add. */
export const MAX_KEY_BYTES = 200;
const DIGEST_CHARS = 32;

/** An upload's file name as stored: the base name, no control characters, bounded, never empty. */
export function fileName(raw: string): string {
  const name = Array.from(basename(raw || 'unnamed').replace(/[\0-\x1f]/g, '_'))
    .slice(0, MAX_NAME_CHARS)
    .join('');
  return name === '' ? 'unnamed' : name;
}

/** A file name as one path component of the index: no separators, no dot entries, at most MAX_KEY_BYTES. */
export function nameKey(name: string): string {
  const enc = encodeURIComponent(wellFormed(name));
  if (enc === '.' || enc === '..') return enc.replace(/\./g, '%2E');
  if (enc.length <= MAX_KEY_BYTES) return enc;
  // The digest of the whole name keeps shortened keys apart (128 bits).
  let prefix = enc.slice(0, MAX_KEY_BYTES - DIGEST_CHARS - 1);
  const cut = prefix.lastIndexOf('%');
  if (cut >= 0 && cut > prefix.length - 3) prefix = prefix.slice(0, cut); // never split a %XX escape
  return `${prefix}~${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, DIGEST_CHARS)}`;
}

/** A lone surrogate (from a JSON "\ud800" escape) would make encodeURIComponent throw: U+FFFD instead. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
