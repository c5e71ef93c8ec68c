import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSource } from '../adapters/range-source.adapter';
import { readElf } from '../elf/elf-file';
import { ElfInfo, goBuildIdKey, primaryBuildId } from '../elf/elf-types';
import { ElfError, SymbridgeError } from '../model/errors';
import { basename } from '../normalize/find-mapping';
import { kindOf, StoredFileMeta } from './stored-file';

/**
 * Debug files by build-id under the storage root:
 *   buildid/<id>/executable | debuginfo   the file(s); one that is both is hard-linked
 *   buildid/<id>/meta.json                StoredFileMeta
 *   alias/<go-build-id-hex>               -> primary id (Go binaries with a GNU id too)
 *   names/<file name>/<id>                the by-name index (one store holds many builds)
 *   .tmp/                                 uploads in flight; renamed into place when verified
 * Everything is derivable from buildid/, so a lost index can be rebuilt.
 */
const BUILD_ID = /^[0-9a-f]{8,256}$/;

export interface IngestResult {
  meta: StoredFileMeta;
  created: boolean;
}

export class SymbolStore {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await Promise.all(['buildid', 'alias', 'names', '.tmp'].map((d) => mkdir(join(this.root, d), { recursive: true })));
  }

  /** A fresh path in the store's own temp folder (same file system, so rename is atomic). */
  tempPath(): string {
    return join(this.root, '.tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  static isBuildId(id: string): boolean {
    return BUILD_ID.test(id);
  }

  /**
   * Verify a fully written temp file as ELF with a build-id and move it into place.
   * Idempotent: the same build-id again leaves the stored file untouched.
   */
  async ingest(tmp: string, name: string): Promise<IngestResult> {
    try {
      const info = await this.inspect(tmp, name);
      const id = primaryBuildId(info);
      if (!id) {
        throw new SymbridgeError(
          'NO_BUILD_ID',
          `${name} has no build-id note (neither GNU nor Go), so crashes cannot be matched to it: ` +
            `relink it with -Wl,--build-id (gcc/clang), then upload the new build`,
          { path: name },
        );
      }
      const kind = kindOf(info);
      const dir = join(this.root, 'buildid', id);
      await mkdir(dir, { recursive: true });
      const primary = kind === 'debuginfo' ? 'debuginfo' : 'executable';
      const target = join(dir, primary);
      const created = !(await exists(target));
      if (created) {
        await rename(tmp, target);
        if (kind === 'both') await link(target, join(dir, 'debuginfo')).catch(ignoreExists);
      }
      const meta: StoredFileMeta = {
        build_id: id,
        gnu_build_id: info.gnuBuildId,
        go_build_id: info.goBuildId,
        name: basename(name),
        size: (await stat(target)).size,
        arch: info.header.machineName,
        elf_type: info.header.typeName,
        kind: (await exists(join(dir, 'executable'))) && (await exists(join(dir, 'debuginfo'))) ? 'both' : kind,
        has: {
          symtab: info.contents.symtab,
          dynsym: info.contents.dynsym,
          dwarf: info.contents.debugInfo,
          gopclntab: info.contents.gopclntab,
        },
        debuglink: info.debuglink,
        uploaded_at: new Date().toISOString(),
      };
      const previous = await this.get(id);
      const merged = previous && !created ? { ...previous, kind: meta.kind } : meta;
      await writeAtomic(join(dir, 'meta.json'), JSON.stringify(merged, null, 2));
      await mkdir(join(this.root, 'names', merged.name), { recursive: true });
      await writeFile(join(this.root, 'names', merged.name, id), '');
      if (info.goBuildId && info.gnuBuildId) await writeAtomic(join(this.root, 'alias', goBuildIdKey(info.goBuildId)), id);
      return { meta: merged, created };
    } finally {
      await rm(tmp, { force: true });
    }
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

  async resolveId(id: string): Promise<string | undefined> {
    const key = id.toLowerCase();
    if (!SymbolStore.isBuildId(key)) return undefined;
    if (await exists(join(this.root, 'buildid', key, 'meta.json'))) return key;
    const alias = await readFile(join(this.root, 'alias', key), 'utf8').catch(() => undefined);
    return alias && SymbolStore.isBuildId(alias) ? alias : undefined;
  }

  async get(id: string): Promise<StoredFileMeta | undefined> {
    const key = await this.resolveId(id);
    if (!key) return undefined;
    const text = await readFile(join(this.root, 'buildid', key, 'meta.json'), 'utf8').catch(() => undefined);
    return text ? (JSON.parse(text) as StoredFileMeta) : undefined;
  }

  /** Build-ids stored under a file name (the by-name index). */
  async findByName(name: string): Promise<string[]> {
    if (name === '' || name.includes('/') || name === '.' || name === '..') return [];
    return readdir(join(this.root, 'names', name)).catch(() => []);
  }

  /** Path of the file to symbolize with: the debug file when there is one, else the executable. */
  async symbolFile(id: string): Promise<string | undefined> {
    const key = await this.resolveId(id);
    if (!key) return undefined;
    for (const kind of ['debuginfo', 'executable']) {
      const p = join(this.root, 'buildid', key, kind);
      if (await exists(p)) return p;
    }
    return undefined;
  }

  /** Path of the file whose program headers describe the loaded layout. */
  async layoutFile(id: string): Promise<string | undefined> {
    const key = await this.resolveId(id);
    if (!key) return undefined;
    for (const kind of ['executable', 'debuginfo']) {
      const p = join(this.root, 'buildid', key, kind);
      if (await exists(p)) return p;
    }
    return undefined;
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

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}
