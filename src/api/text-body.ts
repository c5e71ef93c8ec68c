import { TextDecoder } from 'node:util';
import { FastifyInstance } from 'fastify';

/**
 * text/plain bodies as bytes: program output before a panic often holds a byte that is
 * not UTF-8, and Fastify's own string parser refuses such a body ("Request body size
 * did not match Content-Length"). We take any bytes and decode them ourselves.
 */
export function registerRawTextParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
}

export interface DecodedText {
  text: string;
  /** Set when the bytes were not all valid in the declared (or assumed UTF-8) charset: says what was done, and where. */
  note?: string;
}

const SHOWN = 5;

/**
 * Decode as the Content-Type's charset says: a declared charset other than UTF-8
 * (iso-8859-1, latin1, windows-1252, shift_jis, ... as WHATWG's TextDecoder knows them)
 * as that charset; otherwise UTF-8, each invalid sequence becoming U+FFFD and the note
 * saying where.
 */
export function decodeText(
  body: Buffer,
  contentType: string | undefined,
  what = 'the text/plain body',
  latin1Hint = 'declare charset=iso-8859-1 to read the bytes as latin-1',
): DecodedText {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  let unknownCharset = '';
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    const decoder = declaredDecoder(charset);
    if (decoder) return { text: decoder.decode(body) };
    unknownCharset = `charset "${charset.slice(0, 40)}" is not one we know, so the body was read as UTF-8; `;
  }
  const text = body.toString('utf8');
  const bad = text.includes('\uFFFD') ? invalidUtf8(body) : [];
  if (bad.length === 0) return unknownCharset ? { text, note: unknownCharset.replace(/; $/, '') } : { text }; // U+FFFD sent as such is no problem
  const where = bad.slice(0, SHOWN).map((b) => `byte ${b.offset} (line ${b.line}, 0x${body[b.offset].toString(16).padStart(2, '0')})`);
  const more = bad.length > SHOWN ? ` and ${bad.length - SHOWN} more` : '';
  return {
    text,
    note:
      `${unknownCharset}${what} is not valid UTF-8 at ${bad.length} place${bad.length === 1 ? '' : 's'}: ${where.join(', ')}${more}; ` +
      `each was decoded as U+FFFD (${latin1Hint})`,
  };
}

function declaredDecoder(charset: string): TextDecoder | undefined {
  try {
    return new TextDecoder(charset);
  } catch {
    return undefined; // not a charset TextDecoder knows
  }
}

/** Offsets (and 1-based lines) where a UTF-8 decoder meets an invalid sequence. */
function invalidUtf8(b: Buffer): { offset: number; line: number }[] {
  const out: { offset: number; line: number }[] = [];
  let line = 1;
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c === 0x0a) line++;
    const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    let ok = need >= 0 && i + need < b.length;
    for (let k = 1; ok && k <= need; k++) ok = (b[i + k] & 0xc0) === 0x80;
    // Overlongs and surrogates, as the WHATWG decoder refuses them.
    if (ok && need === 2) ok = !(c === 0xe0 && b[i + 1] < 0xa0) && !(c === 0xed && b[i + 1] > 0x9f);
    if (ok && need === 3) ok = !(c === 0xf0 && b[i + 1] < 0x90) && !(c === 0xf4 && b[i + 1] > 0x8f);
    if (ok) i += need + 1;
    else {
      out.push({ offset: i, line });
      i++;
    }
  }
  return out;
}
