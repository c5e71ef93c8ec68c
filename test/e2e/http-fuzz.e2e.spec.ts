import { fuzzSeeds, makeCase, sendCase } from '../support/http-fuzz';
import { startService, TestService } from '../support/service';

/**
 * No input makes the HTTP API answer 500: mutated real crashes (corpus + the cgo fixture),
 * as text, JSON (some of it broken) and multipart, through the real service, Redis and
 * worker, waiting for each job. scripts/fuzz.ts runs the same with many more cases.
 */
const CASES = 160;
let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

it(`${CASES} mutated crashes: never a 5xx, never a foreign job failure`, async () => {
  const seeds = fuzzSeeds();
  const bad: string[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < CASES) {
        const i = next++;
        const out = await sendCase(svc.url, makeCase(seeds, 0xf022, i), 10);
        statuses[out.status] = (statuses[out.status] ?? 0) + 1;
        if (out.bad) bad.push(`case ${i} (seed 0xf022): ${out.bad}`);
      }
    }),
  );
  expect(bad).toEqual([]);
  // The mix is real: some are symbolicated, some refused as unparseable.
  expect(statuses[200]).toBeGreaterThan(10);
  expect((statuses[422] ?? 0) + (statuses[400] ?? 0)).toBeGreaterThan(10);
}, 60_000);
