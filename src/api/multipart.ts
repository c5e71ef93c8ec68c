import { Readable } from 'node:stream';
import { FastifyRequest } from 'fastify';
import { SymbridgeError } from '../model/errors';

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
 * bounded; streamed file fields handed to their handler as they arrive. Every file
 * stream is consumed, as @fastify/multipart requires.
 */
export async function readForm<T>(req: FastifyRequest, opts: FormOptions<T>): Promise<{ text: Record<string, string>; files: Record<string, T> }> {
  const streamed = opts.files ?? {};
  const allowed = [...opts.text, ...Object.keys(streamed)];
  const text: Record<string, string> = {};
  const files: Record<string, T> = {};
  const maxFile = Math.max(opts.maxTextBytes, opts.maxFileBytes ?? 0);
  let total = 0;
  for await (const part of req.parts({ limits: { fileSize: maxFile, fieldSize: opts.maxTextBytes, files: allowed.length, parts: 64 } })) {
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
      value = Buffer.concat(chunks).toString('utf8');
    } else {
      if (part.valueTruncated) tooLarge(part.fieldname, opts.maxTextBytes);
      value = String(part.value ?? '');
    }
    total += value.length;
    if (total > opts.maxTextBytes) tooLarge(part.fieldname, opts.maxTextBytes);
    text[part.fieldname] = value;
  }
  return { text, files };
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
