import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { FIXTURES } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/**
 * Through HTTP: every corpus text of the native formats and excerpts, pasted as
 * text/plain, is answered 200 with its threads (or its module table), never a 422 or a
 * 5xx; the text in the corpus that is not a crash gets a 422 naming its first line.
 */
const CORPUS = join(FIXTURES, 'corpus');
const DIRS = ['sanitizer', 'glibc', 'race', 'gccgo', 'hs-err-macos-windows', 'excerpts'];
const texts = DIRS.flatMap((d) => readdirSync(join(CORPUS, d)).filter((f) => f.endsWith('.txt')).map((f) => `${d}/${f.slice(0, -4)}`)).sort();
const NOT_A_CRASH = 'sanitizer/radare2-15119-no-crash';
let svc: TestService;

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

async function paste(text: string) {
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it.each(texts.filter((t) => t !== NOT_A_CRASH))('%s: 200 with its threads or its module table', async (name) => {
  const r = await paste(readFileSync(join(CORPUS, `${name}.txt`), 'utf8'));
  expect(r.status).toBe(200);
  const stack = r.body as unknown as UnifiedStack;
  expect(stack.threads.length + stack.modules.length).toBeGreaterThan(0);
  if (stack.threads.length === 0) expect(stack.diagnostics.map((d) => d.code)).toContain('no-pcs');
});

it('the text that is not a crash: 422 naming its first line', async () => {
  const r = await paste(readFileSync(join(CORPUS, `${NOT_A_CRASH}.txt`), 'utf8'));
  expect(r).toMatchObject({ status: 422, body: { code: 'PARSE_ERROR', line: 1 } });
  expect(String(r.body.message)).toContain('line 1 reads "### Actual behavior"');
});
