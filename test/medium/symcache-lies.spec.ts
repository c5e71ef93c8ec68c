import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInChild, SymcacheBuildError } from '../../src/symcache/symcache-build';
import { FIXTURES } from '../support/fixtures';

/**
 * DWARF that lies (test/fixtures/dwarf-cases/lies.js: copies of inline-dwarf4 with a few
 * bytes changed) never takes a worker down: the build runs in a child process with a
 * memory cap and fails with a reason that says what is wrong and where; that reason is
 * what `GET /v1/symbols/ID` shows as `symcache: failed (why)`.
 */
const B = join(FIXTURES, 'dwarf-cases', 'build');
let tmp: string;
beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'symcache-lies-'))));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts = { maxMb: 512, timeoutMs: 60_000 };

it.each([
  ['lie-origin-cycle', /abstract_origin|cycle|chain/i],
  ['lie-str-past', /debug_str.*(past|outside|beyond|end)|(past|outside|beyond).*debug_str/i],
  ['lie-abbrev-past', /debug_abbrev/i],
  ['lie-unit-length', /debug_info.*(length|past|end)|(length|past).*debug_info/i],
])('%s fails the build, saying why', async (name, why) => {
  const err = await buildInChild(join(B, name), join(tmp, `${name}.symcache`), opts).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(SymcacheBuildError);
  expect(err!.message).toMatch(why);
});

it('a good file builds in the child (the same code path), with its stats', async () => {
  const stats = await buildInChild(join(B, 'inline-dwarf4'), join(tmp, 'good.symcache'), opts);
  expect(stats.mode).toBe('dwarf');
  expect(stats.ranges).toBeGreaterThan(10);
  expect(stats.peakRssMb).toBeGreaterThan(10);
});

it('a build past its memory cap is stopped with that reason', async () => {
  // libgojnicrash.so is a real Go c-shared library: 64 MB of heap is not enough for its build.
  const err = await buildInChild(join(FIXTURES, 'jni-crash', 'build', 'libgojnicrash.so'), join(tmp, 'cap.symcache'), { maxMb: 64, timeoutMs: 60_000 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(SymcacheBuildError);
  expect(err!.message).toMatch(/SYMCACHE_BUILD_MAX_MB|memory/);
});

it('a build past its deadline is stopped with that reason', async () => {
  const err = await buildInChild(join(B, 'inline-dwarf4'), join(tmp, 'slow.symcache'), { maxMb: 512, timeoutMs: 50 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(SymcacheBuildError);
  expect(err!.message).toMatch(/SYMCACHE_BUILD_TIMEOUT_MS \(50 ms\)/);
});
