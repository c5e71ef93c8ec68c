import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CGO, captured, groundTruth, LIBCRASHY, storeCase } from '../support/fixtures';
import { startService, TestService } from '../support/service';
import { screen } from '../support/terminal';

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
  // Sizes a person reads (19192 bytes), not "0.0 MB".
  expect(r.stdout).toMatch(/libcrashy\.so\s+4a5dec3d49a4e6fc848f77b4d53deac14f525455\s+both\s+symtab,dynsym,dwarf\s+18\.7 KiB\s+stored/);
  expect(r.stdout).toMatch(/README\.md .*FAILED: HTTP 422: .*not an ELF file/);
  // Every row one line: the header, the rule, two files.
  expect(r.stdout.trimEnd().split('\n')).toHaveLength(4);
  expect(r.stderr).toMatch(/libcrashy\.so: 100% \(18\.7 KiB of 18\.7 KiB\)/);
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

it('symbolicate sends the bytes as they are: the service says where they were not UTF-8', async () => {
  await run(['upload', LIBCRASHY]);
  const dir = mkdtempSync(join(tmpdir(), 'symbridge-cli-bytes-'));
  const file = join(dir, 'crash.txt');
  writeFileSync(file, Buffer.concat([Buffer.from([0x6f, 0x6b, 0xff, 0x0a]), Buffer.from(`${captured('exe', 'stderr')}\n${captured('exe', 'maps')}`)]));
  try {
    const r = await run(['symbolicate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not valid UTF-8 at 1 place: byte 2 \(line 1, 0xff\)/);
    const sym = groundTruth('exe').llvm_symbolizer[0].Symbol;
    expect(r.stdout).toContain(sym[sym.length - 1].FunctionName);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

it('--help, -h and help print the usage and exit 0; no command is a usage error', async () => {
  for (const args of [['--help'], ['-h'], ['help'], ['upload', '--help']]) {
    const r = await run(args);
    expect({ args, code: r.code }).toEqual({ args, code: 0 });
    expect(r.stdout).toMatch(/^usage: symbridge <command>/);
  }
  const none = await run([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^usage: symbridge/);
});

describe('upload DIR', () => {
  let dir: string;
  beforeAll(() => {
    // ELF files at two depths, beside sources and notes that are not ELF.
    dir = mkdtempSync(join(tmpdir(), 'symbridge-cli-'));
    mkdirSync(join(dir, 'lib', 'debug'), { recursive: true });
    copyFileSync(LIBCRASHY, join(dir, 'lib', 'libcrashy.so'));
    copyFileSync(storeCase('hello.debug'), join(dir, 'lib', 'debug', 'hello.debug'));
    copyFileSync(join(CGO, 'README.md'), join(dir, 'README.md'));
    writeFileSync(join(dir, 'lib', 'notes.txt'), 'not ELF\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uploads the ELF files under it, recursively, and notes the files it skipped', async () => {
    const r = await run(['upload', dir]);
    expect(r.code).toBe(0);
    const note = /^note: skipped 2 file\(s\) that are not ELF: (.*)$/m.exec(r.stderr);
    expect(note?.[1].split(', ').sort()).toEqual([join(dir, 'README.md'), join(dir, 'lib', 'notes.txt')]);
    expect(r.stdout).toMatch(/libcrashy\.so\s+4a5dec3d49a4e6fc848f77b4d53deac14f525455\s.*(stored|already stored)/);
    expect(r.stdout).toMatch(/hello\.debug\s+7791097f34fba95c954725299885689903340dda\s+debuginfo\s/);
    expect(r.stdout).not.toMatch(/FAILED|EISDIR/);
  });

  it('a directory without ELF files says so and fails', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'symbridge-cli-empty-'));
    writeFileSync(join(empty, 'a.txt'), 'x');
    try {
      const r = await run(['upload', empty]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no ELF files in .*: nothing to upload/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('progress output in an 80-column pane', () => {
  it('through a pipe with COLUMNS=80: one line per file, no redraw flood', async () => {
    const r = await run(['upload', LIBCRASHY, storeCase('hello')], undefined, { COLUMNS: '80' });
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toEqual([expect.stringMatching(/libcrashy\.so: 100%/), expect.stringMatching(/hello: 100%/)]);
    expect(r.stderr).not.toContain('\r');
  });

  it('on a real terminal (a pty, 80 columns): each file one line redrawn in place, none wider than the pane', async () => {
    // script(1) runs the CLI on a pseudo-terminal: stderr.isTTY and its columns are real.
    const long = mkdtempSync(join(tmpdir(), `symbridge-cli-${'a-long-directory-name-'.repeat(4)}`));
    const file = join(long, 'libcrashy-with-a-long-file-name-that-would-wrap.so');
    copyFileSync(LIBCRASHY, file);
    try {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'script',
          ['-qec', `stty cols 80 rows 24; node ${CLI} upload ${file} >/dev/null`, '/dev/null'],
          { env: { ...process.env, SYMBRIDGE_URL: svc.url } },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      // What the pane shows: cli-progress's redraws and the pty's \r\n replayed on an emulated screen.
      const { lines, frames, widest } = screen(out);
      expect(lines.filter((l) => l !== '')).toHaveLength(1); // one file: one line, however many redraws
      expect(frames.length).toBeGreaterThanOrEqual(1);
      expect(widest).toBeLessThanOrEqual(79);
      expect(lines[0]).toMatch(/that-would-wrap\.so \[#+\] 100% 18\.7 KiB\/18\.7 KiB$/);
    } finally {
      rmSync(long, { recursive: true, force: true });
    }
  });
});
