import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { toResolvedSymbol } from '../../src/resolve/llvm-symbolizer.resolver';
import { groundTruth, LIBCRASHY } from '../support/fixtures';

/** The real llvm-symbolizer, long-lived, against the fixture library. */
describe('LlvmSymbolizerPool', () => {
  let pool: LlvmSymbolizerPool;
  beforeEach(() => {
    pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 2, timeoutMs: 10_000 });
  });
  afterEach(() => pool.close());

  it('answers the fault address as the ground truth recorded it, inlined chain first', async () => {
    const truth = groundTruth('exe');
    const answer = await pool.query(LIBCRASHY, BigInt(truth.module_vaddr));
    expect(answer.Symbol?.map((s) => [s.FunctionName, s.Line])).toEqual(truth.llvm_symbolizer[0].Symbol.map((s) => [s.FunctionName, s.Line]));
    const sym = toResolvedSymbol(answer)!;
    expect(sym.function).toBe('storage::RecordStore::checksum(storage::Record const*)');
    expect(sym.inlined.map((i) => i.function)).toEqual(['load_byte', 'mix_byte']);
    expect(sym.source).toBe('dwarf');
  });

  it('pipelines many queries through one process and pairs every answer', async () => {
    const addrs = Array.from({ length: 200 }, (_, i) => 0x1100n + BigInt(i % 0x80));
    const answers = await Promise.all(addrs.map((a) => pool.query(LIBCRASHY, a)));
    answers.forEach((a, i) => expect(a.Address).toBe(`0x${addrs[i].toString(16)}`));
    expect(pool.stats()).toMatchObject({ processes: 1, queries: 200, restarts: 0 });
  });

  it('an address outside any function has no symbol', async () => {
    expect(toResolvedSymbol(await pool.query(LIBCRASHY, 0x10n))).toBeUndefined();
  });

  it('a process that dies is replaced on the next query', async () => {
    await pool.query(LIBCRASHY, 0x113en);
    const victim = (pool as unknown as { slots: { pid?: number }[] }).slots.find((s) => s?.pid)!;
    process.kill(victim.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const again = await pool.query(LIBCRASHY, 0x113en);
    expect(again.Symbol?.length).toBe(3);
    expect(pool.stats().restarts).toBe(1);
  });

  it('a binary that is not there rejects with a clear error instead of hanging', async () => {
    const bad = new LlvmSymbolizerPool({ binary: '/nonexistent/llvm-symbolizer', processes: 1, timeoutMs: 2000 });
    await expect(bad.query(LIBCRASHY, 0x113en)).rejects.toThrow(/could not run|exited/);
    bad.close();
  });
});
