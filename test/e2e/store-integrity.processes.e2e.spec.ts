import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, LIBCRASHY, LIBCRASHY_ID, HELLO_ID, storeCase } from '../support/fixtures';
import { ServiceProcess, startHttpProcess, uniquePrefix } from '../support/processes';
import { upload } from '../support/service';

/**
 * The store can never stop the service, and an upload is all-or-nothing: the real
 * service as `node dist/main.js` processes, restarted on the same storage root.
 * (issue 14, item 1: a name that URL-encoded past 255 bytes answered 500, stayed in
 * buildid/ without an index entry, and the next index rebuild made every process exit 1.)
 */
jest.setTimeout(60_000);

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const started: ServiceProcess[] = [];
const dirs: string[] = [];

function storage(): string {
  const d = mkdtempSync(join(tmpdir(), 'symbridge-integrity-'));
  dirs.push(d);
  return d;
}
async function start(root: string): Promise<ServiceProcess> {
  const p = await startHttpProcess('api', { redisUrl, prefix: uniquePrefix('integrity'), storageRoot: root });
  started.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function idsNamed(url: string, name: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/symbols?name=${encodeURIComponent(name)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { build_id: string }[] }).items.map((i) => i.build_id);
}

// Names whose URL-encoding is far past NAME_MAX (255 bytes): '%' encodes as 3 bytes,
// '€' as 9, an emoji as 12. Linux itself allows file names of 255 bytes: keep them whole.
const longNames = ['%'.repeat(100), '€'.repeat(150), '🦀'.repeat(60), `lib${'x'.repeat(240)}.so`];

describe('file names whose encoding is longer than a path component', () => {
  it('are stored, indexed and found by name, and survive an index rebuild at the next start', async () => {
    const root = storage();
    let api = await start(root);
    const files = [LIBCRASHY, storeCase('hello'), join(FIXTURES, 'elf-cases', 'build', 'libbase.so'), join(FIXTURES, 'elf-cases', 'build', 'main-pie')];
    const ids: string[] = [];
    for (const [i, name] of longNames.entries()) {
      const res = await upload(api.url!, [{ name, data: readFileSync(files[i]) }]);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { files: { name: string; build_id: string }[] };
      expect(body.files[0].name).toBe(name);
      ids.push(body.files[0].build_id);
      expect(await idsNamed(api.url!, name)).toEqual([body.files[0].build_id]);
    }
    expect(ids).toContain(LIBCRASHY_ID);

    // The index is derived: without it, the next start rebuilds it from buildid/.
    await api.stop();
    rmSync(join(root, 'index'), { recursive: true, force: true });
    api = await start(root);
    for (const [i, name] of longNames.entries()) expect(await idsNamed(api.url!, name)).toEqual([ids[i]]);
    expect(api.logs).not.toMatch(/"level":50/);
  });
});

describe('an index rebuild meets something it cannot index', () => {
  it('skips it, says so in the log, indexes the rest and starts', async () => {
    const root = storage();
    let api = await start(root);
    expect((await upload(api.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
    await api.stop();
    // A record an older version wrote: a Go build id far longer than any real one (the alias
    // key would be 600 hex digits, past NAME_MAX). It must not keep the service from starting.
    const odd = 'ab'.repeat(20);
    const dir = join(root, 'buildid', odd);
    mkdirSync(dir, { recursive: true });
    copyFileSync(storeCase('hello'), join(dir, 'executable'));
    const record = JSON.parse(readFileSync(join(root, 'buildid', LIBCRASHY_ID, 'executable.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'executable.json'), JSON.stringify({ ...record, name: 'odd.so', gnu_build_id: odd, go_build_id: 'g'.repeat(300) }));
    rmSync(join(root, 'index'), { recursive: true, force: true });

    api = await start(root);
    expect(await idsNamed(api.url!, 'libcrashy.so')).toEqual([LIBCRASHY_ID]);
    expect(await idsNamed(api.url!, 'odd.so')).toEqual([odd]); // its name is indexed; only the alias is not
    expect(api.logs).toMatch(new RegExp(`index rebuild skipped[^\\n]*${odd}`));
  });
});

describe('an upload is all-or-nothing', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m], { stdio: 'ignore' });
  });

  it('when the index cannot be written, the files are not left visible under buildid/', async () => {
    const root = storage();
    const api = await start(root);
    expect((await upload(api.url!, [{ name: 'hello', data: readFileSync(storeCase('hello')) }])).status).toBe(200);
    // index/ read-only (a bind mount over itself), buildid/ still writable.
    const index = join(root, 'index');
    try {
      execFileSync('mount', ['--bind', index, index], { stdio: 'ignore' });
      mounts.push(index);
      execFileSync('mount', ['-o', 'remount,bind,ro', index], { stdio: 'ignore' });
    } catch {
      console.warn('SKIPPED: bind mounts are not permitted here (needs root / CAP_SYS_ADMIN)');
      return;
    }
    const res = await upload(api.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringMatching(/nothing was stored/) });
    expect(readdirSync(join(root, 'buildid'))).toEqual([HELLO_ID]);
    expect(existsSync(join(root, 'buildid', LIBCRASHY_ID))).toBe(false);
    expect((await fetch(`${api.url}/v1/symbols/${LIBCRASHY_ID}`)).status).toBe(404);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    // The store is still whole for what was there.
    expect((await fetch(`${api.url}/v1/symbols/${HELLO_ID}`)).status).toBe(200);
  });
});
