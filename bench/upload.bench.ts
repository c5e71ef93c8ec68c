import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync, unlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { REPO, WORK } from './lib/modules';
import { memOf } from './lib/proc';
import { fmt, Report, verdict } from './lib/report';
import { ServiceProcesses } from './lib/service';
import { nowMs } from './lib/stats';

/** A real ELF with a build-id (the fixture's libcrashy.so) grown by a .debug_pad section of `mb` MiB. */
export function bigDebugFile(mb: number): string {
  const out = join(WORK, `libcrashy-pad${mb}.so`);
  if (existsSync(out)) return out;
  const pad = join(WORK, `pad${mb}.bin`);
  execFileSync('sh', ['-c', `head -c ${mb * 1048576} /dev/urandom > '${pad}'`]);
  execFileSync('objcopy', ['--add-section', `.debug_pad=${pad}`, join(REPO, 'test', 'fixtures', 'cgo-crash', 'build', 'libcrashy.so'), out]);
  unlinkSync(pad);
  return out;
}

/** Stream one file as multipart/form-data `files` (never in memory); ms until the answer, and the status. */
export function streamUpload(url: string, path: string): Promise<{ ms: number; status: number; body: string }> {
  const boundary = `bench${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="libcrashy.so"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = statSync(path).size;
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const req = request(`${url}/v1/symbols`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ ms: nowMs() - t0, status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(head);
    const rs = createReadStream(path);
    rs.on('error', reject);
    rs.on('end', () => req.end(tail));
    rs.pipe(req, { end: false });
  });
}

export async function benchUpload(report: Report, mb: number): Promise<void> {
  const file = bigDebugFile(mb);
  const size = statSync(file).size;
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] }); // page cache: read speed is not what we measure
  const svc = new ServiceProcesses();
  try {
    await svc.startApi();
    const before = memOf(svc.api!.pid!)!;
    const up = await streamUpload(svc.url, file);
    const after = memOf(svc.api!.pid!)!;
    if (up.status !== 200) throw new Error(`upload answered ${up.status}: ${up.body.slice(0, 300)}`);

    // Baseline: copying the same file onto the same file system (what the store must at least do).
    const copy = join(svc.storage, 'copy.bin');
    const c0 = nowMs();
    execFileSync('cp', [file, copy]);
    execFileSync('sync', [copy]);
    const cpMs = nowMs() - c0;
    unlinkSync(copy);

    const mbs = (ms: number) => size / 1048576 / (ms / 1000);
    const growth = after.hwm - before.hwm;
    report.add({
      section: '6 upload',
      metric: `${fmt.mb(size)} debug file, multipart stream`,
      symbridge: `${fmt.ms(up.ms)}, ${fmt.n(mbs(up.ms), 0)} MB/s`,
      baseline: `cp + sync same file, same fs: ${fmt.ms(cpMs)}, ${fmt.n(mbs(cpMs), 0)} MB/s`,
      ratio: fmt.x(mbs(up.ms) / mbs(cpMs)),
    });
    report.add({
      section: '6 upload',
      metric: `ROLE=api peak RSS (VmHWM) across the ${fmt.mb(size)} upload`,
      symbridge: `${fmt.mb(before.hwm)} -> ${fmt.mb(after.hwm)} (+${fmt.mb(growth)})`,
      baseline: `file ${fmt.mb(size)}`,
      ratio: `growth ${(growth / size * 100).toFixed(1)}% of file`,
      target: 'flat: +< 64 MiB',
      verdict: verdict(growth, 64 * 1048576, true),
    });
  } finally {
    await svc.stop();
  }
}
