import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { SymbridgeError } from '../model/errors';

export interface WrittenFile {
  path: string;
  size: number;
  crc32: number;
}

/**
 * Counts and checksums bytes on their way to disk, and fails the stream past the
 * limit. Memory stays flat: chunks pass through, backpressure comes from the file.
 */
class Meter extends Transform {
  size = 0;
  crc = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly name: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(tooLarge(this.name, this.maxBytes));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }
}

export function tooLarge(name: string, maxBytes: number): SymbridgeError {
  return new SymbridgeError('INPUT_TOO_LARGE', `${name} is larger than the upload limit of ${maxBytes} bytes (MAX_UPLOAD_BYTES)`, {
    path: name,
  });
}

/**
 * Stream into a new file at `path` (created exclusively); on any failure the partial
 * file is removed, so nothing half-written is ever seen by the store.
 */
export async function writeToTempFile(source: Readable, path: string, maxBytes: number, name: string): Promise<WrittenFile> {
  const meter = new Meter(maxBytes, name);
  try {
    await pipeline(source, meter, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    source.resume();
    await rm(path, { force: true });
    throw err;
  }
  return { path, size: meter.size, crc32: meter.crc >>> 0 };
}
