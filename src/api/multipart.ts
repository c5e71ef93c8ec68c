import { FastifyRequest } from 'fastify';
import { SymbridgeError } from '../model/errors';

/**
 * Read a multipart form of text fields (fields or files alike) into strings, each
 * bounded; every file stream is consumed, as @fastify/multipart requires.
 */
export async function readTextForm(req: FastifyRequest, allowed: string[], maxBytes: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let total = 0;
  for await (const part of req.parts({ limits: { fileSize: maxBytes, fieldSize: maxBytes, files: allowed.length, parts: 64 } })) {
    if (!allowed.includes(part.fieldname)) {
      if (part.type === 'file') part.file.resume();
      throw new SymbridgeError('INPUT_INVALID', `unknown form field "${part.fieldname}"; expected one of: ${allowed.join(', ')}`, {
        field: part.fieldname,
      });
    }
    let text: string;
    if (part.type === 'file') {
      const buf = await part.toBuffer();
      text = buf.toString('utf8');
    } else {
      if (part.valueTruncated) tooLarge(part.fieldname, maxBytes);
      text = String(part.value ?? '');
    }
    total += text.length;
    if (total > maxBytes) tooLarge(part.fieldname, maxBytes);
    out[part.fieldname] = text;
  }
  return out;
}

function tooLarge(field: string, max: number): never {
  throw new SymbridgeError('INPUT_TOO_LARGE', `form field "${field}" makes the request larger than the limit of ${max} bytes`, {
    field,
  });
}
