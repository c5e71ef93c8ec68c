import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { FileSource, RangeSource } from '../adapters/range-source.adapter';
import { ObjectStat, ObjectStore } from './object-store';

/**
 * The store as a directory tree under the storage root (STORE_BACKEND=fs): a key is a
 * relative path. Writes go to `.tmp/` first and are linked or renamed into place, so a
 * file is whole or absent, and link(2) makes "store it unless present" atomic across
 * processes sharing the volume. A file stored under two keys is one inode.
 */
export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs';
  readonly where: string;

  constructor(readonly root: string) {
    this.where = `storage root ${root}`;
  }

  /** A fresh path in the store's own temp folder (same file system: link and rename are atomic). */
  tempPath(): string {
    return join(this.root, '.tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  async stat(key: string): Promise<ObjectStat | undefined> {
    const st = await stat(this.path(key)).catch(() => undefined);
    return st?.isFile() ? { size: st.size, mtime: st.mtime } : undefined;
  }

  readText(key: string): Promise<string | undefined> {
    return readFile(this.path(key), 'utf8').catch(() => undefined);
  }

  async writeText(key: string, text: string): Promise<void> {
    const to = this.path(key);
    const tmp = this.tempPath();
    await Promise.all([mkdir(dirname(tmp), { recursive: true }), mkdir(dirname(to), { recursive: true })]);
    await writeFile(tmp, text);
    await rename(tmp, to).catch(async (err) => {
      await rm(tmp, { force: true });
      throw err;
    });
  }

  async putFile(key: string, localPath: string, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const to = this.path(key);
    await mkdir(dirname(to), { recursive: true });
    try {
      return await this.place(localPath, to, opts.ifAbsent);
    } catch (err) {
      // link(2) needs the same file system: copy into .tmp first when it is not.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      const copy = this.tempPath();
      await mkdir(dirname(copy), { recursive: true });
      await copyFile(localPath, copy, constants.COPYFILE_EXCL);
      return await this.place(copy, to, opts.ifAbsent).finally(() => rm(copy, { force: true }));
    }
  }

  async openRead(key: string): Promise<Readable | undefined> {
    return (await this.stat(key)) ? createReadStream(this.path(key)) : undefined;
  }

  async openRange(key: string): Promise<RangeSource | undefined> {
    return FileSource.open(this.path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  async download(key: string, toPath: string): Promise<boolean> {
    if (!(await this.stat(key))) return false;
    await copyFile(this.path(key), toPath, constants.COPYFILE_EXCL);
    return true;
  }

  localPath(key: string): string {
    return this.path(key);
  }

  list(prefix: string): Promise<string[]> {
    return readdir(this.path(prefix)).catch(() => [] as string[]);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    // Rename first: everything under the prefix disappears at once, the bytes go after.
    const graveyard = join(this.root, '.tmp', `deleted-${randomBytes(6).toString('hex')}`);
    await mkdir(dirname(graveyard), { recursive: true });
    const moved = await rename(this.path(prefix), graveyard).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    if (moved) await rm(graveyard, { recursive: true, force: true });
  }

  async checkWritable(): Promise<void> {
    await access(this.root, constants.W_OK);
  }

  async close(): Promise<void> {}

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  private async place(from: string, to: string, ifAbsent: boolean | undefined): Promise<boolean> {
    if (ifAbsent) return linkIfAbsent(from, to);
    const tmp = this.tempPath();
    await mkdir(dirname(tmp), { recursive: true });
    await link(from, tmp);
    await rename(tmp, to);
    return true;
  }
}

/** link(2) `from` to `to`; false when `to` already exists (someone else stored it). */
async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
