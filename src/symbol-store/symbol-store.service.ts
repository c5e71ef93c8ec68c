import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileSource } from '../adapters/range-source.adapter';
import { readElf } from '../elf/elf-file';
import { ElfInfo, goBuildIdKey, loadSegments, primaryBuildId } from '../elf/elf-types';
import { ElfError, SymbridgeError } from '../model/errors';
import { BuildIdLock, LocalBuildIdLock } from './build-id-lock';
import { isBuildId } from './build-id';
import { DebuginfodUpstream } from './debuginfod-upstream';
import { FsObjectStore } from './fs-object.store';
import { LocalFileCache } from './local-file.cache';
import { LocalMissCache, MissCache } from './miss-cache';
import { MemoObjectStore } from './memo-object.store';
import { fileName, nameKey } from './name-key';
import { ObjectStat, ObjectStore, objectKey } from './object-store';
import { combine, contentsOf, FileRecord, Slot, SLOTS, slotsOf, StoredFileMeta, kindOf } from './stored-file';
import { WrittenFile } from './temp-file.writer';

/**
 * Debug files by build-id, as keys of an ObjectStore (the storage root on disk, or an S3 bucket):
 *   buildid/<id>/executable | debuginfo     the files (on fs, one that is both is one inode twice)
 *   buildid/<id>/<slot>.json                FileRecord: the source of truth beside each file
 *   buildid/<id>/<artifact>[.json]          named per-build-id artifacts (a symcache), with size and SHA-256
 *   index/names/<name>/<id>                 by-name index (one store holds many builds of a name)
 *   index/alias/<go-build-id-hex>           -> primary id (Go binaries that also have a GNU id)
 *   index/VERSION                           missing or old: the index is rebuilt at start
 * A slot exists when its file does; its record is written first, so a reader that sees
 * the file also sees what it is. The index is derived from buildid/ and can always be
 * rebuilt (rebuildIndex). Every key is made of a validated build-id, a slot or artifact
 * name or an encoded file name: nothing from a request reaches the store unchecked.
 *
 * Files are opened where they are on fs; from S3 through the worker's LocalFileCache,
 * each download verified (build-id and size; an artifact's SHA-256) before it is used.
 */
const INDEX_VERSION = '2';
const NEGATIVE_TTL_MS = 10 * 60_000;
const TMP_MAX_AGE_MS = 24 * 3600_000;
/** Names of per-build-id artifacts: short, lowercase, never a slot's or a record's name. */
const ARTIFACT = /^[a-z][a-z0-9-]{0,31}$/;

export interface IngestResult {
  buildId: string;
  /** The uploaded file itself. */
  file: FileRecord;
  /** Everything now stored under its build-id. */
  meta: StoredFileMeta;
  created: boolean;
}

/** What an index rebuild did; `skipped` says what it could not index, and why. */
export interface RebuildReport {
  buildIds: number;
  names: number;
  aliases: number;
  skipped: { buildId: string; reason: string }[];
}

export interface ListPage {
  items: StoredFileMeta[];
  next_cursor?: string;
}

/** What is stored about a named artifact (beside it, as <name>.json). */
export interface ArtifactRecord {
  size: number;
  sha256: string;
  stored_at: string;
}

/** A slot's bytes to serve (debuginfod): a stream, with what the headers need. */
export interface SlotStream {
  stream: Readable;
  size: number;
  mtime: Date;
  record?: FileRecord;
}

export interface StoreOptions {
  upstream?: DebuginfodUpstream;
  warn?: (msg: string) => void;
  info?: (msg: string) => void;
  /** One writer per build-id; in Redis when several API machines share the store. */
  lock?: BuildIdLock;
  /** Upstream misses remembered; in Redis when machines share them. */
  misses?: MissCache;
  /** Local copies of objects (required when the store has no local paths, i.e. S3). */
  cache?: LocalFileCache;
  /** Where uploads are staged when the store is not a file system (default: the OS temp dir). */
  tempDir?: string;
}

export class SymbolStore {
  readonly objects: ObjectStore;
  /** The store without the S3 memo: what an upload decides on must be true now, not 30 s ago. */
  private readonly direct: ObjectStore;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly lock: BuildIdLock;
  private readonly misses: MissCache;
  private readonly tempDir: string;
  /** Upstream downloads kept (observable by tests and metrics). */
  upstreamFetches = 0;

  /** A string is a storage root on disk (STORE_BACKEND=fs). */
  constructor(
    objects: ObjectStore | string,
    private readonly options: StoreOptions = {},
  ) {
    this.objects = typeof objects === 'string' ? new FsObjectStore(objects) : objects;
    this.direct = this.objects instanceof MemoObjectStore ? this.objects.inner : this.objects;
    this.lock = options.lock ?? new LocalBuildIdLock();
    this.misses = options.misses ?? new LocalMissCache();
    this.tempDir = this.objects instanceof FsObjectStore ? join(this.objects.root, '.tmp') : (options.tempDir ?? join(tmpdir(), 'symbridge-uploads'));
    if (!this.objects.localPath('x') && !options.cache) throw new Error(`${this.objects.where} needs a local file cache (CACHE_DIR)`);
  }

  static isBuildId(id: string): boolean {
    return isBuildId(id);
  }

  /** Where the symbols are, for messages. */
  get where(): string {
    return this.objects.where;
  }

  get cacheStats() {
    return this.options.cache?.stats();
  }

  async init(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
    if (this.objects instanceof FsObjectStore) await mkdir(join(this.objects.root, 'buildid'), { recursive: true });
    await this.sweepTemp().catch((err: Error) => this.options.warn?.(`old temp files not swept: ${err.message}`));
    await this.options.cache?.init();
    // Nothing stored may keep the service from starting: entries are skipped one by one,
    // and a store that cannot be indexed at all (read-only, unreachable) is served with the index it has.
    try {
      const version = (await this.objects.readText('index/VERSION')) ?? '';
      if (version.trim() === INDEX_VERSION) return;
      const report = await this.rebuildIndex();
      this.options.info?.(`index rebuilt: ${report.buildIds} build-ids, ${report.names} names, ${report.aliases} aliases, ${report.skipped.length} skipped`);
    } catch (err) {
      this.options.warn?.(`index not rebuilt (${(err as Error).message}); lookups by name may miss files until it is`);
    }
  }

  async close(): Promise<void> {
    await this.objects.close();
  }

  /** The local folder uploads are staged in (cores spool there too). */
  get stagingDir(): string {
    return this.tempDir;
  }

  /** A fresh local path to stage an upload in (on fs: the store's own .tmp, so linking it into place is atomic). */
  tempPath(): string {
    return join(this.tempDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Verify a fully written temp file as ELF with a build-id and store it. Idempotent and
   * safe under concurrency: under the build-id's lock (across machines when it is in
   * Redis) a slot is stored only when absent, so the same build-id uploaded twice (or at
   * once, to two API machines) stores one file and exactly one upload is "created".
   */
  async ingest(tmp: WrittenFile, uploadName: string, opts: { expectId?: string; source?: string } = {}): Promise<IngestResult> {
    try {
      const name = fileName(uploadName);
      const info = await this.inspect(tmp.path, name);
      requireLoadableSegments(info, tmp.size, name);
      const id = primaryBuildId(info);
      if (!id) {
        throw new SymbridgeError(
          'NO_BUILD_ID',
          `${name} has no build-id note (neither GNU nor Go), so crashes cannot be matched to it: ` +
            `relink it with -Wl,--build-id (gcc/clang; Go: -ldflags=-linkmode=external or keep Go's own build id), then upload the new build`,
          { path: name },
        );
      }
      if (opts.expectId && id !== opts.expectId && (!info.goBuildId || goBuildIdKey(info.goBuildId) !== opts.expectId)) {
        throw new SymbridgeError('ELF_INVALID', `${name} has build-id ${id}, not the requested ${opts.expectId}`, { path: name, buildId: id });
      }
      requireIndexableGoId(info, name);
      const record = recordOf(info, name, tmp, opts.source);
      // All or nothing: what this upload placed is removed again if anything after it fails,
      // so a build-id is visible only once its files, records and index entries are all in place.
      const created = await this.lock.withLock(id, () => this.place(id, tmp.path, record));
      const meta = combine(id, await this.readRecords(id));
      if (!meta) throw new SymbridgeError('STORAGE_UNAVAILABLE', `build-id ${id} vanished while it was stored (deleted concurrently?)`);
      return { buildId: id, file: record, meta, created };
    } finally {
      await rm(tmp.path, { force: true });
    }
  }

  /** Store a verified temp file in its absent slots and index it; true when it created a slot. */
  private async place(id: string, tmpPath: string, record: FileRecord): Promise<boolean> {
    const placed: string[] = [];
    try {
      let created = false;
      for (const slot of slotsOf(record.kind)) {
        const fileKey = this.key(id, slot);
        // Asked of the store itself, never a memo: another machine may have deleted it a moment ago.
        if (await this.direct.stat(fileKey)) continue;
        // Record first: a reader that sees the file also sees what it is.
        await this.objects.writeText(`${fileKey}.json`, JSON.stringify(record, null, 2));
        placed.push(`${fileKey}.json`);
        if (await this.objects.putFile(fileKey, tmpPath, { ifAbsent: true })) {
          placed.push(fileKey);
          created = true;
        }
      }
      await this.indexRecord(id, record);
      return created;
    } catch (err) {
      await this.unplace(id, placed, record).catch((undo: Error) =>
        this.options.warn?.(`could not undo a failed upload of ${id}: ${undo.message}; run an index rebuild`),
      );
      throw err;
    }
  }

  /** Undo `place`: remove what it stored, and the index entries when nothing is left of the id. */
  private async unplace(id: string, placed: string[], record: FileRecord): Promise<void> {
    for (const k of placed.reverse()) await this.objects.delete(k);
    if (await this.hasAnySlot(id, this.direct)) return;
    await this.objects.deletePrefix(objectKey('buildid', id));
    await this.objects.delete(objectKey('index', 'names', nameKey(record.name), id));
    if (record.go_build_id && record.gnu_build_id) await this.objects.delete(objectKey('index', 'alias', goBuildIdKey(record.go_build_id)));
  }

  async inspect(path: string, name = path): Promise<ElfInfo> {
    const src = await FileSource.open(path);
    try {
      return await readElf(src, name);
    } catch (err) {
      if (err instanceof ElfError) throw err;
      throw new ElfError(`${name}: cannot read as ELF: ${(err as Error).message}`, { offset: 0, path: name });
    } finally {
      await src.close();
    }
  }

  /** The stored primary id for a GNU or Go build-id, when present. */
  async resolveId(id: string): Promise<string | undefined> {
    const key = id.toLowerCase();
    if (!isBuildId(key)) return undefined;
    if (await this.hasAnySlot(key)) return key;
    const alias = ((await this.objects.readText(objectKey('index', 'alias', key))) ?? '').trim();
    return isBuildId(alias) && (await this.hasAnySlot(alias)) ? alias : undefined;
  }

  /** Metadata of a build-id; with `fetch`, a miss is looked up upstream first. */
  async get(id: string, opts: { fetch?: boolean } = {}): Promise<StoredFileMeta | undefined> {
    let key = await this.resolveId(id);
    if (!key && opts.fetch && isBuildId(id)) {
      await this.ensure(id, 'debuginfo');
      await this.ensure(id, 'executable');
      key = await this.resolveId(id);
    }
    return key ? combine(key, await this.readRecords(key)) : undefined;
  }

  /** Paginated listing, by build-id order; `name` narrows to one file name. */
  async list(opts: { name?: string; cursor?: string; limit: number }): Promise<ListPage> {
    const ids = opts.name !== undefined ? await this.findByName(opts.name) : await this.allIds();
    const after = opts.cursor ? ids.filter((id) => id > opts.cursor!) : ids;
    const items: StoredFileMeta[] = [];
    let i = 0;
    for (; i < after.length && items.length < opts.limit; i++) {
      const meta = combine(after[i], await this.readRecords(after[i]));
      if (meta) items.push(meta);
    }
    return { items, next_cursor: i < after.length && items.length > 0 ? items[items.length - 1].build_id : undefined };
  }

  /** Build-ids stored under a file name (the by-name index), sorted. */
  async findByName(name: string): Promise<string[]> {
    if (name === '' || name.includes('/') || name.includes('\0')) return [];
    const ids = await this.objects.list(objectKey('index', 'names', nameKey(name)));
    return ids.filter(isBuildId).sort();
  }

  /** Remove a build-id, its artifacts and its index entries; false when nothing was stored. */
  async delete(id: string): Promise<boolean> {
    const key = await this.resolveId(id);
    if (!key) return false;
    const records = await this.readRecords(key);
    const names = await this.objects.list(objectKey('buildid', key));
    await this.objects.deletePrefix(objectKey('buildid', key));
    for (const r of Object.values(records)) {
      await this.objects.delete(objectKey('index', 'names', nameKey(r.name), key));
      if (r.go_build_id && r.gnu_build_id) await this.objects.delete(objectKey('index', 'alias', goBuildIdKey(r.go_build_id)));
    }
    for (const n of names) this.options.cache?.delete(objectKey('buildid', key, n));
    await this.misses.delete(`${key}/debuginfo`);
    await this.misses.delete(`${key}/executable`);
    return true;
  }

  /**
   * Path of the file to symbolize with: the debug file of the build-id, else the
   * .gnu_debuglink partner of its executable (same name and CRC), else the executable.
   */
  async symbolFile(id: string): Promise<string | undefined> {
    return (await this.debugFile(id)) ?? (await this.slotFile(id, 'executable'));
  }

  /** Path of the file whose program headers describe the loaded layout. */
  async layoutFile(id: string): Promise<string | undefined> {
    return (await this.slotFile(id, 'executable')) ?? (await this.slotFile(id, 'debuginfo'));
  }

  /** debuginfod's /debuginfo: the build-id's debug file or its debuglink partner, as a local path. */
  async debugFile(id: string): Promise<string | undefined> {
    const at = await this.locate(id, 'debuginfo');
    return at ? this.localFile(at.id, 'debuginfo') : undefined;
  }

  /** One slot's file as a local path, fetched from the upstream servers once when it is missing here. */
  async slotFile(id: string, slot: Slot): Promise<string | undefined> {
    const at = await this.locateSlot(id, slot);
    return at ? this.localFile(at.id, slot) : undefined;
  }

  /**
   * A slot's bytes to send (debuginfod GET/HEAD): streamed from where they are (the
   * file, or the S3 object: an API machine needs no cache for it). debuginfo falls back
   * to the executable's .gnu_debuglink partner, as debugFile does.
   */
  async openSlot(id: string, slot: Slot, opts: { body: boolean }): Promise<SlotStream | undefined> {
    const at = await this.locate(id, slot);
    if (!at) return undefined;
    const k = this.key(at.id, slot);
    const st = await this.objects.stat(k);
    if (!st) return undefined;
    const record = (await this.readRecords(at.id))[slot];
    const stream = opts.body ? await this.objects.openRead(k) : Readable.from([]);
    return stream ? { stream, size: st.size, mtime: st.mtime, record } : undefined;
  }

  async slotRecord(id: string, slot: Slot): Promise<FileRecord | undefined> {
    const key = await this.resolveId(id);
    return key ? (await this.readRecords(key))[slot] : undefined;
  }

  // ---- named per-build-id artifacts (a symcache built at upload) -------------

  /** Store (or replace) a named artifact of a stored build-id from a complete local file. */
  async putArtifact(id: string, name: string, localPath: string): Promise<ArtifactRecord> {
    const k = this.artifactKey(id, name);
    const st = await stat(localPath);
    const record: ArtifactRecord = { size: st.size, sha256: await sha256(localPath), stored_at: new Date().toISOString() };
    // Record after the bytes: a reader checks the bytes against it (a replaced artifact
    // read in between fails verification and is fetched again).
    await this.objects.putFile(k, localPath);
    await this.objects.writeText(`${k}.json`, JSON.stringify(record));
    return record;
  }

  async artifactRecord(id: string, name: string): Promise<ArtifactRecord | undefined> {
    const text = await this.objects.readText(`${this.artifactKey(id, name)}.json`);
    return text ? (parseJson(text) as ArtifactRecord | undefined) : undefined;
  }

  /** A local path of a named artifact (from S3 through the cache, its SHA-256 checked), or undefined. */
  async artifactFile(id: string, name: string): Promise<string | undefined> {
    const k = this.artifactKey(id, name);
    const local = this.objects.localPath(k);
    if (local) return (await this.objects.stat(k)) ? local : undefined;
    const record = await this.artifactRecord(id, name);
    if (!record) return undefined;
    return this.options.cache!.get(k, {
      download: (to) => this.objects.download(k, to),
      verify: async (p) => {
        const size = (await stat(p)).size;
        if (size !== record.size) return `${size} bytes, the record says ${record.size}`;
        return (await sha256(p)) === record.sha256 ? undefined : 'SHA-256 differs from the record';
      },
    });
  }

  /**
   * Rebuild index/ from buildid/: every slot file is re-read (records that are missing
   * are derived from the ELF itself), orphans are dropped, entries are added before stale
   * ones are removed (readers never see an emptied index). A build-id that cannot be
   * indexed (an unreadable entry, a record no upload could write today) is skipped and
   * reported, never a reason not to start.
   */
  async rebuildIndex(): Promise<RebuildReport> {
    const wanted = new Set<string>();
    const names = new Set<string>();
    const skipped: RebuildReport['skipped'] = [];
    const skip = (buildId: string, reason: string) => {
      skipped.push({ buildId, reason });
      this.options.warn?.(`index rebuild skipped ${buildId}: ${reason}`);
    };
    let aliases = 0;
    const ids = await this.allIds();
    for (const id of ids) {
      try {
        const records = await this.readRecords(id, { repair: true });
        if (Object.keys(records).length === 0) {
          await this.objects.deletePrefix(objectKey('buildid', id));
          continue;
        }
        for (const r of Object.values(records)) {
          names.add(r.name);
          const k = objectKey('index', 'names', nameKey(r.name), id);
          if (!wanted.has(k)) await this.objects.writeText(k, '');
          wanted.add(k);
          if (!r.go_build_id || !r.gnu_build_id) continue;
          if (!isBuildId(goBuildIdKey(r.go_build_id))) {
            skip(id, `its Go build id (${r.go_build_id.length} bytes) is longer than any build-id a request may name; it is found by its GNU build-id only`);
            continue;
          }
          const a = objectKey('index', 'alias', goBuildIdKey(r.go_build_id));
          await this.objects.writeText(a, id);
          wanted.add(a);
          aliases++;
        }
      } catch (err) {
        skip(id, (err as Error).message);
      }
    }
    // Stale entries (deleted build-ids, renamed records) go after the new ones are in.
    for (const nk of await this.objects.list('index/names')) {
      for (const id of await this.objects.list(`index/names/${nk}`)) {
        const k = `index/names/${nk}/${id}`;
        if (!wanted.has(k)) await this.objects.delete(k);
      }
    }
    for (const a of await this.objects.list('index/alias')) if (!wanted.has(`index/alias/${a}`)) await this.objects.delete(`index/alias/${a}`);
    await this.objects.writeText('index/VERSION', INDEX_VERSION);
    // The layout before index/ existed kept these at the root.
    await this.objects.deletePrefix('names');
    await this.objects.deletePrefix('alias');
    return { buildIds: ids.length, names: names.size, aliases, skipped };
  }

  // ---- internals ----------------------------------------------------------

  private key(id: string, slot: Slot): string {
    if (!isBuildId(id)) throw new SymbridgeError('INPUT_INVALID', `not a build-id: ${id.slice(0, 80)}`);
    return objectKey('buildid', id, slot);
  }

  private artifactKey(id: string, name: string): string {
    if (!isBuildId(id)) throw new SymbridgeError('INPUT_INVALID', `not a build-id: ${id.slice(0, 80)}`);
    if (!ARTIFACT.test(name) || (SLOTS as readonly string[]).includes(name)) throw new Error(`not an artifact name: ${name.slice(0, 40)}`);
    return objectKey('buildid', id, name);
  }

  private async allIds(): Promise<string[]> {
    return (await this.objects.list('buildid')).filter(isBuildId).sort();
  }

  private async hasAnySlot(id: string, objects: ObjectStore = this.objects): Promise<boolean> {
    for (const slot of SLOTS) if (await objects.stat(this.key(id, slot))) return true;
    return false;
  }

  /** Which stored build-id holds `slot` for `id` (after one upstream try); debuginfo may be the debuglink partner's. */
  private async locate(id: string, slot: Slot): Promise<{ id: string } | undefined> {
    const own = await this.locateSlot(id, slot);
    if (own || slot !== 'debuginfo') return own;
    const key = await this.resolveId(id);
    const exe = key ? (await this.readRecords(key)).executable : undefined;
    if (!exe?.debuglink) return undefined;
    for (const other of await this.findByName(exe.debuglink.name)) {
      const dbg = (await this.readRecords(other)).debuginfo;
      if (dbg && dbg.crc32 === exe.debuglink.crc) return { id: other };
    }
    return undefined;
  }

  private async locateSlot(id: string, slot: Slot): Promise<{ id: string } | undefined> {
    const present = async () => {
      const key = await this.resolveId(id);
      return key && (await this.objects.stat(this.key(key, slot))) ? { id: key } : undefined;
    };
    const here = await present();
    if (here || !this.options.upstream?.enabled) return here;
    await this.ensure(id.toLowerCase(), slot);
    return present();
  }

  /** The slot's file as a local path: in place on fs; on S3 through the cache, verified by build-id and size. */
  private async localFile(id: string, want: Slot): Promise<string | undefined> {
    const local = this.objects.localPath(this.key(id, want));
    if (local) return local;
    const records = await this.readRecords(id);
    // An unstripped build fills both slots with the same bytes: fetch them once.
    const slot: Slot = records[want]?.kind === 'both' && records.debuginfo?.kind === 'both' ? 'debuginfo' : want;
    const k = this.key(id, slot);
    const record = records[slot];
    return this.options.cache!.get(k, {
      download: (to) => this.objects.download(k, to),
      verify: async (p) => {
        const size = (await stat(p)).size;
        if (record && size !== record.size) return `${size} bytes, the record says ${record.size}`;
        const info = await this.inspect(p, `${slot} of ${id}`);
        const ids = [primaryBuildId(info), info.goBuildId ? goBuildIdKey(info.goBuildId) : undefined];
        return ids.includes(id) ? undefined : `its build-id is ${ids[0] ?? 'missing'}, not ${id}`;
      },
    });
  }

  /** The records of the files present; a missing or unreadable record is derived from the file. */
  private async readRecords(id: string, opts: { repair?: boolean } = {}): Promise<Partial<Record<Slot, FileRecord>>> {
    const out: Partial<Record<Slot, FileRecord>> = {};
    for (const slot of SLOTS) {
      const fileKey = this.key(id, slot);
      const st = await this.objects.stat(fileKey);
      const sidecar = `${fileKey}.json`;
      if (!st) {
        if (opts.repair) await this.objects.delete(sidecar);
        continue;
      }
      const text = await this.objects.readText(sidecar);
      let record = text ? parseRecord(text) : undefined;
      if (!record) {
        record = await this.deriveRecord(id, slot, st);
        if (!record) continue;
        if (opts.repair) await this.objects.writeText(sidecar, JSON.stringify(record, null, 2));
      }
      out[slot] = record;
    }
    return out;
  }

  /** A record for a file stored without one (an older layout, a lost record), read from the ELF itself. */
  private async deriveRecord(id: string, slot: Slot, st: ObjectStat): Promise<FileRecord | undefined> {
    const legacy = await this.objects.readText(objectKey('buildid', id, 'meta.json'));
    const legacyMeta = legacy ? (parseRecord(legacy) as { name?: string; uploaded_at?: string } | undefined) : undefined;
    const k = this.key(id, slot);
    const local = this.objects.localPath(k);
    const tmp = local ? undefined : this.tempPath();
    try {
      if (tmp && !(await this.objects.download(k, tmp))) return undefined;
      const info = await this.inspect(local ?? tmp!, legacyMeta?.name ?? id).catch(() => undefined);
      if (!info) {
        this.options.warn?.(`stored ${slot} of ${id} is not readable ELF; ignoring it`);
        return undefined;
      }
      const record = recordOf(info, legacyMeta?.name ?? id, { size: st.size }, undefined);
      record.uploaded_at = legacyMeta?.uploaded_at ?? st.mtime.toISOString();
      return record;
    } finally {
      if (tmp) await rm(tmp, { force: true });
    }
  }

  private async indexRecord(id: string, record: FileRecord): Promise<void> {
    await this.objects.writeText(objectKey('index', 'names', nameKey(record.name), id), '');
    if (record.go_build_id && record.gnu_build_id) {
      await this.objects.writeText(objectKey('index', 'alias', goBuildIdKey(record.go_build_id)), id);
    }
  }

  /** Fetch a missing slot from upstream once: concurrent callers share it, a miss is remembered (in Redis when shared). */
  private ensure(id: string, slot: Slot): Promise<void> {
    const upstream = this.options.upstream;
    if (!upstream?.enabled || !isBuildId(id)) return Promise.resolve();
    const key = `${id}/${slot}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = (async () => {
        if (await this.misses.has(key)) return;
        const hit = await upstream.fetch(id, slot, () => this.tempPath());
        if (!hit) {
          await this.misses.add(key, NEGATIVE_TTL_MS);
          return;
        }
        try {
          await this.ingest(hit, hit.fileName ?? id, { expectId: id, source: hit.url });
          this.upstreamFetches++;
        } catch (err) {
          if (err instanceof SymbridgeError && err.code === 'STORAGE_UNAVAILABLE') throw err;
          await this.misses.add(key, NEGATIVE_TTL_MS);
          this.options.warn?.(`upstream ${hit.url} sent an unusable ${slot} for ${id}: ${(err as Error).message}`);
        }
      })().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Temp files older than a day are leftovers of a crash (other instances may share .tmp). */
  private async sweepTemp(): Promise<void> {
    for (const name of await readdir(this.tempDir).catch(() => [] as string[])) {
      const p = join(this.tempDir, name);
      const st = await stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > TMP_MAX_AGE_MS) await rm(p, { recursive: true, force: true });
    }
  }
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A file that holds code must hold its PT_LOAD segments: normalization rebases PCs
 * against them, and a segment past the end is a truncated or crafted file. (Separate
 * debug files keep the original headers over NOBITS sections: not checked.)
 */
function requireLoadableSegments(info: ElfInfo, size: number, name: string): void {
  if (!info.contents.text) return;
  for (const seg of loadSegments(info)) {
    if (seg.filesz > 0n && seg.offset + seg.filesz > BigInt(size)) {
      throw new ElfError(
        `${name}: a PT_LOAD segment spans file bytes ${seg.offset}..${seg.offset + seg.filesz}, past the end of the ${size}-byte file (truncated or damaged)`,
        { offset: Number(seg.offset), path: name },
      );
    }
  }
}

/**
 * A Go build id is keyed by its text's hex bytes: real ones are ~83 bytes; one longer
 * than a build-id key may be (128 bytes) could never be asked for, nor be a file name.
 */
function requireIndexableGoId(info: ElfInfo, name: string): void {
  if (info.goBuildId && !isBuildId(goBuildIdKey(info.goBuildId))) {
    throw new SymbridgeError('ELF_INVALID', `${name} has a Go build id of ${Buffer.byteLength(info.goBuildId)} bytes; real ones are about 83 and at most 128 are accepted (crafted or damaged note)`, {
      path: name,
    });
  }
}

function recordOf(info: ElfInfo, name: string, file: { size: number; crc32?: number }, source: string | undefined): FileRecord {
  return {
    name,
    size: file.size,
    kind: kindOf(info),
    arch: info.header.machineName,
    elf_type: info.header.typeName,
    has: contentsOf(info),
    gnu_build_id: info.gnuBuildId,
    go_build_id: info.goBuildId,
    debuglink: info.debuglink,
    crc32: file.crc32,
    uploaded_at: new Date().toISOString(),
    source,
  };
}

function parseRecord(text: string): FileRecord | undefined {
  try {
    const r = JSON.parse(text) as FileRecord;
    return r && typeof r.name === 'string' && typeof r.size === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

