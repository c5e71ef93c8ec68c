import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './fixtures';
import { mutate, prng, randomText } from './mutator';

/**
 * HTTP-level fuzzing of POST /v1/symbolicate (shared by the e2e test and scripts/fuzz.ts):
 * real crash texts from the corpus and the cgo fixture, mutated by a seeded mutator, sent
 * as text/plain, JSON or multipart. A case fails when the service answers 5xx, or when a
 * job failed with something other than our own error codes (a bug wearing a 422).
 */
export function fuzzSeeds(): string[] {
  const root = join(FIXTURES, 'corpus');
  const seeds = readdirSync(root).flatMap((fmt) =>
    readdirSync(join(root, fmt)).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(join(root, fmt, f), 'utf8')),
  );
  const cgo = join(FIXTURES, 'cgo-crash', 'captured');
  seeds.push(readFileSync(join(cgo, 'pie.stderr.txt'), 'utf8') + readFileSync(join(cgo, 'pie.maps.txt'), 'utf8'));
  return seeds;
}

export interface FuzzOutcome {
  status: number;
  code?: string;
  message?: string;
  bad?: string;
}

const ALLOWED = new Set([200, 202, 400, 413, 415, 422]);

export function makeCase(seeds: string[], seed: number, i: number): { body: string | FormData; type?: string } {
  const rnd = prng(seed + i * 7919);
  const text = rnd() < 0.1 ? randomText(rnd, Math.floor(rnd() * 3000)) : mutate(seeds[i % seeds.length], rnd, 1 + Math.floor(rnd() * 24));
  const how = rnd();
  if (how < 0.5) return { body: text, type: 'text/plain' };
  const cut = Math.floor(rnd() * text.length);
  if (how < 0.85) {
    const obj: Record<string, unknown> = { traceback: text.slice(0, cut) || text, maps: text.slice(cut) };
    let json = JSON.stringify(obj);
    if (rnd() < 0.2) json = mutate(json, rnd, 2); // broken JSON too
    return { body: json, type: 'application/json' };
  }
  const form = new FormData();
  form.append('traceback', new Blob([text.slice(0, cut) || text]), 'crash.txt');
  form.append('maps', text.slice(cut));
  return { body: form };
}

export async function sendCase(url: string, c: { body: string | FormData; type?: string }, wait: number): Promise<FuzzOutcome> {
  const res = await fetch(`${url}/v1/symbolicate?wait=${wait}`, { method: 'POST', body: c.body, headers: c.type ? { 'content-type': c.type } : {} });
  const text = await res.text();
  let parsed: { code?: string; message?: string } = {};
  try {
    parsed = JSON.parse(text) as { code?: string; message?: string };
  } catch {
    /* text rendering or not JSON: judged by status */
  }
  const out: FuzzOutcome = { status: res.status, code: parsed.code, message: parsed.message };
  if (!ALLOWED.has(res.status)) out.bad = `status ${res.status}: ${text.slice(0, 300)}`;
  // A job that failed must have failed for a reason of ours (code: message), not a TypeError.
  else if (parsed.code === 'JOB_FAILED' && !/failed: [A-Z_]+: /.test(parsed.message ?? '')) out.bad = `job failed with a foreign error: ${parsed.message}`;
  return out;
}
