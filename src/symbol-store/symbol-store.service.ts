import { randomBytes } from 'node:crypto';
import { Dirent } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSource } from '../adapters/range-source.adapter';
import { readElf } from '../elf/elf-file';
import { ElfInfo, goBuildIdKey, loadSegments, primaryBuildId } from '../elf/elf-types';
import { ElfError, SymbridgeError } from '../model/errors';
import { isBuildId } from './build-id';
import { DebuginfodUpstream } from './debuginfod-upstream';
import { combine, contentsOf, FileRecord, Slot, SLOTS, slotsOf, StoredFileMeta, kindOf } from './stored-file';
import { fileName, nameKey } from './name-key';
import { WrittenFile } from './temp-file.writer';

/**
 * Debug files by build-id under the storage root:
 *   buildid/<id>/executable | debuginfo     the files (one that is both is hard-linked twice)
 *   buildid/<id>/<slot>.json                FileRecord: the source of truth beside each file
 *   index/names/<name>/<id>                 by-name index (one store holds many builds of a name)
 *   index/alias/<go-build-id-hex>           -> primary id (Go binaries that also have a GNU id)
 *   index/VERSION                           missing or old: the index is rebuilt at start
 *   .tmp/                                   uploads in flight; linked into place when verified
 * The index is derived from buildid/ and can always be rebuilt (rebuildIndex).
 * Every path joined here is made of a validated build-id, a slot name or an encoded
 * file name: nothing from a request reaches the file system unchecked.
 */
const INDEX_VERSION = '2';
const NEGATIVE_TTL_MS = 10 * 60_000;
const TMP_MAX_AGE_MS = 24 * 3600_000;

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

export interface StoreOptions {
  upstream?: DebuginfodUpstream;
  warn?: (msg: string) => void;
  info?: (msg: string) => void;
}

export class SymbolStore {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly misses = new Map<string, number>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Upstream downloads kept (observable by tests and metrics). */
  upstreamFetches = 0;

  constructor(
    readonly root: string,
    private readonly options: StoreOptions = {},
  ) {}

  static isBuildId(id: string): boolean {
    return isBuildId(id);
  }

  async init(): Promise<void> {
    await Promise.all(['buildid', '.tmp'].map((d) => mkdir(join(this.root, d), { recursive: true })));
    await this.sweepTemp().catch((err: Error) => this.options.warn?.(`old temp files not swept: ${err.message}`));
    const version = await readFile(join(this.root, 'index', 'VERSION'), 'utf8').catch(() => '');
    if (version.trim() === INDEX_VERSION) return;
    // Nothing stored may keep the service from starting: entries are skipped one by one,
    // and a store that cannot be indexed at all (read-only) is served with the index it has.
    try {
      const report = await this.rebuildIndex();
      this.options.info?.(`index rebuilt: ${report.buildIds} build-ids, ${report.names} names, ${report.aliases} aliases, ${report.skipped.length} skipped`);
    } catch (err) {
      this.options.warn?.(`index not rebuilt (${(err as Error).message}); lookups by name may miss files until it is`);
    }
  }

  /** A fresh path in the store's own temp folder (same file system, so link/rename is atomic). */
  tempPath(): string {
    return join(this.root, '.tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Verify a fully written temp file as ELF with a build-id and link it into place.
   * Idempotent and safe under concurrency: a slot is claimed with link(2), which fails
   * when it exists, so the same build-id uploaded twice (or at once) stores one file.
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
      // All or nothing: what this upload linked is unlinked again if anything after it fails,
      // so a build-id is visible only once its files, records and index entries are all in place.
      const created = await this.locked(id, () => this.place(id, tmp.path, record));
      const meta = combine(id, await this.readRecords(id));
      if (!meta) throw new SymbridgeError('STORAGE_UNAVAILABLE', `build-id ${id} vanished while it was stored (deleted concurrently?)`);
      return { buildId: id, file: record, meta, created };
    } finally {
      await rm(tmp.path, { force: true });
    }
  }

  /**
   * Link a verified temp file into its slots and index it; true when it created a slot.
   * link(2) keeps the files whole across processes (it fails when the slot exists), and the
   * per-id lock makes a file with two slots claim both as one step in this process.
   */
  private async place(id: string, tmpPath: string, record: FileRecord): Promise<boolean> {
    const dir = this.idDir(id);
    const linked: string[] = [];
    try {
      await mkdir(dir, { recursive: true });
      for (const slot of slotsOf(record.kind)) {
        const sidecarTmp = `${tmpPath}.${slot}.json`;
        await writeFile(sidecarTmp, JSON.stringify(record, null, 2));
        // Sidecar first: a reader that sees the file also sees what it is.
        const sidecar = join(dir, `${slot}.json`);
        if (await linkIfAbsent(sidecarTmp, sidecar).finally(() => rm(sidecarTmp, { force: true }))) linked.push(sidecar);
        if (await linkIfAbsent(tmpPath, join(dir, slot))) linked.push(join(dir, slot));
      }
      await this.indexRecord(id, record);
      return linked.some((p) => !p.endsWith('.json'));
    } catch (err) {
      await this.unplace(id, dir, linked, record).catch((undo: Error) =>
        this.options.warn?.(`could not undo a failed upload of ${id}: ${undo.message}; run an index rebuild`),
      );
      throw err;
    }
  }

  /** Undo `place`: remove what it linked, and the index entries when nothing is left of the id. */
  private async unplace(id: string, dir: string, linked: string[], record: FileRecord): Promise<void> {
    for (const p of linked.reverse()) await rm(p, { force: true });
    if (await this.hasAnySlot(id)) return;
    await rm(dir, { recursive: true, force: true });
    await rm(join(this.root, 'index', 'names', nameKey(record.name), id), { force: true });
    if (record.go_build_id && record.gnu_build_id) await rm(join(this.root, 'index', 'alias', goBuildIdKey(record.go_build_id)), { force: true });
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

  /** The stored primary id for a GNU or Go build-id, when present locally. */
  async resolveId(id: string): Promise<string | undefined> {
    const key = id.toLowerCase();
    if (!isBuildId(key)) return undefined;
    if (await this.hasAnySlot(key)) return key;
    const alias = (await readFile(join(this.root, 'index', 'alias', key), 'utf8').catch(() => '')).trim();
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
    const ids = await readdir(join(this.root, 'index', 'names', nameKey(name))).catch(() => [] as string[]);
    return ids.filter(isBuildId).sort();
  }

  /** Remove a build-id and its index entries; false when nothing was stored. */
  async delete(id: string): Promise<boolean> {
    const key = await this.resolveId(id);
    if (!key) return false;
    const records = await this.readRecords(key);
    const graveyard = join(this.root, '.tmp', `deleted-${key}-${randomBytes(4).toString('hex')}`);
    // Rename first: the build-id disappears at once, the bytes are removed after.
    await rename(this.idDir(key), graveyard);
    for (const r of Object.values(records)) {
      await rm(join(this.root, 'index', 'names', nameKey(r.name), key), { force: true });
      if (r.go_build_id && r.gnu_build_id) await rm(join(this.root, 'index', 'alias', goBuildIdKey(r.go_build_id)), { force: true });
    }
    this.misses.delete(`${key}/debuginfo`);
    this.misses.delete(`${key}/executable`);
    await rm(graveyard, { recursive: true, force: true });
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

  /** debuginfod's /debuginfo: the build-id's debug file or its debuglink partner. */
  async debugFile(id: string): Promise<string | undefined> {
    const own = await this.slotFile(id, 'debuginfo');
    if (own) return own;
    const key = await this.resolveId(id);
    const exe = key ? (await this.readRecords(key)).executable : undefined;
    if (!exe?.debuglink) return undefined;
    for (const other of await this.findByName(exe.debuglink.name)) {
      const dbg = (await this.readRecords(other)).debuginfo;
      if (dbg && dbg.crc32 === exe.debuglink.crc) return join(this.idDir(other), 'debuginfo');
    }
    return undefined;
  }

  /** One slot's file, fetched from the upstream servers once when it is missing here. */
  async slotFile(id: string, slot: Slot): Promise<string | undefined> {
    const local = await this.localSlot(id, slot);
    if (local || !this.options.upstream?.enabled) return local;
    await this.ensure(id.toLowerCase(), slot);
    return this.localSlot(id, slot);
  }

  async slotRecord(id: string, slot: Slot): Promise<FileRecord | undefined> {
    const key = await this.resolveId(id);
    return key ? (await this.readRecords(key))[slot] : undefined;
  }

  /**
   * Rebuild index/ from buildid/: every slot file is re-read (sidecars that are missing
   * are derived from the ELF itself), orphans are dropped, and the new index replaces
   * the old one in one rename. A build-id that cannot be indexed (an unreadable entry, a
   * record no upload could write today) is skipped and reported, never a reason not to start.
   */
  async rebuildIndex(): Promise<RebuildReport> {
    const next = join(this.root, '.tmp', `index-${randomBytes(4).toString('hex')}`);
    await mkdir(join(next, 'names'), { recursive: true });
    await mkdir(join(next, 'alias'), { recursive: true });
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
          await rm(this.idDir(id), { recursive: true, force: true });
          continue;
        }
        for (const r of Object.values(records)) {
          names.add(r.name);
          await mkdir(join(next, 'names', nameKey(r.name)), { recursive: true });
          await writeFile(join(next, 'names', nameKey(r.name), id), '');
          if (!r.go_build_id || !r.gnu_build_id) continue;
          if (!isBuildId(goBuildIdKey(r.go_build_id))) {
            skip(id, `its Go build id (${r.go_build_id.length} bytes) is longer than any build-id a request may name; it is found by its GNU build-id only`);
            continue;
          }
          await writeFile(join(next, 'alias', goBuildIdKey(r.go_build_id)), id);
          aliases++;
        }
      } catch (err) {
        skip(id, (err as Error).message);
      }
    }
    await writeFile(join(next, 'VERSION'), INDEX_VERSION);
    const old = join(this.root, '.tmp', `old-index-${randomBytes(4).toString('hex')}`);
    await rename(join(this.root, 'index'), old).catch(ignoreMissing);
    await rename(next, join(this.root, 'index'));
    await rm(old, { recursive: true, force: true });
    // The layout before index/ existed kept these at the root.
    await rm(join(this.root, 'names'), { recursive: true, force: true });
    await rm(join(this.root, 'alias'), { recursive: true, force: true });
    return { buildIds: ids.length, names: names.size, aliases, skipped };
  }

  // ---- internals ----------------------------------------------------------

  private idDir(id: string): string {
    if (!isBuildId(id)) throw new SymbridgeError('INPUT_INVALID', `not a build-id: ${id.slice(0, 80)}`);
    return join(this.root, 'buildid', id);
  }

  private async allIds(): Promise<string[]> {
    const entries = await readdir(join(this.root, 'buildid'), { withFileTypes: true }).catch(() => [] as Dirent[]);
    return entries
      .filter((e) => e.isDirectory() && isBuildId(e.name))
      .map((e) => e.name)
      .sort();
  }

  private async hasAnySlot(id: string): Promise<boolean> {
    for (const slot of SLOTS) if (await exists(join(this.root, 'buildid', id, slot))) return true;
    return false;
  }

  private async localSlot(id: string, slot: Slot): Promise<string | undefined> {
    const key = await this.resolveId(id);
    if (!key) return undefined;
    const p = join(this.idDir(key), slot);
    return (await exists(p)) ? p : undefined;
  }

  /** The records of the files present; a missing or unreadable sidecar is derived from the file. */
  private async readRecords(id: string, opts: { repair?: boolean } = {}): Promise<Partial<Record<Slot, FileRecord>>> {
    const dir = this.idDir(id);
    const out: Partial<Record<Slot, FileRecord>> = {};
    for (const slot of SLOTS) {
      const file = join(dir, slot);
      const st = await stat(file).catch(() => undefined);
      const sidecar = join(dir, `${slot}.json`);
      if (!st) {
        if (opts.repair) await rm(sidecar, { force: true });
        continue;
      }
      const text = await readFile(sidecar, 'utf8').catch(() => undefined);
      let record = text ? parseRecord(text) : undefined;
      if (!record) {
        const legacy = await readFile(join(dir, 'meta.json'), 'utf8').catch(() => undefined);
        const legacyMeta = legacy ? (parseRecord(legacy) as { name?: string; uploaded_at?: string } | undefined) : undefined;
        const info = await this.inspect(file, legacyMeta?.name ?? id).catch(() => undefined);
        if (!info) {
          this.options.warn?.(`stored ${slot} of ${id} is not readable ELF; ignoring it`);
          continue;
        }
        record = recordOf(info, legacyMeta?.name ?? id, { size: st.size }, undefined);
        record.uploaded_at = legacyMeta?.uploaded_at ?? st.mtime.toISOString();
        if (opts.repair) await writeAtomic(sidecar, JSON.stringify(record, null, 2));
      }
      out[slot] = record;
    }
    return out;
  }

  private async indexRecord(id: string, record: FileRecord): Promise<void> {
    const dir = join(this.root, 'index', 'names', nameKey(record.name));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, id), '');
    if (record.go_build_id && record.gnu_build_id) {
      await mkdir(join(this.root, 'index', 'alias'), { recursive: true });
      await writeAtomic(join(this.root, 'index', 'alias', goBuildIdKey(record.go_build_id)), id);
    }
  }

  /** Fetch a missing slot from upstream once: concurrent callers share it, a miss is remembered. */
  private ensure(id: string, slot: Slot): Promise<void> {
    const upstream = this.options.upstream;
    if (!upstream?.enabled || !isBuildId(id)) return Promise.resolve();
    const key = `${id}/${slot}`;
    const until = this.misses.get(key);
    if (until && until > Date.now()) return Promise.resolve();
    let p = this.inflight.get(key);
    if (!p) {
      p = (async () => {
        const hit = await upstream.fetch(id, slot, () => this.tempPath());
        if (!hit) {
          this.misses.set(key, Date.now() + NEGATIVE_TTL_MS);
          return;
        }
        try {
          await this.ingest(hit, hit.fileName ?? id, { expectId: id, source: hit.url });
          this.upstreamFetches++;
        } catch (err) {
          this.misses.set(key, Date.now() + NEGATIVE_TTL_MS);
          this.options.warn?.(`upstream ${hit.url} sent an unusable ${slot} for ${id}: ${(err as Error).message}`);
        }
      })().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Run `fn` after any earlier holder of `id`'s lock (in this process) is done. */
  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /** Temp files older than a day are leftovers of a crash (other instances may share .tmp). */
  private async sweepTemp(): Promise<void> {
    const dir = join(this.root, '.tmp');
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, name);
      const st = await stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > TMP_MAX_AGE_MS) await rm(p, { recursive: true, force: true });
    }
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

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
