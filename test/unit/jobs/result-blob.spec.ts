import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packJobInput, ResultBlobs, unpackJobInput, INPUT_PACK_MIN_BYTES } from '../../../src/jobs/result-blob';
import { parseInfoMemory, RedisMemoryGuard } from '../../../src/jobs/redis-memory-guard';
import { UnifiedStack } from '../../../src/model/unified-stack';
import { FsObjectStore } from '../../../src/symbol-store/fs-object.store';
import { captured } from '../../support/fixtures';
import { maximalCrash } from '../../support/maximal';

/** A stack shaped like a real result, `n` frames of the cgo fixture's functions. */
function stack(n: number): UnifiedStack {
  const frames = Array.from({ length: n }, (_, i) => ({ kind: 'native', index: i, function: `crashy_process_record_${i % 7}`, file: '/src/crashy.c', line: 40 + (i % 13), module: 'libcrashy.so', source: 'dwarf' }));
  return { threads: [{ id: 1, name: 'goroutine 1', crashed: true, frames }], diagnostics: [] } as unknown as UnifiedStack;
}

let root: string;
let blobs: ResultBlobs;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'symbridge-blobs-'));
  blobs = new ResultBlobs(new FsObjectStore(root), 4 * 1024); // small, so a few thousand frames are 'large'
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ResultBlobs', () => {
  it('a small result: inline, compressed, read back equal', async () => {
    const s = stack(50);
    const packed = await blobs.pack('7', s);
    expect(packed.key).toBeUndefined();
    expect(packed.data!.length).toBeLessThan(packed.json_bytes / 3);
    expect(await blobs.unpack(JSON.parse(JSON.stringify(packed)))).toEqual(s);
  });

  it('a large result: in the store under results/<id>, a pointer in Redis, swept once its job is gone', async () => {
    const s = stack(5000);
    const packed = await blobs.pack('abc_123', s);
    expect(packed).toMatchObject({ packed: 1, enc: 'br', key: 'results/abc_123' });
    expect(packed.data).toBeUndefined();
    expect(JSON.stringify(packed).length).toBeLessThan(200);
    const file = join(root, 'results', 'abc_123');
    expect(readFileSync(file).length).toBeGreaterThan(4 * 1024);
    expect(await blobs.unpack(packed)).toEqual(s);
    expect(await blobs.sweep(async (id) => id !== 'abc_123')).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(await blobs.unpack(packed)).toBeUndefined();
  });

  it('keeps the results whose job still exists', async () => {
    await blobs.pack('keep', stack(5000));
    expect(await blobs.sweep(async () => true)).toBe(0);
    expect(existsSync(join(root, 'results', 'keep'))).toBe(true);
  });

  it('a job id that is not a plain key part stays inline rather than becoming a path', async () => {
    const packed = await blobs.pack('../../etc', stack(5000));
    expect(packed.key).toBeUndefined();
    expect(existsSync(join(root, 'results'))).toBe(false);
  });

  it('a plain (pre-compression) result passes through unchanged', async () => {
    const s = stack(3);
    expect(await blobs.unpack(s)).toBe(s);
    expect(await blobs.unpack(undefined)).toBeUndefined();
  });
});

describe('job input packing', () => {
  it('a small request stays as it is', async () => {
    const data = { v: 1 as const, traceback: captured('pie', 'stderr'), received_at: 'x' };
    expect(data.traceback.length).toBeLessThan(INPUT_PACK_MIN_BYTES);
    expect(await packJobInput(data)).toBe(data);
  });

  it('a maximal request is compressed into `packed` and restored exactly', async () => {
    const crash = maximalCrash(45_000);
    const data = { v: 1 as const, traceback: crash.traceback, maps: crash.maps, modules: [{ path: '/x/libcrashy.so', build_id: '4a5dec3d49a4e6fc848f77b4d53deac14f525455' }], received_at: 'x' };
    const packed = await packJobInput(data);
    expect(packed.traceback).toBeUndefined();
    expect(packed.maps).toBeUndefined();
    expect(packed.modules).toEqual(data.modules);
    expect(packed.packed!.length).toBeLessThan((crash.traceback.length + crash.maps.length) / 10);
    expect(await unpackJobInput(JSON.parse(JSON.stringify(packed)))).toEqual(data);
  });
});

describe('RedisMemoryGuard', () => {
  const info = (used: number, max: number) => `# Memory\r\nused_memory:${used}\r\nused_memory_human:1M\r\nmaxmemory:${max}\r\n`;
  it('reads used_memory and maxmemory from INFO memory', () => {
    expect(parseInfoMemory(info(1234, 5678))).toEqual({ used: 1234, maxmemory: 5678 });
  });

  it('refuses at the configured bound, or at 90% of maxmemory when lower; 0 leaves only maxmemory', async () => {
    const guard = (used: number, max: number, limit: number) => new RedisMemoryGuard(async () => ({ info: async () => info(used, max) }), limit);
    await expect(guard(999, 0, 1000).check()).resolves.toBeUndefined();
    await expect(guard(1000, 0, 1000).check()).rejects.toMatchObject({ code: 'QUEUE_FULL', message: expect.stringMatching(/1000 bytes, at the bound of 1000/) });
    await expect(guard(900, 1000, 5000).check()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await expect(guard(899, 1000, 5000).check()).resolves.toBeUndefined();
    await expect(guard(10 ** 12, 0, 0).check()).resolves.toBeUndefined();
  });

  it('asks Redis at most once a second', async () => {
    let asked = 0;
    const g = new RedisMemoryGuard(async () => ({ info: async () => (asked++, info(1, 0)) }), 1000);
    for (let i = 0; i < 50; i++) await g.check();
    expect(asked).toBe(1);
  });
});
