import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groundTruth } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/**
 * README's "first five minutes", run as written against a service with an empty store
 * (the lines that start the service and set its URL are this test's; dist/ is built
 * by `pretest`): the upload and the paste must work and name the native frame.
 */
const ROOT = join(__dirname, '..', '..');
let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

function firstMinutesScript(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The first five minutes'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
  const lines = block.split('\n').filter((l) => !/^(bash scripts\/setup\.sh|export SYMBRIDGE_URL=)/.test(l));
  expect(lines.length).toBeLessThan(block.split('\n').length); // the two lines replaced were there
  return `set -euo pipefail\n${lines.join('\n')}`;
}

it('uploads the fixture library to an empty store and symbolicates the fixture crash', async () => {
  const listed = (await (await fetch(`${svc.url}/v1/symbols`)).json()) as { items: unknown[] };
  expect(listed.items).toEqual([]); // empty, as on a fresh checkout
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile('bash', ['-c', firstMinutesScript()], { cwd: ROOT, env: { ...process.env, SYMBRIDGE_URL: svc.url } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  expect({ code: out.code, stderr: out.code ? out.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(out.stdout).toMatch(/libcrashy\.so\s+4a5dec3d49a4e6fc848f77b4d53deac14f525455\s.*stored/);
  const sym = groundTruth('exe').llvm_symbolizer[0].Symbol;
  expect(out.stdout).toContain(sym[sym.length - 1].FunctionName);
  expect(out.stdout).toContain(`${sym[0].FileName}:${sym[0].Line}`);
});
