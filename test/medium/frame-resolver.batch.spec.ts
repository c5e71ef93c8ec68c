import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { FIXTURES } from '../support/fixtures';

/**
 * resolveMany as the pipeline uses it (one batch per job), against the real
 * llvm-symbolizer and the JNI fixture's ground truth: the second batch is answered
 * from the cache (hit counts move, the symbolizer is not asked), and a lookup that
 * fails fails only its own answer.
 */
const JNI = join(FIXTURES, 'jni-crash');
const LIB = join(JNI, 'build', 'libjnicrash.so');
const truth = JSON.parse(readFileSync(join(JNI, 'captured', 'groundtruth.json'), 'utf8')) as {
  build_id: string;
  frames: Array<{ lookup_address: string; llvm_symbolizer: Array<{ Symbol: Array<{ FunctionName: string; Line: number }> }> }>;
};

const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 1000);
afterAll(() => {
  resolver.close();
  pool.close();
});

const queries = truth.frames.map((f) => ({ buildId: truth.build_id, objectPath: LIB, address: BigInt(f.lookup_address) }));
const want = truth.frames.map((f) => [f.llvm_symbolizer[0].Symbol.at(-1)!.FunctionName, f.llvm_symbolizer[0].Symbol.at(-1)!.Line]);

it('answers a batch in order, then the same batch from the cache', async () => {
  const first = await resolver.resolveMany(queries);
  expect(first.map((a) => [a.symbol?.function, a.symbol?.line])).toEqual(want);
  const before = resolver.cacheStats();
  const asked = pool.stats();
  const second = await resolver.resolveMany(queries);
  expect(second.map((a) => [a.symbol?.function, a.symbol?.line])).toEqual(want);
  const after = resolver.cacheStats();
  expect(after.hits - before.hits).toBe(queries.length);
  expect(after.misses).toBe(before.misses);
  expect(pool.stats()).toEqual(asked);
});

it('one failing lookup (its file is gone) fails only its own answer', async () => {
  const answers = await resolver.resolveMany([
    { buildId: 'ffff', objectPath: join(JNI, 'build', 'no-such-file.so'), address: 0x1153n },
    queries[1],
  ]);
  expect(answers[0].error?.message).toMatch(/ENOENT|no such file/i);
  expect(answers[0].symbol).toBeUndefined();
  expect(answers[1].symbol?.function).toBe(want[1][0]);
});
