import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LIBCRASHY } from '../support/fixtures';
import { childPids, signalStopped, sleep } from '../support/processes';

/**
 * The pool when llvm-symbolizer misbehaves for one module (a real llvm-symbolizer
 * behind a filter script that hangs, lies or dies on that module's queries): that
 * module's query fails with a reason, the process is replaced, and queries for other
 * modules -- even those queued on the same process -- still get their answers.
 */
const FAULTY = join(__dirname, '..', 'support', 'faulty', 'llvm-symbolizer-faulty.sh');
const tmp = mkdtempSync(join(tmpdir(), 'symbridge-faulty-'));
const bad = join(tmp, 'faulty-libcrashy.so');
copyFileSync(LIBCRASHY, bad);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pool(fault: string, timeoutMs = 1500) {
  return new LlvmSymbolizerPool({ binary: FAULTY, processes: 1, timeoutMs, env: { FAULT: fault } });
}

it.each(['hang', 'crash', 'garbage'])('%s on one module: that query fails with a reason, the rest are answered', async (fault) => {
  const p = pool(fault);
  try {
    // Same process (1 slot): a good query queued behind the bad one.
    const badQuery = p.query(bad, 0x113en);
    const goodQuery = p.query(LIBCRASHY, 0x113en);
    await expect(badQuery).rejects.toThrow(fault === 'garbage' ? /not JSON/ : fault === 'hang' ? /did not answer within 1500 ms/ : /exited/);
    const good = await goodQuery;
    expect(good.Symbol?.[2]?.FunctionName).toBe('storage::RecordStore::checksum(storage::Record const*)');
    // And the pool goes on answering.
    expect((await p.query(LIBCRASHY, 0x113en)).Symbol).toHaveLength(3);
    if (fault !== 'garbage') expect(p.stats().restarts).toBeGreaterThanOrEqual(1);
  } finally {
    p.close();
  }
}, 20_000);

describe('a real llvm-symbolizer killed from outside (OOM killer, an operator) with a query in flight', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)('%s: the query is retried once on a fresh process and answered', async (signal) => {
    const p = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 10_000 });
    try {
      expect((await p.query(LIBCRASHY, 0x113en)).Symbol).toHaveLength(3); // warm: the process is up
      const [pid] = childPids(process.pid, 'llvm-symbolizer');
      expect(pid).toBeGreaterThan(0);
      // Stopped, it cannot answer: the query is surely in flight when the kill lands.
      process.kill(pid, 'SIGSTOP');
      const inFlight = p.query(LIBCRASHY, 0x113en);
      await sleep(200);
      signalStopped(pid, signal);
      const answer = await inFlight;
      expect(answer.Symbol?.[2]?.FunctionName).toBe('storage::RecordStore::checksum(storage::Record const*)');
      expect(p.stats().restarts).toBe(1);
      expect(childPids(process.pid, 'llvm-symbolizer')).not.toContain(pid);
    } finally {
      p.close();
    }
  }, 20_000);

  it('a module that crashes it (SIGSEGV) still fails after one try, naming the exit', async () => {
    const p = pool('crash');
    try {
      await expect(p.query(bad, 0x113en)).rejects.toThrow(/exited \(SIGSEGV\)/);
      expect(p.stats().restarts).toBe(0); // replaced lazily, on the next query
    } finally {
      p.close();
    }
  });
});
