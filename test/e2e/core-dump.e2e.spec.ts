import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';
import { CoreSweeper } from '../../src/jobs/core-sweeper';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, CORE_BUILD, CORE_CAPTURED, coreModuleFiles, corePath } from '../support/core-fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * A core file over HTTP, through Redis and the worker: multipart `core_dump` (plain,
 * gzip, xz, zstd), the unified stack back, the core gone once its job is; and every
 * kind of bad core a 4xx or a result with diagnostics.
 */
let svc: TestService;

beforeAll(async () => {
  svc = await startService({ limits: { maxCoreBytes: 200 * 1024 * 1024 } });
  const res = await upload(svc.url, coreModuleFiles().map((f) => ({ name: basename(f), data: readFileSync(f) })));
  expect(res.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await svc?.close();
});

async function send(core: Buffer, fields: Record<string, string> = {}, name = 'core'): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('core_dump', new Blob([core]), name);
  return fetch(`${svc.url}/v1/symbolicate?wait=60`, { method: 'POST', body: form });
}

const EXPECTED_TAIL = ['main._Cfunc_crashy_process_record.abi0', 'main.handleRecord', 'main.processBatch', 'main.main', 'runtime.main', 'runtime.goexit.abi0'];

function checkGoCore(stack: UnifiedStack): void {
  const t = stack.threads[0];
  expect(t.crashed).toBe(true);
  expect(t.goroutine).toBe(1);
  const fns = t.frames.map((f) => f.function);
  expect(fns.slice(-EXPECTED_TAIL.length)).toEqual(EXPECTED_TAIL);
  expect(fns).toContain('storage::RecordStore::checksum(storage::Record const*)');
  expect(stack.signal?.name).toBe('SIGABRT');
  expect(stack.threads.filter((x) => x.tid !== undefined)).toHaveLength(5);
  expect(stack.threads.some((x) => x.id === 'goroutine 19' && x.state === 'chan receive')).toBe(true);
  expect(stack.modules.find((m) => m.path.endsWith('/libcrashy.so'))?.status).toBe('found');
}

describe('core_dump in, every thread and goroutine out', () => {
  it('xz, with the Go traceback beside it: the crashed thread first, from the fault in C to goexit', async () => {
    const res = await send(readFileSync(join(CORE_CAPTURED, 'go-exe-kernel.core.xz')), { traceback: captured('go-exe.stderr.txt') }, 'core.xz');
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    checkGoCore(stack);
    expect(stack.diagnostics.some((d) => d.code === 'traceback-mismatch')).toBe(false);
    // The text rendering of the same job.
    const text = await (await fetch(`${svc.url}/v1/symbolicate?wait=60`, { method: 'POST', body: form(readFileSync(join(CORE_CAPTURED, 'go-exe-kernel.core.xz'))), headers: { accept: 'text/plain' } })).text();
    expect(text).toContain('main.handleRecord');
  }, 120_000);

  it.each([
    ['plain', (b: Buffer) => b],
    ['gzip', (b: Buffer) => gzipSync(b, { level: 1 })],
    ['zstd', (b: Buffer) => execFileSync('zstd', ['-1', '-q', '-c'], { input: b, maxBuffer: 1 << 30 })],
  ])('%s', async (_kind, encode) => {
    const res = await send(encode(readFileSync(corePath('go-exe-kernel'))));
    expect(res.status).toBe(200);
    checkGoCore((await res.json()) as UnifiedStack);
  }, 120_000);

  it('a C program: five threads, the crash in a frameless leaf of a library at p_vaddr 0x200000', async () => {
    const res = await send(readFileSync(join(CORE_CAPTURED, 'threads-handler-kernel.core.xz')));
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expect(stack.threads).toHaveLength(5);
    const fns = stack.threads[0].frames.map((f) => f.function ?? '??');
    const leaf = fns.indexOf('corelib_leaf');
    expect(fns.slice(leaf, leaf + 5)).toEqual(['corelib_leaf', 'corelib_step', 'corelib_process', 'run_batch.constprop.0', 'crasher_main']);
    expect(stack.threads[0].frames[leaf].address_kind).toBe('exact');
    expect(stack.threads[0].frames[leaf].unwound_by).toBe('signal-frame');
    expect(stack.threads[0].frames[leaf].module_offset).toBe('0x201123');
  }, 60_000);

  it('deletes the core once its job is gone from Redis', async () => {
    const res = await send(readFileSync(join(CORE_CAPTURED, 'threads-plain-kernel.core.xz')));
    expect(res.status).toBe(200);
    const dir = join(svc.config.storageRoot, 'cores');
    const jobs = readdirSync(dir).filter((f) => f.endsWith('.job'));
    expect(jobs.length).toBeGreaterThan(0);
    const sweeper = svc.app.get(CoreSweeper);
    const before = readdirSync(dir).filter((f) => f.endsWith('.core')).length;
    expect(await sweeper.sweep()).toBe(0); // every job still in Redis: nothing removed
    const queue = svc.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE));
    const jobId = readFileSync(join(dir, jobs[0]), 'utf8');
    await (await queue.getJob(jobId))!.remove();
    expect(await sweeper.sweep()).toBe(1);
    expect(existsSync(join(dir, jobs[0].replace(/\.job$/, '')))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.core'))).toHaveLength(before - 1);
  }, 60_000);
});

function form(core: Buffer): FormData {
  const f = new FormData();
  f.append('core_dump', new Blob([core]), 'core');
  return f;
}

/** Offset of the first note of `type` in a raw core (PT_NOTE walk), for tests that make a core lie. */
function noteOffset(core: Buffer, type: number): number {
  const phoff = Number(core.readBigUInt64LE(32));
  for (let i = 0; i < core.readUInt16LE(56); i++) {
    const p = phoff + i * 56;
    if (core.readUInt32LE(p) !== 4) continue;
    let o = Number(core.readBigUInt64LE(p + 8));
    const end = o + Number(core.readBigUInt64LE(p + 32));
    while (o + 12 <= end) {
      const namesz = core.readUInt32LE(o);
      const descsz = core.readUInt32LE(o + 4);
      const desc = o + 12 + Math.ceil(namesz / 4) * 4;
      if (core.readUInt32LE(o + 8) === type) return desc;
      o = desc + Math.ceil(descsz / 4) * 4;
    }
  }
  throw new Error(`no note ${type}`);
}

describe('bad cores: a 4xx or diagnostics, never a 5xx', () => {
  const raw = () => Buffer.from(readFileSync(corePath('threads-plain-kernel')));

  it('not a core at all: 422 saying what it starts with', async () => {
    const res = await send(Buffer.from('this is not a core file, just text\n'.repeat(100)));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/not an ELF core file, nor gzip, xz or zstd/);
  });

  it('an ELF executable instead of a core: 422', async () => {
    const res = await send(readFileSync(join(CORE_BUILD, 'threads')));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/ELF DYN file, not a core/);
  });

  it('a core of another architecture: 422 naming it', async () => {
    const b = raw();
    b.writeUInt16LE(183, 18); // e_machine = aarch64
    const res = await send(b);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/core of aarch64/);
  });

  it('corrupt xz: 422 with the decompressor\'s words', async () => {
    const xz = Buffer.from(readFileSync(join(CORE_CAPTURED, 'threads-plain-kernel.core.xz')));
    xz.fill(0x55, 64, 4096);
    const res = await send(xz);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/xz/);
  });

  it('larger than MAX_CORE_BYTES: 413 naming the limit', async () => {
    const res = await send(Buffer.alloc(210 * 1024 * 1024, 0x7f).fill(Buffer.from([0x7f, 0x45, 0x4c, 0x46]), 0, 4));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/MAX_CORE_BYTES/);
  }, 60_000);

  it('a truncated core: the threads that are there, and a diagnostic that says it was cut', async () => {
    const res = await send(raw().subarray(0, 256 * 1024));
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expect(stack.threads).toHaveLength(5);
    expect(stack.diagnostics.some((d) => d.code === 'core-problem' && /truncated/.test(d.message))).toBe(true);
  }, 60_000);

  it('notes that lie (NT_FILE count past its end, a thread note cut short): diagnostics, the rest still read', async () => {
    const b = raw();
    b.writeBigUInt64LE(0xffffffffn, noteOffset(b, 0x46494c45)); // NT_FILE count
    const res = await send(b);
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expect(stack.diagnostics.some((d) => /NT_FILE claims 4294967295 entries/.test(d.message))).toBe(true);
    expect(stack.threads.length).toBe(5);
  }, 60_000);

  it('a core without any thread note: 422', async () => {
    const b = raw();
    const at = noteOffset(b, 1) - 12 - 8; // the first NT_PRSTATUS header: make its type unknown
    b.writeUInt32LE(0x7777, at + 8);
    for (let o = at; o < b.length && o < at + 64 * 1024; o += 4) if (b.readUInt32LE(o) === 1 && b.readUInt32LE(o - 4) === 336) b.writeUInt32LE(0x7777, o);
    const res = await send(b);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/no thread/);
  }, 60_000);
});
