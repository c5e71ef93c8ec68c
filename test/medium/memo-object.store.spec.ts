import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileCache } from '../../src/symbol-store/local-file.cache';
import { MemoObjectStore } from '../../src/symbol-store/memo-object.store';
import { ObjectStore } from '../../src/symbol-store/object-store';
import { S3_QUEUE_SIZE, S3ObjectStore } from '../../src/symbol-store/s3-object.store';
import { SymbolStore } from '../../src/symbol-store/symbol-store.service';
import { writeToTempFile } from '../../src/symbol-store/temp-file.writer';
import { LIBCRASHY, LIBCRASHY_ID } from '../support/fixtures';
import { S3Server } from '../support/s3-server';

/**
 * The slot memo in front of S3, against a real endpoint: presence of slot files and their
 * records is remembered (answered even while S3 is away), absence never is, other keys
 * always go to S3, this machine's deletes forget at once, another machine's after the TTL.
 */
let s3: S3Server;
let work: string;
beforeAll(async () => {
  s3 = await S3Server.start();
  work = mkdtempSync(join(tmpdir(), 'symbridge-memo-'));
});
afterAll(async () => {
  await s3?.close();
  rmSync(work, { recursive: true, force: true });
});

const ID = 'ab'.repeat(20);
function s3Store(prefix: string): S3ObjectStore {
  process.env.AWS_ACCESS_KEY_ID = s3.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretKey;
  return new S3ObjectStore({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, timeoutMs: 2000, partSize: 5 * 1024 * 1024, queueSize: S3_QUEUE_SIZE });
}

it('remembers found slots and records for the TTL; never absence; own deletes at once, others after the TTL', async () => {
  const prefix = `memo-${randomBytes(4).toString('hex')}/`;
  let clock = 1_000_000;
  const memo = new MemoObjectStore(s3Store(prefix), 30_000, () => clock);
  const other = s3Store(prefix); // another machine on the same bucket
  const file = join(work, 'f');
  writeFileSync(file, randomBytes(4096));
  const slot = `buildid/${ID}/debuginfo`;

  // Absence is not remembered: another machine's upload is seen at once.
  expect(await memo.stat(slot)).toBeUndefined();
  await other.putFile(slot, file);
  await other.writeText(`${slot}.json`, '{"size":4096}');
  await other.writeText(`index/names/libx.so/${ID}`, '');
  expect((await memo.stat(slot))?.size).toBe(4096);
  expect(await memo.readText(`${slot}.json`)).toBe('{"size":4096}');

  // Remembered: answered with S3 away; keys that are not slots still fail as the store being away.
  await s3.stop();
  try {
    expect((await memo.stat(slot))?.size).toBe(4096);
    expect(await memo.readText(`${slot}.json`)).toBe('{"size":4096}');
    await expect(memo.stat(`index/names/libx.so/${ID}`)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  } finally {
    await s3.restart();
  }

  // Another machine deletes: still remembered within the TTL, gone after it.
  await other.deletePrefix(`buildid/${ID}`);
  clock += 29_000;
  expect((await memo.stat(slot))?.size).toBe(4096);
  clock += 2_000;
  expect(await memo.stat(slot)).toBeUndefined();
  expect(await memo.readText(`${slot}.json`)).toBeUndefined();

  // This machine's own delete forgets at once.
  await other.putFile(slot, file);
  expect((await memo.stat(slot))?.size).toBe(4096);
  await memo.deletePrefix(`buildid/${ID}`);
  expect(await memo.stat(slot)).toBeUndefined();
  await memo.close();
  await other.close();
}, 60_000);

it('an upload right after another machine deleted the build-id stores it again (created: true), memo or not', async () => {
  const prefix = `memo-up-${randomBytes(4).toString('hex')}/`;
  const machine = (objects: ObjectStore) => {
    const dir = mkdtempSync(join(work, 'cache-'));
    return new SymbolStore(objects, { cache: new LocalFileCache(dir, 1024 ** 3), tempDir: join(dir, '.uploads') });
  };
  const a = machine(new MemoObjectStore(s3Store(prefix)));
  const b = machine(s3Store(prefix));
  await a.init();
  await b.init();
  const put = async (s: SymbolStore) => s.ingest(await writeToTempFile(createReadStream(LIBCRASHY), s.tempPath(), 1 << 30, 'libcrashy.so'), 'libcrashy.so');
  expect((await put(a)).created).toBe(true);
  expect(await a.get(LIBCRASHY_ID)).toBeDefined(); // a now remembers the slots
  expect(await b.delete(LIBCRASHY_ID)).toBe(true);
  const again = await put(a);
  expect(again.created).toBe(true);
  expect((await b.get(LIBCRASHY_ID))?.build_id).toBe(LIBCRASHY_ID);
  expect(await b.objects.stat(`buildid/${LIBCRASHY_ID}/debuginfo`)).toBeDefined();
  await a.close();
  await b.close();
}, 60_000);
