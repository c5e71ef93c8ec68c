import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SymbridgeError } from '../../../src/model/errors';
import { requireBuildId } from '../../../src/symbol-store/build-id';
import { SymbolStore } from '../../../src/symbol-store/symbol-store.service';
import { writeToTempFile } from '../../../src/symbol-store/temp-file.writer';
import { HELLO_ID, LIBCRASHY, LIBCRASHY_ID, storeCase } from '../../support/fixtures';

const ALT_ID = '00112233445566778899aabbccddeeff00112233';

/** The store on a real temp directory with the real fixture ELF files (no HTTP). */
let root: string;
let store: SymbolStore;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'symbridge-store-unit-'));
  store = new SymbolStore(root);
  await store.init();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function put(s: SymbolStore, path: string, name: string) {
  const written = await writeToTempFile(createReadStream(path), s.tempPath(), 1 << 30, name);
  return s.ingest(written, name);
}

async function tmpLeft(): Promise<string[]> {
  return readdir(join(root, '.tmp'));
}

describe('ingest', () => {
  it('an unstripped -g build fills both slots with one inode; what it holds is reported', async () => {
    const r = await put(store, storeCase('hello'), 'hello');
    expect(r).toMatchObject({ buildId: HELLO_ID, created: true, file: { kind: 'both', has: { dwarf: true, symtab: true } } });
    const exe = join(root, 'buildid', HELLO_ID, 'executable');
    const dbg = join(root, 'buildid', HELLO_ID, 'debuginfo');
    expect(statSync(exe).ino).toBe(statSync(dbg).ino);
    expect(readFileSync(exe).equals(readFileSync(storeCase('hello')))).toBe(true);
    expect(r.file.crc32).toBeGreaterThan(0);
    expect(await tmpLeft()).toEqual([]);
  });

  it('a stripped binary and its debug file uploaded apart make one build-id with both slots', async () => {
    const a = await put(store, storeCase('hello.stripped'), 'hello');
    expect(a.file).toMatchObject({ kind: 'executable', has: { dwarf: false, symtab: true }, debuglink: { name: 'hello.debug' } });
    expect(a.meta.kind).toBe('executable');
    const b = await put(store, storeCase('hello.debug'), 'hello.debug');
    expect(b).toMatchObject({ buildId: HELLO_ID, created: true, file: { kind: 'debuginfo' }, meta: { kind: 'both', has: { dwarf: true } } });
    // The debuglink's CRC names exactly the debug file we hold.
    expect(b.file.crc32).toBe(a.file.debuglink!.crc);
    expect(await store.symbolFile(HELLO_ID)).toBe(join(root, 'buildid', HELLO_ID, 'debuginfo'));
    expect(await store.layoutFile(HELLO_ID)).toBe(join(root, 'buildid', HELLO_ID, 'executable'));
    expect(readFileSync((await store.debugFile(HELLO_ID))!).equals(readFileSync(storeCase('hello.debug')))).toBe(true);
  });

  it('the same build-id ingested concurrently stores one intact copy; exactly one upload is "created"', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => put(store, LIBCRASHY, 'libcrashy.so')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.buildId))).toEqual(new Set([LIBCRASHY_ID]));
    expect(readFileSync(join(root, 'buildid', LIBCRASHY_ID, 'debuginfo')).equals(readFileSync(LIBCRASHY))).toBe(true);
    expect((await readdir(join(root, 'buildid', LIBCRASHY_ID))).sort()).toEqual(['debuginfo', 'debuginfo.json', 'executable', 'executable.json']);
    expect(await tmpLeft()).toEqual([]);
  });

  it('a file without a build-id is refused, saying how to add one; nothing is kept', async () => {
    const err = await put(store, storeCase('no-build-id'), 'no-build-id').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SymbridgeError);
    expect((err as SymbridgeError).code).toBe('NO_BUILD_ID');
    expect((err as SymbridgeError).message).toMatch(/no-build-id has no build-id note.*-Wl,--build-id/);
    expect(await readdir(join(root, 'buildid'))).toEqual([]);
    expect(await tmpLeft()).toEqual([]);
  });

  it('a stripped module uploaded first resolves with DWARF as soon as its debug file arrives', async () => {
    await put(store, storeCase('libcrashy.stripped.so'), 'libcrashy.so');
    expect(await store.symbolFile(LIBCRASHY_ID)).toBe(join(root, 'buildid', LIBCRASHY_ID, 'executable'));
    expect(await store.debugFile(LIBCRASHY_ID)).toBeUndefined();
    await put(store, storeCase('libcrashy.so.debug'), 'libcrashy.so.debug');
    expect(await store.symbolFile(LIBCRASHY_ID)).toBe(join(root, 'buildid', LIBCRASHY_ID, 'debuginfo'));
  });

  it('a debug file under another build-id is found through the .gnu_debuglink (name + CRC) of the stripped module', async () => {
    await put(store, storeCase('hello.alt.stripped'), 'hello');
    expect(await store.debugFile(HELLO_ID)).toBeUndefined();
    const alt = await put(store, storeCase('hello.alt.debug'), 'hello.alt.debug');
    expect(alt.buildId).toBe(ALT_ID);
    expect(await store.symbolFile(HELLO_ID)).toBe(join(root, 'buildid', ALT_ID, 'debuginfo'));
    expect(await store.layoutFile(HELLO_ID)).toBe(join(root, 'buildid', HELLO_ID, 'executable'));
  });

  it('a file with the debuglink name but another CRC is not a partner', async () => {
    await put(store, storeCase('hello.alt.stripped'), 'hello');
    const impostor = await put(store, storeCase('libcrashy.so.debug'), 'hello.alt.debug');
    expect(await store.findByName('hello.alt.debug')).toEqual([impostor.buildId]);
    expect(await store.debugFile(HELLO_ID)).toBeUndefined();
    expect(await store.symbolFile(HELLO_ID)).toBe(join(root, 'buildid', HELLO_ID, 'executable'));
  });
});

describe('index', () => {
  it('survives a restart and is rebuilt from the files when deleted (sidecars re-derived from the ELF)', async () => {
    await put(store, storeCase('hello.stripped'), 'hello');
    await put(store, LIBCRASHY, 'libcrashy.so');
    const before = await store.get(LIBCRASHY_ID);
    // A restart keeps it.
    const again = new SymbolStore(root);
    await again.init();
    expect(await again.findByName('libcrashy.so')).toEqual([LIBCRASHY_ID]);
    // Lose the whole index and one file's record: a fresh process rebuilds both.
    await rm(join(root, 'index'), { recursive: true });
    await rm(join(root, 'buildid', HELLO_ID, 'executable.json'));
    expect(await again.findByName('libcrashy.so')).toEqual([]);
    const rebuilt = new SymbolStore(root);
    await rebuilt.init();
    expect(await rebuilt.findByName('libcrashy.so')).toEqual([LIBCRASHY_ID]);
    expect(await rebuilt.get(LIBCRASHY_ID)).toEqual(before);
    const hello = await rebuilt.get(HELLO_ID);
    expect(hello).toMatchObject({ kind: 'executable', has: { symtab: true, dwarf: false }, debuglink: { name: 'hello.debug' } });
    expect(readFileSync(join(root, 'buildid', HELLO_ID, 'executable.json'), 'utf8')).toContain('"kind": "executable"');
    // rebuildIndex() by hand answers what it found.
    expect(await rebuilt.rebuildIndex()).toEqual({ buildIds: 2, names: 2, aliases: 0, skipped: [] });
  });

  it('lists by name and pages by cursor', async () => {
    await put(store, storeCase('hello'), 'same.so');
    await put(store, LIBCRASHY, 'same.so');
    const first = await store.list({ name: 'same.so', limit: 1 });
    expect(first.items.map((m) => m.build_id)).toEqual([LIBCRASHY_ID]);
    expect(first.next_cursor).toBe(LIBCRASHY_ID);
    const second = await store.list({ name: 'same.so', limit: 1, cursor: first.next_cursor });
    expect(second.items.map((m) => m.build_id)).toEqual([HELLO_ID]);
    expect(second.next_cursor).toBeUndefined();
    expect((await store.list({ limit: 10 })).items).toHaveLength(2);
    expect((await store.list({ name: 'other.so', limit: 10 })).items).toEqual([]);
  });

  it('delete removes the files and the index entries', async () => {
    await put(store, LIBCRASHY, 'libcrashy.so');
    expect(await store.delete(LIBCRASHY_ID)).toBe(true);
    expect(await store.get(LIBCRASHY_ID)).toBeUndefined();
    expect(await store.findByName('libcrashy.so')).toEqual([]);
    expect(await store.delete(LIBCRASHY_ID)).toBe(false);
    expect(await tmpLeft()).toEqual([]);
  });

  it('names that are path tricks stay one directory entry under index/names', async () => {
    await put(store, storeCase('hello'), '..');
    expect(await store.findByName('..')).toEqual([HELLO_ID]);
    expect(await readdir(join(root, 'index', 'names'))).toEqual(['%2E%2E']);
  });
});

describe('build-ids from requests', () => {
  it.each(['..', '../../etc/passwd', 'abc', 'abcdefg1', 'zz'.repeat(10), 'a'.repeat(257), '0123456789abcde'])('refuses %s', (raw) => {
    expect(() => requireBuildId(raw)).toThrow(/is not a build-id/);
  });
  it('accepts GNU ids in any case, lowercased', () => {
    expect(requireBuildId(LIBCRASHY_ID.toUpperCase())).toBe(LIBCRASHY_ID);
  });
});
