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
// Physical function and line, then the inlined chain (innermost first), as recorded at build time.
const want = truth.frames.map((f) => {
  const s = f.llvm_symbolizer[0].Symbol;
  return [s.at(-1)!.FunctionName, s.at(-1)!.Line, s.slice(0, -1).map((x) => [x.FunctionName, x.Line])];
});
const got = (a: { symbol?: { function: string; line?: number; inlined: Array<{ function: string; line?: number }> } }) => [
  a.symbol?.function,
  a.symbol?.line,
  a.symbol?.inlined.map((x) => [x.function, x.line]),
];

it('answers a batch in order, then the same batch from the cache', async () => {
  const first = await resolver.resolveMany(queries);
  expect(first.map(got)).toEqual(want);
  expect(want[0][2]).not.toEqual([]); // the fault pc has an inlined chain
  const before = resolver.cacheStats();
  const asked = pool.stats();
  const second = await resolver.resolveMany(queries);
  expect(second.map(got)).toEqual(want);
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
