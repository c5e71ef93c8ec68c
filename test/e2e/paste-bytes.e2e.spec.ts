import { readFileSync } from 'node:fs';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, LIBCRASHY } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * A text/plain paste is bytes, not necessarily UTF-8: program output before a panic
 * often holds a stray byte. It is accepted, decoded (UTF-8 with U+FFFD, or latin-1 when
 * declared) and the result says where the bad bytes were.
 */
let svc: TestService;
const paste = `${captured('exe', 'stderr')}\n${captured('exe', 'maps')}`;

beforeAll(async () => {
  svc = await startService();
  expect((await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
});
afterAll(async () => svc?.close());

async function post(body: Buffer, contentType: string) {
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as UnifiedStack & { message?: string } };
}

/** A line of program output with latin-1 bytes (é = 0xe9, a lone 0xff) before the crash. */
const noisy = Buffer.concat([Buffer.from('starting worker caf'), Buffer.from([0xe9, 0x20, 0xff]), Buffer.from('\n'), Buffer.from(paste)]);

describe('text/plain pastes with bytes that are not UTF-8', () => {
  it('is accepted and symbolicated, with a diagnostic naming the byte offsets and line', async () => {
    const r = await post(noisy, 'text/plain');
    expect(r.status).toBe(200);
    const note = r.body.diagnostics.find((d) => d.code === 'text-decoded');
    expect(note?.message).toMatch(/not valid UTF-8 at 2 places: byte 19 \(line 1, 0xe9\), byte 21 \(line 1, 0xff\)/);
    // The crash itself still resolved: the stray bytes did not cost a frame.
    const crashed = r.body.threads.find((t) => t.crashed)!;
    expect(crashed.frames.some((f) => f.kind === 'native' && f.source === 'dwarf')).toBe(true);
  });

  it('declared latin-1 is decoded as latin-1: no replacement, no diagnostic', async () => {
    const r = await post(noisy, 'text/plain; charset=ISO-8859-1');
    expect(r.status).toBe(200);
    expect(r.body.diagnostics.filter((d) => d.code === 'text-decoded')).toEqual([]);
    expect(r.body.threads.find((t) => t.crashed)!.frames.some((f) => f.source === 'dwarf')).toBe(true);
  });

  it('valid UTF-8 (multi-byte characters included) gets no decoding diagnostic', async () => {
    const r = await post(Buffer.from(`démarrage ✓\n${paste}`), 'text/plain; charset=utf-8');
    expect(r.status).toBe(200);
    expect(r.body.diagnostics.filter((d) => d.code === 'text-decoded')).toEqual([]);
  });

  it('an empty or blank body is still a 400 naming what to send', async () => {
    expect((await post(Buffer.alloc(0), 'text/plain')).status).toBe(400);
    const r = await post(Buffer.from(' \n\t\n'), 'text/plain');
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/text\/plain body is empty/);
  });
});

describe('multipart text with bytes that are not UTF-8', () => {
  async function postForm(form: FormData) {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as UnifiedStack & { message?: string } };
  }

  it('a file part (curl -F traceback=@file) is read as UTF-8 and the diagnostic names the field, bytes and line', async () => {
    const form = new FormData();
    form.append('traceback', new Blob([Buffer.concat([Buffer.from('starting worker caf'), Buffer.from([0xe9, 0x20, 0xff]), Buffer.from('\n'), Buffer.from(captured('exe', 'stderr'))])]), 'stderr.txt');
    form.append('maps', captured('exe', 'maps'));
    const r = await postForm(form);
    expect(r.status).toBe(200);
    const notes = r.body.diagnostics.filter((d) => d.code === 'text-decoded');
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toMatch(/^form field "traceback" is not valid UTF-8 at 2 places: byte 19 \(line 1, 0xe9\), byte 21 \(line 1, 0xff\)/);
    expect(r.body.threads.find((t) => t.crashed)!.frames.some((f) => f.kind === 'native' && f.source === 'dwarf')).toBe(true);
  });

  it('a plain field decoded with replacement characters says so, with the line; valid UTF-8 says nothing', async () => {
    const bad = new FormData();
    bad.append('traceback', `${captured('exe', 'stderr')}\nlog: caf\uFFFD done`);
    bad.append('maps', captured('exe', 'maps'));
    const r = await postForm(bad);
    expect(r.status).toBe(200);
    const line = `${captured('exe', 'stderr')}\n`.split('\n').length;
    expect(r.body.diagnostics.find((d) => d.code === 'text-decoded')?.message).toMatch(new RegExp(`^form field "traceback" holds 1 U\\+FFFD replacement character \\(line ${line}\\)`));

    const good = new FormData();
    good.append('traceback', new Blob([`démarrage ✓\n${captured('exe', 'stderr')}`]), 'stderr.txt');
    good.append('maps', captured('exe', 'maps'));
    const ok = await postForm(good);
    expect(ok.status).toBe(200);
    expect(ok.body.diagnostics.filter((d) => d.code === 'text-decoded')).toEqual([]);
  });
});
