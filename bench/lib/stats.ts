/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A deterministic PRNG (mulberry32, shared with the fuzz tests), so every run picks the same addresses. */
export { prng as rng } from '../../test/support/mutator';
