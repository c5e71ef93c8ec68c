import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launchBrowser } from '../support/browser';
import { captured, groundTruth, LIBCRASHY } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/**
 * Swagger UI as a new user meets it at 3 a.m.: open /docs, expand symbolicate, paste
 * a real crash into the text/plain body, Execute, read the symbolized native frame.
 * Screenshots go to test-artifacts/.
 */
let svc: TestService;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  svc = await startService();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

async function openOperation(operationId: string, tag: string) {
  await page.goto(`${svc.url}/docs`);
  const block = page.locator(`#operations-${tag}-${operationId}`);
  await block.locator('.opblock-summary').first().click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  return block;
}

it('uploads the fixture library through the multipart form', async () => {
  const block = await openOperation('uploadSymbols', 'symbols');
  await block.locator('input[type="file"]').first().setInputFiles(LIBCRASHY);
  await block.getByRole('button', { name: 'Execute' }).click();
  const body = block.locator('.live-responses-table .response-col_description pre').first();
  await body.waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'swagger-upload.png'), fullPage: false });
  expect(await body.innerText()).toContain('4a5dec3d49a4e6fc848f77b4d53deac14f525455');
}, 60_000);

it('pastes a real crash as text/plain, executes, and shows the symbolized native frame', async () => {
  const block = await openOperation('symbolicate', 'symbolicate');
  await block.locator('.body-param-content-type select').selectOption('text/plain');
  const textarea = block.locator('textarea.body-param__text');
  await textarea.fill(`${captured('pie', 'stderr')}\n${captured('pie', 'maps')}`);
  await block.locator('input[placeholder="wait"]').fill('20');
  await block.getByRole('button', { name: 'Execute' }).click();
  const body = block.locator('.live-responses-table .response-col_description pre').first();
  await body.waitFor({ timeout: 30_000 });
  await body.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'swagger-symbolicate.png'), fullPage: false });
  const text = await body.innerText();
  const sym = groundTruth('pie').llvm_symbolizer[0].Symbol;
  expect(text).toContain(sym[sym.length - 1].FunctionName);
  expect(text).toContain(`"line": ${sym[sym.length - 1].Line}`);
  expect(text).toContain('"source": "dwarf"');
}, 90_000);
