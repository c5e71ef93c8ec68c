import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, FileHandle } from 'node:fs/promises';

/**
 * Random-access bytes: a file read by range (a 200 MB debug file is never loaded
 * whole) or a Buffer (tests, fuzzing). Short reads are the caller's to report.
 */
export interface RangeSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export class BufferSource implements RangeSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return this.buf.subarray(offset, Math.min(offset + length, this.buf.length));
  }
  async close(): Promise<void> {}
}

export class FileSource implements RangeSource {
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileSource(fh, st.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const { bytesRead } = await this.fh.read(buf, done, len - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/**
 * The same bytes, read synchronously: the DWARF reader and the symcache builder parse
 * in tight loops (and the builder runs in a child process of its own), where a promise
 * per read would cost more than the read. Short reads are the caller's to report.
 */
export interface SyncRangeSource {
  readonly size: number;
  readSync(offset: number, length: number): Buffer;
}

export class BufferSyncSource implements SyncRangeSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  readSync(offset: number, length: number): Buffer {
    return this.buf.subarray(offset, Math.min(offset + length, this.buf.length));
  }
}

/** A file read by range, synchronously (and asynchronously, for the ELF reader). */
export class SyncFileSource implements SyncRangeSource, RangeSource {
  private constructor(
    private fd: number | undefined,
    readonly size: number,
  ) {}

  static open(path: string): SyncFileSource {
    const fd = openSync(path, 'r');
    try {
      return new SyncFileSource(fd, fstatSync(fd).size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  readSync(offset: number, length: number): Buffer {
    if (this.fd === undefined) throw new Error('read after close');
    const len = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, done, len - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    return this.readSync(offset, length);
  }

  closeSync(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  async close(): Promise<void> {
    this.closeSync();
  }
}
