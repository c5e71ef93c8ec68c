import { join } from 'node:path';
import { Browser } from 'playwright-core';
import { ARTIFACTS, launchBrowser } from '../support/browser';
import { captured } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/** The operator's view of the queues: bull-board at /queues, only with the admin token. */
const ADMIN = 'admin-token-for-the-dashboard-test';
const UPLOADER = 'upload-token-for-the-dashboard-test';
let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  svc = await startService({ tokens: { admin: [ADMIN], upload: [UPLOADER], read: [] } });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

const basic = (token: string) => `Basic ${Buffer.from(`ops:${token}`).toString('base64')}`;

it('refuses without the admin token (with a login prompt), and with a lesser one', async () => {
  const none = await fetch(`${svc.url}/queues`);
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="symbridge queues"/);
  expect(((await none.json()) as { message: string }).message).toMatch(/queue dashboard needs the admin token/);
  expect((await fetch(`${svc.url}/queues/api/queues`, { headers: { authorization: `Bearer ${UPLOADER}` } })).status).toBe(403);
  expect((await fetch(`${svc.url}/queues/api/queues`, { headers: { authorization: basic('wrong-token-wrong-token') } })).status).toBe(401);
});

it('shows the symbolicate queue and its finished jobs to the admin, in the API and the page', async () => {
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: captured('exe', 'stderr'),
  });
  expect(res.status).toBe(200);
  const api = (await (await fetch(`${svc.url}/queues/api/queues`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
    queues: { name: string; counts: Record<string, number> }[];
  };
  expect(api.queues[0]).toMatchObject({ name: 'symbolicate' });
  expect(api.queues[0].counts.completed).toBeGreaterThanOrEqual(1);

  const page = await browser.newPage({ httpCredentials: { username: 'ops', password: ADMIN }, viewport: { width: 1300, height: 800 } });
  await page.goto(`${svc.url}/queues`);
  await page.getByText('symbolicate', { exact: false }).first().waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'queues-dashboard.png') });
  await page.close();
}, 60_000);
