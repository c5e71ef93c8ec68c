import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { SymbridgeError } from '../../../src/model/errors';
import { parseInput } from '../../../src/parse/parse-input';
import { mutate, prng, randomText } from '../../support/mutator';

/**
 * Property tests with a seeded mutator (fast-check is not a dependency): whatever the
 * text, parsing returns or throws the parser's own error type, and work grows linearly.
 */
const ROOT = join(__dirname, '../../fixtures/corpus');
const corpus = readdirSync(ROOT).flatMap((fmt) =>
  readdirSync(join(ROOT, fmt)).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(join(ROOT, fmt, f), 'utf8')),
);
corpus.push(readFileSync(join(__dirname, '../../fixtures/cgo-crash/captured/exe.stderr.txt'), 'utf8'));

function onlyOwnErrors(text: string): void {
  try {
    parseInput({ paste: text });
  } catch (e) {
    if (!(e instanceof SymbridgeError)) throw new Error(`non-Symbridge error on input ${JSON.stringify(text.slice(0, 300))}: ${e}`);
    expect(e.context.line).toBeGreaterThanOrEqual(1);
  }
}

it('mutated real inputs never throw anything but SymbridgeError', () => {
  const rnd = prng(20240601);
  for (let i = 0; i < 1500; i++) onlyOwnErrors(mutate(corpus[i % corpus.length], rnd, 1 + (i % 16)));
});

it('random text never throws anything but SymbridgeError', () => {
  const rnd = prng(7);
  for (let i = 0; i < 500; i++) onlyOwnErrors(randomText(rnd, Math.floor(rnd() * 2000)));
});

it('pastes mixing every format, in any order, keep each section', () => {
  const rnd = prng(99);
  const pick = (dir: string, name: string) => readFileSync(join(ROOT, dir, `${name}.txt`), 'utf8');
  const parts = [pick('go', 'loggie-cgo-getaddrinfo'), pick('hs-err', 'libunwind107-linux-arm'), pick('tombstone', 'firefoxlite1159-arm64-unknown')];
  for (let i = 0; i < 6; i++) {
    const order = [...parts].sort(() => rnd() - 0.5);
    const { report, detection } = parseInput({ paste: order.join('\n') });
    expect(new Set(report.formats)).toEqual(new Set(['go', 'hs-err', 'tombstone']));
    expect(detection.filter((d) => / starts \(/.test(d))).toHaveLength(3);
    expect(report.goroutines.map((g) => g.frames.length)).toEqual([2, 7]);
    expect(report.threads!.map((t) => t.frames.length).sort()).toEqual([1, 2]);
  }
});

it('work is linear: 4x the input takes well under 16x the time (10 MB parses)', () => {
  const unit = corpus.join('\n');
  const copies = (n: number) => Array.from({ length: n }, () => unit).join('\n');
  const time = (text: string) => {
    const t0 = process.hrtime.bigint();
    parseInput({ paste: text });
    return Number(process.hrtime.bigint() - t0);
  };
  const small = copies(Math.ceil(2_500_000 / unit.length));
  const big = copies(Math.ceil(10_000_000 / unit.length));
  expect(big.length).toBeGreaterThanOrEqual(10_000_000);
  time(small); // warm up the JIT
  const ts = Math.min(time(small), time(small));
  const tb = time(big);
  // Linear would be ~4x; a quadratic parser would be ~16x. The bound is generous on purpose.
  expect(tb / ts).toBeLessThan(10);
});
