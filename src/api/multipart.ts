import { Multipart } from '@fastify/multipart';
import { FastifyRequest } from 'fastify';
import { SymbridgeError } from '../model/errors';

/**
 * The one way our routes read multipart/form-data (uploads, symbolicate forms): the parts
 * of a request under limits, with a malformed body (no boundary, a body that ends before
 * its closing boundary, a broken part header) turned into a 400 that says so. Busboy
 * raises those as plain Errors, from the part iterator or from a file part's stream, so
 * a route that reads file streams also passes its own errors through `multipartFailure`.
 */
export interface FormLimits {
  fileSize: number;
  files: number;
  fields?: number;
  fieldSize?: number;
  parts: number;
}

export async function* formParts(req: FastifyRequest, limits: FormLimits): AsyncGenerator<Multipart> {
  try {
    for await (const part of req.parts({ limits })) yield part;
  } catch (err) {
    throw multipartFailure(err);
  }
}

/** Busboy's words for a malformed body (lib/types/multipart.js), and a client that went away mid-body. */
const MALFORMED = /^(Multipart: Boundary not found|Unexpected end of (form|file|multipart data)|Part terminated early|Malformed part header|Malformed urlencoded form)/;

/** A malformed multipart body as a 400 naming what was wrong; any other error unchanged. */
export function multipartFailure(err: unknown): unknown {
  if (err instanceof SymbridgeError) return err;
  const e = err as { message?: string; code?: string };
  if (typeof e?.message === 'string' && MALFORMED.test(e.message)) {
    return new SymbridgeError('INPUT_INVALID', `malformed multipart/form-data body: ${e.message} (send it as curl -F does: a boundary in the Content-Type, every part closed)`);
  }
  if (e?.code === 'ECONNRESET' || e?.message === 'aborted') {
    return new SymbridgeError('INPUT_INVALID', 'the client closed the connection before the multipart body ended');
  }
  return err;
}

/**
 * Read a multipart form of text fields (fields or files alike) into strings, each
 * bounded; every file stream is consumed, as @fastify/multipart requires.
 */
export async function readTextForm(req: FastifyRequest, allowed: string[], maxBytes: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let total = 0;
  try {
    for await (const part of formParts(req, { fileSize: maxBytes, fieldSize: maxBytes, files: allowed.length, parts: 64 })) {
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
  } catch (err) {
    throw multipartFailure(err);
  }
  return out;
}

function tooLarge(field: string, max: number): never {
  throw new SymbridgeError('INPUT_TOO_LARGE', `form field "${field}" makes the request larger than the limit of ${max} bytes`, {
    field,
  });
}
