import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CGO, captured, groundTruth, LIBCRASHY } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/** The CLI as a CI job and an on-call engineer use it, against the running service (dist/ is built by `pretest`). */
const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
let svc: TestService;

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

function run(args: string[], input?: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('node', [CLI, ...args], { env: { ...process.env, SYMBRIDGE_URL: svc.url, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? '');
  });
}

it('upload prints a summary table; a non-ELF file fails the run with the reason', async () => {
  const r = await run(['upload', LIBCRASHY, join(CGO, 'README.md')]);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/libcrashy\.so\s+4a5dec3d49a4e6fc848f77b4d53deac14f525455\s+both\s+symtab,dynsym,dwarf\s+19192\s+stored/);
  expect(r.stdout).toMatch(/README\.md .*FAILED: HTTP 422: .*not an ELF file/);
  expect(r.stderr).toMatch(/libcrashy\.so: 100%/);
  const again = await run(['upload', LIBCRASHY]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/already stored/);
});

it('symbolicate reads stdin and prints the readable stack; --json prints the result', async () => {
  await run(['upload', LIBCRASHY]);
  const paste = `${captured('exe', 'stderr')}\n${captured('exe', 'maps')}`;
  const text = await run(['symbolicate', '-'], paste);
  expect(text.code).toBe(0);
  const sym = groundTruth('exe').llvm_symbolizer[0].Symbol;
  expect(text.stdout).toContain(sym[sym.length - 1].FunctionName);
  expect(text.stdout).toContain(`${sym[0].FileName}:${sym[0].Line}`);
  const json = await run(['symbolicate', '--json'], paste);
  const stack = JSON.parse(json.stdout) as { threads: { crashed: boolean; frames: { function?: string; line?: number }[] }[] };
  expect(stack.threads[0].crashed).toBe(true);
  expect(stack.threads[0].frames[0]).toMatchObject({ function: sym[sym.length - 1].FunctionName, line: sym[sym.length - 1].Line });
});

it('errors exit non-zero with the message: bad paste (with its line), unknown job, unreachable service', async () => {
  const bad = await run(['symbolicate'], 'not a crash\n');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/HTTP 422: .*goroutine.*input line 1/);
  const missing = await run(['status', '424242']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/HTTP 404: no job 424242/);
  const down = await run(['status', '1'], undefined, { SYMBRIDGE_URL: 'http://127.0.0.1:9' });
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/cannot reach symbridge at http:\/\/127\.0\.0\.1:9/);
});
