import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResolvedSymbol } from '../../src/model/resolved-frame';
import { LocalFileCache } from '../../src/symbol-store/local-file.cache';
import { S3_QUEUE_SIZE, S3ObjectStore } from '../../src/symbol-store/s3-object.store';
import { SymbolStore } from '../../src/symbol-store/symbol-store.service';
import { writeToTempFile } from '../../src/symbol-store/temp-file.writer';
import { demangleBatch } from '../../src/symcache/demangle-batch';
import { buildSymcache } from '../../src/symcache/symcache-builder';
import { Symcache } from '../../src/symcache/symcache';
import { groundTruth, LIBCRASHY, LIBCRASHY_ID } from '../support/fixtures';
import { S3Server } from '../support/s3-server';

/**
 * Symcaches travel like the debug files (issue 18 item 2): built on one machine, stored as
 * a per-build-id artifact in the bucket, fetched by another machine's worker into its own
 * bounded cache once (even when asked concurrently), checked against the record's SHA-256,
 * and a cached copy that no longer matches is dropped and fetched again.
 */
let s3: S3Server;
const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  s3 = await S3Server.start();
});
afterAll(async () => {
  await s3?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function machine(prefix: string): { store: SymbolStore; cache: LocalFileCache } {
  process.env.AWS_ACCESS_KEY_ID = s3.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretKey;
  const objects = new S3ObjectStore({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, timeoutMs: 5000, partSize: 5 * 1024 * 1024, queueSize: S3_QUEUE_SIZE });
  const dir = tmp('symbridge-cache-');
  const cache = new LocalFileCache(dir, 1024 ** 3);
  return { store: new SymbolStore(objects, { cache, tempDir: join(dir, '.uploads') }), cache };
}

it('a symcache stored by one machine is fetched once by another, verified, and answers as built', async () => {
  const prefix = `symc-${Math.random().toString(36).slice(2, 8)}/`;
  const a = machine(prefix);
  const b = machine(prefix);
  await a.store.init();
  await b.store.init();
  const written = await writeToTempFile(createReadStream(LIBCRASHY), a.store.tempPath(), 1 << 30, 'libcrashy.so');
  expect((await a.store.ingest(written, 'libcrashy.so')).meta.build_id).toBe(LIBCRASHY_ID);
  const built = await buildSymcache(LIBCRASHY, { demangle: (n) => demangleBatch(n) });
  const local = join(tmp('symbridge-symc-'), 'symcache');
  writeFileSync(local, built.bytes);
  await a.store.putArtifact(LIBCRASHY_ID, 'symcache', local);

  // Machine b: concurrent jobs ask at once; one download.
  const paths = await Promise.all(Array.from({ length: 5 }, () => b.store.artifactFile(LIBCRASHY_ID, 'symcache')));
  expect(new Set(paths).size).toBe(1);
  expect(b.cache.stats()).toMatchObject({ fetches: 1, entries: 1, bytes: built.bytes.length });
  const fetched = readFileSync(paths[0]!);
  expect(fetched.equals(built.bytes)).toBe(true);
  // What it answers is llvm-symbolizer's answer for the fixture's fault (recorded ground truth).
  const truth = groundTruth('exe');
  const want = truth.llvm_symbolizer[0].Symbol;
  const got = Symcache.open(fetched).lookup(BigInt(truth.module_vaddr)) as ResolvedSymbol;
  expect([...got.inlined, got].map((f) => [f.function, f.file, f.line])).toEqual(want.map((w) => [w.FunctionName, w.FileName, w.Line]));

  // A cached copy damaged on disk: dropped on next use and fetched again, then right.
  writeFileSync(paths[0]!, Buffer.concat([fetched.subarray(0, 100), Buffer.alloc(fetched.length - 100, 0x5a)]));
  const again = await b.store.artifactFile(LIBCRASHY_ID, 'symcache');
  expect(b.cache.stats()).toMatchObject({ fetches: 2, dropped: 1 });
  expect(readFileSync(again!).equals(built.bytes)).toBe(true);
  expect(await b.store.artifactFile(LIBCRASHY_ID, 'nothing-here')).toBeUndefined();
  await a.store.close();
  await b.store.close();
}, 60_000);
