import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SymbridgeError } from '../../src/model/errors';
import { FsObjectStore } from '../../src/symbol-store/fs-object.store';
import { ObjectStore } from '../../src/symbol-store/object-store';
import { S3_QUEUE_SIZE, S3ObjectStore } from '../../src/symbol-store/s3-object.store';
import { S3Server } from '../support/s3-server';

/**
 * Both store backends pass the same contract: the storage root on disk, and a real S3
 * endpoint (s3rver over HTTP) through the AWS SDK. Then the S3 faults: the endpoint gone
 * mid-upload leaves no object, and every failure is a STORAGE_UNAVAILABLE in words.
 */
const MiB = 1024 * 1024;
let s3: S3Server;
let work: string;
beforeAll(async () => {
  s3 = await S3Server.start();
  work = mkdtempSync(join(tmpdir(), 'symbridge-objstore-'));
});
afterAll(async () => {
  await s3.close();
  rmSync(work, { recursive: true, force: true });
});

function s3Store(prefix: string, partSize = 5 * MiB, bucket = s3.bucket): S3ObjectStore {
  process.env.AWS_ACCESS_KEY_ID = s3.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretKey;
  return new S3ObjectStore({
    bucket,
    prefix,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    timeoutMs: 5000,
    partSize,
    queueSize: S3_QUEUE_SIZE,
  });
}

function file(bytes: number): { path: string; sha: string } {
  const path = join(work, `f-${randomBytes(4).toString('hex')}`);
  const data = randomBytes(bytes);
  writeFileSync(path, data);
  return { path, sha: createHash('sha256').update(data).digest('hex') };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

const backends: [string, () => ObjectStore][] = [
  ['fs', () => new FsObjectStore(mkdtempSync(join(work, 'root-')))],
  ['s3', () => s3Store(`t-${randomBytes(4).toString('hex')}/`)],
];

describe.each(backends)('ObjectStore contract: %s', (_name, make) => {
  let store: ObjectStore;
  beforeEach(() => {
    store = make();
  });
  afterEach(() => store.close());

  it('text objects: written whole, read back, stat gives size; absent keys are undefined', async () => {
    expect(await store.readText('buildid/aabbccdd/x.json')).toBeUndefined();
    expect(await store.stat('buildid/aabbccdd/x.json')).toBeUndefined();
    await store.writeText('buildid/aabbccdd/x.json', '{"a":1}');
    expect(await store.readText('buildid/aabbccdd/x.json')).toBe('{"a":1}');
    expect((await store.stat('buildid/aabbccdd/x.json'))?.size).toBe(7);
    await store.writeText('buildid/aabbccdd/x.json', '{"a":22}');
    expect(await store.readText('buildid/aabbccdd/x.json')).toBe('{"a":22}');
  });

  it('a 12 MiB file (several multipart parts on S3) round-trips byte for byte; ifAbsent keeps the first', async () => {
    const a = file(12 * MiB);
    const b = file(1000);
    expect(await store.putFile('buildid/aabbccdd/debuginfo', a.path, { ifAbsent: true })).toBe(true);
    expect(await store.putFile('buildid/aabbccdd/debuginfo', b.path, { ifAbsent: true })).toBe(false);
    expect((await store.stat('buildid/aabbccdd/debuginfo'))?.size).toBe(12 * MiB);
    const out = join(work, `dl-${randomBytes(4).toString('hex')}`);
    expect(await store.download('buildid/aabbccdd/debuginfo', out)).toBe(true);
    expect(sha(out)).toBe(a.sha);
    expect(await store.download('buildid/aabbccdd/nothing', `${out}-2`)).toBe(false);
    const chunks: Buffer[] = [];
    for await (const c of (await store.openRead('buildid/aabbccdd/debuginfo'))!) chunks.push(c as Buffer);
    expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(a.sha);
    expect(await store.openRead('buildid/aabbccdd/nothing')).toBeUndefined();
  });

  it('list names one level down (objects and folders); deletePrefix removes a subtree, not its siblings', async () => {
    const f = file(10);
    await store.putFile('buildid/11223344/executable', f.path);
    await store.writeText('buildid/11223344/executable.json', '{}');
    await store.writeText('buildid/55667788/debuginfo.json', '{}');
    await store.writeText('index/names/libfoo.so/11223344', '');
    expect((await store.list('buildid')).sort()).toEqual(['11223344', '55667788']);
    expect((await store.list('buildid/11223344')).sort()).toEqual(['executable', 'executable.json']);
    expect(await store.list('index/names/libfoo.so')).toEqual(['11223344']);
    expect(await store.list('nothing/here')).toEqual([]);
    await store.deletePrefix('buildid/11223344');
    expect(await store.list('buildid')).toEqual(['55667788']);
    expect(await store.stat('buildid/11223344/executable')).toBeUndefined();
    await store.delete('buildid/55667788/debuginfo.json');
    expect(await store.list('buildid/55667788')).toEqual([]);
  });

  it('openRange reads any range of an object, across block boundaries and past its end; absent keys are undefined', async () => {
    const f = file(3 * MiB + 123);
    const data = readFileSync(f.path);
    await store.putFile('cores/0123456789abcdef0123456789abcdef.core', f.path);
    const src = (await store.openRange('cores/0123456789abcdef0123456789abcdef.core'))!;
    try {
      expect(src.size).toBe(data.length);
      // (offset, length): inside a block, across one and two 1 MiB boundaries, the tail, past the end, empty.
      for (const [o, n] of [[0, 64], [MiB - 10, 20], [MiB / 2, 2 * MiB], [3 * MiB, 500], [data.length - 5, 100], [data.length + 10, 10], [5, 0]]) {
        const want = data.subarray(Math.min(o, data.length), Math.min(o + n, data.length));
        expect([o, n, (await src.read(o, n)).equals(want)]).toEqual([o, n, true]);
      }
      // Many small reads near each other (an unwinder's): the same bytes, block after block.
      const parts = await Promise.all(Array.from({ length: 64 }, (_, i) => src.read(MiB - 256 + i * 8, 8)));
      expect(Buffer.concat(parts).equals(data.subarray(MiB - 256, MiB + 256))).toBe(true);
    } finally {
      await src.close();
    }
    expect(await store.openRange('cores/nothing.core')).toBeUndefined();
  });

  it('checkWritable passes on a working store', async () => {
    await expect(store.checkWritable()).resolves.toBeUndefined();
  });
});

describe('S3 faults', () => {
  it('the endpoint gone mid-upload: the upload fails as STORAGE_UNAVAILABLE and no object appears, even after it is back', async () => {
    const store = s3Store(`fault-${randomBytes(4).toString('hex')}/`);
    const big = file(60 * MiB);
    const upload = store.putFile('buildid/99887766/debuginfo', big.path);
    // Kill the server once the upload is under way (parts in flight).
    await new Promise((r) => setTimeout(r, 150));
    await s3.stop();
    const err = await upload.then(
      () => undefined,
      (e: unknown) => e,
    );
    await s3.restart();
    if (err === undefined) {
      // The whole upload beat the kill: then it must be whole.
      expect((await store.stat('buildid/99887766/debuginfo'))?.size).toBe(60 * MiB);
    } else {
      expect(err).toBeInstanceOf(SymbridgeError);
      expect((err as SymbridgeError).code).toBe('STORAGE_UNAVAILABLE');
      expect((err as Error).message).toMatch(/S3 bucket s3:\/\/symbridge-test\/fault-.* failed on upload of buildid\/99887766\/debuginfo/);
      expect(await store.stat('buildid/99887766/debuginfo')).toBeUndefined();
      expect(await store.list('buildid/99887766')).toEqual([]);
    }
    await store.close();
  }, 60_000);

  it('an unreachable endpoint: reads and checkWritable fail as STORAGE_UNAVAILABLE naming the bucket, not as "absent"', async () => {
    const store = s3Store('down/');
    await s3.stop();
    try {
      await expect(store.stat('buildid/aabbccdd/debuginfo')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(store.checkWritable()).rejects.toThrow(/s3:\/\/symbridge-test\/down\/ at http:\/\/127\.0\.0\.1:\d+\) failed on HEAD bucket: ECONNREFUSED/);
    } finally {
      await s3.restart();
      await store.close();
    }
  }, 60_000);

  it('a ranged read while the endpoint is away fails as STORAGE_UNAVAILABLE; the failure is not kept, the next read succeeds', async () => {
    const store = s3Store(`range-${randomBytes(4).toString('hex')}/`);
    const f = file(2 * MiB);
    await store.putFile('cores/aa.core', f.path);
    const src = (await store.openRange('cores/aa.core'))!;
    await s3.stop();
    try {
      await expect(src.read(MiB + 5, 10)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await s3.restart();
    }
    expect((await src.read(MiB + 5, 10)).equals(readFileSync(f.path).subarray(MiB + 5, MiB + 15))).toBe(true);
    await store.close();
  }, 60_000);

  it('a bucket that does not exist fails the readiness check (not an empty store)', async () => {
    const store = s3Store('x/', 5 * MiB, 'no-such-bucket');
    await expect(store.checkWritable()).rejects.toThrow(/s3:\/\/no-such-bucket\/x\/ .* failed on HEAD bucket: NotFound \(HTTP 404\)/);
    await store.close();
  });
});
