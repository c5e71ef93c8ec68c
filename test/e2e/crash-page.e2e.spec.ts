import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { UnifiedStack } from '../../src/model/unified-stack';
import { ARTIFACTS, launchBrowser } from '../support/browser';
import { captured, FIXTURES, groundTruth, LIBCRASHY } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * The crash page in real Chromium (issue 15 item 4): open `/`, paste a real fixture crash,
 * submit, wait for the server-rendered result; the crashed thread is first and open with
 * the faulting native frame's function and line from DWARF, the other threads folded, the
 * modules table names what is missing with the upload command. A hostile crash text renders
 * inert. Screenshots go to test-artifacts/.
 */
const JNI = join(FIXTURES, 'jni-crash');
let svc: TestService;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  svc = await startService();
  const up = await upload(svc.url, [
    { name: 'libcrashy.so', data: readFileSync(LIBCRASHY) },
    { name: 'libjnicrash.so', data: readFileSync(join(JNI, 'build', 'libjnicrash.so')) },
  ]);
  expect(up.status).toBeLessThan(300);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

it('paste a cgo crash, see the unified stack: crashed thread open, the native frame with its DWARF line, the rest folded', async () => {
  await page.goto(`${svc.url}/`);
  await page.locator('#paste').fill(`${captured('pie', 'stderr')}\n${captured('pie', 'maps')}`);
  await page.locator('#submit').click();
  const crashed = page.locator('#threads details.thread').first();
  await crashed.waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'crash-page-cgo.png'), fullPage: true });

  const sym = groundTruth('pie').llvm_symbolizer[0].Symbol;
  const physical = sym[sym.length - 1];
  expect(await crashed.getAttribute('open')).not.toBeNull();
  expect(await crashed.locator('summary').innerText()).toContain('crashed');
  const top = crashed.locator('li.frame').first();
  expect(await top.locator('.fn .function').innerText()).toBe(physical.FunctionName);
  expect(await top.locator('.fn .kind').innerText()).toBe('native');
  expect(await top.locator('.fn .source').innerText()).toBe('dwarf');
  expect(await top.locator('.where .loc').first().innerText()).toBe(`${physical.FileName}:${physical.Line}:${physical.Column}`);
  // The inline chain above it, innermost first, as llvm-symbolizer gives it.
  expect(await top.locator('.inlined .function').allInnerTexts()).toEqual(sym.slice(0, -1).map((s) => s.FunctionName));
  // The gap Go leaves between the C fault and runtime.cgocall is said right there.
  expect(await crashed.locator('li.frame').first().locator('.gap').innerText()).toMatch(/Go prints no frames between the C fault and runtime\.cgocall/);
  // Go frames are told apart, with Go's own source.
  expect(await crashed.locator('li.frame-go .fn .source').first().innerText()).toBe('go-traceback');
  // Every other thread folded.
  const others = page.locator('#threads details.thread:not(:first-child)');
  expect(await others.count()).toBeGreaterThan(3);
  expect(await page.locator('#threads details.thread[open]').count()).toBe(1);
  // Modules: libcrashy found; the executable (not uploaded here) missing, with the command that fixes it.
  const exe = page.locator('#modules tr', { hasText: 'crashy-pie' });
  expect(await exe.locator('td').nth(1).innerText()).toBe('missing');
  const mapped = captured('pie', 'maps').split('\n').find((l) => l.endsWith('/crashy-pie'))!.split(/\s+/).pop();
  expect(await exe.locator('code.upload').innerText()).toBe(`curl -fsS -H "Authorization: Bearer \${SYMBRIDGE_TOKEN:-}" -F files=@${mapped} ${svc.url}/v1/symbols`);
  expect(await page.locator('#modules tr', { hasText: 'libcrashy.so' }).locator('td').nth(1).innerText()).toBe('found');
  expect(await page.locator('#diagnostics li').count()).toBeGreaterThan(0);
  // The answer is a job: the URL names it, and opening it again renders the same page.
  const url = page.url();
  expect(url).toMatch(/\/v1\/jobs\/[^/]+$/);
  await page.goto(url);
  expect(await page.locator('#threads details.thread[open] li.frame .fn .function').first().innerText()).toBe(physical.FunctionName);
}, 90_000);

it('a JVM hs_err log: native, Java and VM frames told apart, each with its source; the hs_err-named ones say why', async () => {
  await page.goto(`${svc.url}/`);
  await page.locator('#paste').fill(readFileSync(join(JNI, 'captured', 'hs_err.log'), 'utf8'));
  await page.locator('#submit').click();
  const crashed = page.locator('#threads details.thread[open]');
  await crashed.locator('li.frame').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'crash-page-jni.png'), fullPage: true });
  type Sym = { FunctionName: string; FileName: string; Line: number; Column: number };
  const truth = JSON.parse(readFileSync(join(JNI, 'captured', 'groundtruth.json'), 'utf8')) as { frames: Array<{ llvm_symbolizer: Array<{ Symbol: Sym[] }> }> };
  const chain = truth.frames[0].llvm_symbolizer[0].Symbol;
  const physical = chain[chain.length - 1];
  const top = crashed.locator('li.frame').first();
  expect(await top.locator('.fn .function').innerText()).toBe(physical.FunctionName);
  expect(await top.locator('.fn .kind').innerText()).toBe('native');
  expect(await top.locator('.fn .source').innerText()).toBe('dwarf');
  expect(await top.locator('.where .loc').first().innerText()).toBe(`${physical.FileName}:${physical.Line}:${physical.Column}`);
  expect(await top.locator('.inlined .function').allInnerTexts()).toEqual(chain.slice(0, -1).map((s) => s.FunctionName));
  const java = crashed.locator('li.frame-java');
  expect(await java.first().locator('.fn .function').innerText()).toBe('Crash.run(I)I');
  expect(await java.first().locator('.fn .source').innerText()).toBe('jvm');
  const named = crashed.locator('li.frame.source-hs-err').first();
  expect(await named.locator('.reason').innerText()).toMatch(/no uploaded file named libjvm\.so/);
  expect(await page.locator('#headline').innerText()).not.toBe('');
  expect(await page.locator('pre.signal').innerText()).toMatch(/SIGSEGV \(0xb\) at pc=0x[0-9a-f]+[\s\S]*SEGV_MAPERR/);
}, 60_000);

it('a job still running shows its state and the page follows it to the result', async () => {
  // ?wait=0: the API answers 202 at once; the job page opened now is polled by the script until done.
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=0`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `${captured('exe', 'stderr')}\n${captured('exe', 'maps')}` });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await page.goto(`${svc.url}/v1/jobs/${id}`);
  await page.locator('#threads details.thread[open] li.frame').first().waitFor({ timeout: 30_000 });
  const sym = groundTruth('exe').llvm_symbolizer[0].Symbol;
  expect(await page.locator('#threads details.thread[open] li.frame .fn .function').first().innerText()).toBe(sym[sym.length - 1].FunctionName);
  const json = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { result: UnifiedStack };
  expect(json.result.threads[0].crashed).toBe(true); // API clients still get JSON
}, 60_000);

it('a hostile crash text renders inert: <script>, onerror and quotes are text, no script runs', async () => {
  const evil = [
    'panic: <script>window.__xss=1</script><img src=x onerror="window.__xss=2">',
    '',
    'goroutine 1 [running "><script>window.__xss=3</script>]:',
    'main.<script>window.__xss=4</script>(0x1)',
    '\t/app/"><img src=x onerror=window.__xss=5>.go:12 +0x1d',
    'created by main.</textarea><script>window.__xss=6</script>',
    '\t/app/main.go:3 +0x2',
  ].join('\n');
  await page.goto(`${svc.url}/`);
  await page.locator('#paste').fill(evil);
  await page.locator('#submit').click();
  await page.locator('#threads details.thread').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'crash-page-xss.png'), fullPage: true });
  expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('#result script, #result img').count()).toBe(0);
  expect(await page.locator('#headline').innerText()).toBe('panic: <script>window.__xss=1</script><img src=x onerror="window.__xss=2">');
  expect(await page.locator('#threads li.frame .function').first().innerText()).toBe('main.<script>window.__xss=4</script>(0x1)');
  // Reloading the job page (server-rendered, not swapped in) is inert as well.
  await page.goto(page.url());
  expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('script').count()).toBe(1); // our own /crash-page.js
}, 60_000);

it('bad input shows the API\'s message (with the line), not a broken page', async () => {
  await page.goto(`${svc.url}/`);
  await page.locator('#paste').fill('hello\nthis is not a crash\n');
  await page.locator('#submit').click();
  const error = page.locator('#result p.error');
  await error.waitFor({ timeout: 20_000 });
  expect(await error.innerText()).toMatch(/^Not symbolicated: .*line \d+/);
}, 30_000);

describe('with tokens configured', () => {
  // A job submitted with a token is read with it; a reload of its page (a navigation sends no
  // Authorization header) asks again with the token this tab saved, or with one typed in.
  const TOKEN = 'crash-page-read-token-0123456789';
  let tokened: TestService;
  beforeAll(async () => {
    tokened = await startService({ tokens: { admin: [], upload: [], read: [TOKEN] } });
    expect((await upload(tokened.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBeLessThan(300); // uploads stay open: no upload token
  }, 60_000);
  afterAll(async () => tokened?.close());

  it('a token job page survives a reload, and a new tab asks for the token; to others it is the same 404 as an unknown job', async () => {
    const tab = await browser.newPage();
    try {
      await tab.goto(`${tokened.url}/`);
      await tab.locator('#token').fill(TOKEN);
      await tab.locator('#paste').fill(`${captured('exe', 'stderr')}\n${captured('exe', 'maps')}`);
      await tab.locator('#submit').click();
      await tab.locator('#threads details.thread[open] li.frame').first().waitFor({ timeout: 30_000 });
      const jobUrl = tab.url();
      const id = jobUrl.split('/').pop()!;
      expect(jobUrl).toBe(`${tokened.url}/v1/jobs/${id}`);
      const sym = groundTruth('exe').llvm_symbolizer[0].Symbol;
      const fn = () => tab.locator('#threads details.thread[open] li.frame .fn .function').first().innerText();
      expect(await fn()).toBe(sym[sym.length - 1].FunctionName);

      // Reload: the server answers the token-less navigation with the page shell, the script asks with the saved token.
      await tab.reload();
      await tab.locator('#threads details.thread[open] li.frame').first().waitFor({ timeout: 30_000 });
      expect(await fn()).toBe(sym[sym.length - 1].FunctionName);

      // A new browser context has no saved token: the page says what it needs, and follows once it is typed in.
      const context = await browser.newContext();
      try {
        const fresh = await context.newPage();
        await fresh.goto(jobUrl);
        await expect(fresh.locator('#status').innerText()).resolves.toMatch(/needs the token it was submitted with/);
        expect(await fresh.locator('#threads').count()).toBe(0);
        await fresh.locator('#token').fill(TOKEN);
        await fresh.locator('#token').dispatchEvent('change');
        await fresh.locator('#threads details.thread[open] li.frame').first().waitFor({ timeout: 30_000 });
      } finally {
        await context.close();
      }

      // Without the token, the job's page and an unknown job's are the same 404 (its existence is not confirmed).
      const html = async (jobId: string) => {
        const res = await fetch(`${tokened.url}/v1/jobs/${jobId}`, { headers: { accept: 'text/html' } });
        return { status: res.status, body: (await res.text()).split(jobId).join('ID') };
      };
      const known = await html(id);
      const unknown = await html('A'.repeat(id.length));
      expect(known.status).toBe(404);
      expect(known).toEqual(unknown);
      expect(known.body).not.toContain('id="threads"');
      expect(known.body).not.toContain('li class="frame');
      // API clients still get the JSON 404.
      const api = await fetch(`${tokened.url}/v1/jobs/${id}`);
      expect(api.status).toBe(404);
      expect(((await api.json()) as { code: string }).code).toBe('NOT_FOUND');
    } finally {
      await tab.close();
    }
  }, 90_000);
});
