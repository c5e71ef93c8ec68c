import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { RangeSource } from '../adapters/range-source.adapter';
import { ObjectStat, ObjectStore } from './object-store';

/** How long a fact about a stored slot is trusted without asking S3 again (another machine's DELETE is seen after this). */
export const STORE_MEMO_MS = 30_000;
const MEMO_ENTRIES = 20_000;

/** `buildid/<id>/executable|debuginfo` and their `.json` records: claimed once (if absent), changed only by a delete. */
const SLOT_KEY = /^buildid\/[0-9a-f]+\/(executable|debuginfo)(\.json)?$/;

interface Memo {
  stat?: ObjectStat;
  text?: string;
}

/**
 * In front of the S3 store, remembers what was found about slots: a job asks for the same
 * few HEADs and record GETs every time (14 requests per job on the cgo fixture, the whole
 * gap between fs and s3 in `npm run bench -- stores`). Only presence is remembered, never
 * absence (an upload on another machine is seen at once), only for slot files and their
 * records (written once), for STORE_MEMO_MS; this machine's own writes and deletes forget
 * at once. Everything else passes through.
 */
export class MemoObjectStore implements ObjectStore {
  private readonly memo: LRUCache<string, Memo>;

  constructor(
    /** The store behind it (tests read its counters). */
    readonly inner: ObjectStore,
    ttlMs = STORE_MEMO_MS,
    now: () => number = Date.now,
  ) {
    // ttlResolution 0: every check reads the clock (a test's clock moves in jumps).
    this.memo = new LRUCache<string, Memo>({ max: MEMO_ENTRIES, ttl: ttlMs, ttlResolution: 0, perf: { now } });
  }

  get where(): string {
    return this.inner.where;
  }

  get kind(): 'fs' | 's3' {
    return this.inner.kind;
  }

  async stat(key: string): Promise<ObjectStat | undefined> {
    const m = this.fresh(key);
    if (m?.stat) return m.stat;
    const st = await this.inner.stat(key);
    if (st && SLOT_KEY.test(key)) this.remember(key, { stat: st });
    return st;
  }

  async readText(key: string): Promise<string | undefined> {
    const m = this.fresh(key);
    if (m?.text !== undefined) return m.text;
    const text = await this.inner.readText(key);
    if (text !== undefined && SLOT_KEY.test(key)) this.remember(key, { text });
    return text;
  }

  async writeText(key: string, text: string): Promise<void> {
    this.memo.delete(key);
    await this.inner.writeText(key, text);
  }

  async putFile(key: string, localPath: string, opts?: { ifAbsent?: boolean }): Promise<boolean> {
    this.memo.delete(key);
    return this.inner.putFile(key, localPath, opts);
  }

  openRead(key: string): Promise<Readable | undefined> {
    return this.inner.openRead(key);
  }

  openRange(key: string): Promise<RangeSource | undefined> {
    return this.inner.openRange(key);
  }

  download(key: string, toPath: string): Promise<boolean> {
    return this.inner.download(key, toPath);
  }

  localPath(key: string): string | undefined {
    return this.inner.localPath(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  async delete(key: string): Promise<void> {
    this.memo.delete(key);
    await this.inner.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const slot of ['executable', 'debuginfo']) for (const k of [`${prefix}/${slot}`, `${prefix}/${slot}.json`]) this.memo.delete(k);
    await this.inner.deletePrefix(prefix);
  }

  checkWritable(): Promise<void> {
    return this.inner.checkWritable();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** What is remembered of a key and still within the TTL (an expired entry is dropped by the get). */
  private fresh(key: string): Memo | undefined {
    return this.memo.get(key);
  }

  /** Adds to what is known of a key; the TTL still counts from when it was first learnt. */
  private remember(key: string, part: Memo): void {
    this.memo.set(key, { ...this.fresh(key), ...part }, { noUpdateTTL: true });
  }
}
