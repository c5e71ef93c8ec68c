/**
 * The long fuzz run (CI runs the short one in the test suite): `npm run fuzz -- [HTTP_CASES] [PARSE_CASES]`.
 * 1. parsers: mutated real crashes straight into parseInput; only SymbridgeError may escape;
 *    slowest case and time per KiB reported (super-linear inputs stand out).
 * 2. ELF reader: mutated real binaries; only ElfError may escape.
 * 3. HTTP: mutated crashes through the real service (in process, real Redis, worker,
 *    llvm-symbolizer), text/JSON/multipart; never a 5xx, never a foreign job failure.
 * Memory (RSS) is sampled along the way.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BufferSource } from '../src/adapters/range-source.adapter';
import { readElf } from '../src/elf/elf-file';
import { ElfError, SymbridgeError } from '../src/model/errors';
import { parseInput } from '../src/parse/parse-input';
import { FIXTURES, LIBCRASHY } from '../test/support/fixtures';
import { fuzzSeeds, makeCase, sendCase } from '../test/support/http-fuzz';
import { mutate, prng } from '../test/support/mutator';
import { startService, upload } from '../test/support/service';

const httpCases = Number(process.argv[2] ?? 3000);
const parseCases = Number(process.argv[3] ?? 30000);
const mb = () => Math.round(process.memoryUsage().rss / 1048576);

async function main(): Promise<void> {
  const seeds = fuzzSeeds();
  const failures: string[] = [];
  console.log(`fuzz: ${seeds.length} seeds; parse cases ${parseCases}, ELF cases ${parseCases / 10}, HTTP cases ${httpCases}; rss ${mb()} MB`);

  // 1. parsers
  let t0 = Date.now();
  let slowest = { ms: 0, bytes: 0, i: -1 };
  let perKiB = 0;
  for (let i = 0; i < parseCases; i++) {
    const text = mutate(seeds[i % seeds.length], prng(1000 + i), 1 + (i % 32));
    const s = performance.now();
    try {
      parseInput({ paste: text });
    } catch (e) {
      if (!(e instanceof SymbridgeError)) failures.push(`parse case ${i}: ${String(e).slice(0, 200)}`);
    }
    const ms = performance.now() - s;
    if (ms > slowest.ms) slowest = { ms, bytes: text.length, i };
    perKiB = Math.max(perKiB, ms / Math.max(1, text.length / 1024));
  }
  console.log(`parsers: ${parseCases} cases in ${Date.now() - t0} ms; slowest ${slowest.ms.toFixed(1)} ms (case ${slowest.i}, ${slowest.bytes} bytes); worst ${perKiB.toFixed(2)} ms/KiB; rss ${mb()} MB`);

  // 2. ELF reader
  t0 = Date.now();
  const elfSeeds = [LIBCRASHY, join(FIXTURES, 'store-cases', 'build', 'hello.debug'), join(FIXTURES, 'elf-cases', 'build', 'cross', 'tiny-powerpc.so')].map((p) => readFileSync(p));
  const elfCases = Math.floor(parseCases / 10);
  let elfOk = 0;
  for (let i = 0; i < elfCases; i++) {
    const rnd = prng(5000 + i);
    const b = Buffer.from(elfSeeds[i % elfSeeds.length]);
    for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) {
      const at = rnd() < 0.7 ? Math.floor(rnd() * Math.min(b.length, 4096)) : Math.floor(rnd() * b.length);
      b[at] = Math.floor(rnd() * 256);
    }
    try {
      await readElf(new BufferSource(rnd() < 0.1 ? b.subarray(0, Math.floor(rnd() * b.length)) : b), `case-${i}`);
      elfOk++;
    } catch (e) {
      if (!(e instanceof ElfError)) failures.push(`ELF case ${i}: ${String(e).slice(0, 200)}`);
    }
  }
  console.log(`ELF reader: ${elfCases} cases in ${Date.now() - t0} ms (${elfOk} still readable, the rest ElfError); rss ${mb()} MB`);

  // 3. HTTP
  const svc = await startService({ limits: { rateSymbolicate: 0 } });
  try {
    await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
    t0 = Date.now();
    const statuses: Record<number, number> = {};
    let worst = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < httpCases) {
          const i = next++;
          const s = Date.now();
          const out = await sendCase(svc.url, makeCase(seeds, 0xabcd, i), 20);
          worst = Math.max(worst, Date.now() - s);
          statuses[out.status] = (statuses[out.status] ?? 0) + 1;
          if (out.bad) failures.push(`HTTP case ${i} (seed 0xabcd): ${out.bad}`);
          if (i > 0 && i % 1000 === 0) console.log(`  http ${i}/${httpCases}, rss ${mb()} MB`);
        }
      }),
    );
    console.log(`HTTP: ${httpCases} cases in ${Date.now() - t0} ms; by status ${JSON.stringify(statuses)}; slowest ${worst} ms; rss ${mb()} MB`);
  } finally {
    await svc.close();
  }
  console.log(failures.length === 0 ? 'fuzz: no failures' : `fuzz: ${failures.length} FAILURES\n${failures.slice(0, 50).join('\n')}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

void main();
