import { Readable } from 'node:stream';
import { Multipart } from '@fastify/multipart';
import { FastifyRequest } from 'fastify';
import { decodeText } from './text-body';
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

/** A file field that is streamed to its handler (to disk) instead of read into a string. */
export type StreamedFile<T> = (file: Readable & { truncated?: boolean }, filename: string) => Promise<T>;

export interface FormOptions<T> {
  /** Text fields (sent as fields or as files), each read whole, all together at most `maxTextBytes`. */
  text: string[];
  maxTextBytes: number;
  /** Streamed file fields, by name, and the largest file they accept. */
  files?: Record<string, StreamedFile<T>>;
  maxFileBytes?: number;
}

/**
 * Read a multipart form: text fields (fields or files alike) into strings, each
 * bounded; streamed file fields (a core) handed to their handler as they arrive.
 * Every file stream is consumed, as @fastify/multipart requires.
 */
export async function readForm<T>(req: FastifyRequest, opts: FormOptions<T>): Promise<ReadFormResult<T>> {
  const streamed = opts.files ?? {};
  const allowed = [...opts.text, ...Object.keys(streamed)];
  const text: Record<string, string> = {};
  const notes: string[] = [];
  const files: Record<string, T> = {};
  const maxFile = Math.max(opts.maxTextBytes, opts.maxFileBytes ?? 0);
  let total = 0;
  try {
    for await (const part of formParts(req, { fileSize: maxFile, fieldSize: opts.maxTextBytes, files: allowed.length, parts: 64 })) {
      if (!allowed.includes(part.fieldname)) {
        if (part.type === 'file') part.file.resume();
        throw new SymbridgeError('INPUT_INVALID', `unknown form field "${part.fieldname}"; expected one of: ${allowed.join(', ')}`, {
          field: part.fieldname,
        });
      }
      const handler = streamed[part.fieldname];
      if (handler) {
        if (part.type !== 'file') {
          throw new SymbridgeError('INPUT_INVALID', `form field "${part.fieldname}" must be a file part (curl -F ${part.fieldname}=@path)`, { field: part.fieldname });
        }
        files[part.fieldname] = await handler(part.file, part.filename);
        continue;
      }
      let value: string;
      if (part.type === 'file') {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (total + size > opts.maxTextBytes) {
            part.file.resume();
            tooLarge(part.fieldname, opts.maxTextBytes);
          }
          chunks.push(chunk);
        }
        // Decoded as UTF-8 with the bad bytes named, as a text/plain body is.
        const decoded = decodeText(
          Buffer.concat(chunks),
          undefined, // busboy keeps no charset for a file part
          `form field "${part.fieldname}"`,
          'post the text as text/plain;charset=iso-8859-1 to read the bytes as latin-1',
        );
        value = decoded.text;
        if (decoded.note) notes.push(decoded.note);
      } else {
        if (part.valueTruncated) tooLarge(part.fieldname, opts.maxTextBytes);
        value = String(part.value ?? '');
        // busboy has already decoded a plain field as UTF-8: the bytes behind a U+FFFD are gone.
        if (value.includes('\uFFFD')) notes.push(replacedInField(part.fieldname, value));
      }
      total += value.length;
      if (total > opts.maxTextBytes) tooLarge(part.fieldname, opts.maxTextBytes);
      text[part.fieldname] = value;
    }
  } catch (err) {
    throw multipartFailure(err);
  }
  return { text, files, notes };
}

export interface ReadFormResult<T> {
  text: Record<string, string>;
  files: Record<string, T>;
  /** What decoding did to text fields that were not valid UTF-8 (for the result's diagnostics). */
  notes: string[];
}

function replacedInField(field: string, value: string): string {
  const lines: number[] = [];
  let count = 0;
  let line = 1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0a) line++;
    else if (c === 0xfffd) {
      count++;
      if (lines[lines.length - 1] !== line && lines.length < 5) lines.push(line);
    }
  }
  return (
    `form field "${field}" holds ${count} U+FFFD replacement character${count === 1 ? '' : 's'} (line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}${count > lines.length && lines.length === 5 ? ', ...' : ''}): ` +
    `bytes that were not UTF-8 were replaced before we saw them: send the field as a file (-F ${field}=@file) to have them named, ` +
    `or declare its charset (-F '${field}=<file;type=text/plain;charset=iso-8859-1') to read them as latin-1`
  );
}

/** A form of text fields only. */
export async function readTextForm(req: FastifyRequest, allowed: string[], maxBytes: number): Promise<Record<string, string>> {
  return (await readForm(req, { text: allowed, maxTextBytes: maxBytes })).text;
}

function tooLarge(field: string, max: number): never {
  throw new SymbridgeError('INPUT_TOO_LARGE', `form field "${field}" makes the request larger than the limit of ${max} bytes`, {
    field,
  });
}
