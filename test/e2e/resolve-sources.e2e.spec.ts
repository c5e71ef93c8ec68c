import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, groundTruth, LIBCRASHY } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/** A module CI uploaded without debug info still names the frame: from its symbol table, said so in `source`. */
let svc: TestService;
const tmp = mkdtempSync(join(tmpdir(), 'symbridge-e2e-strip-'));

beforeAll(async () => {
  svc = await startService();
  const stripped = join(tmp, 'libcrashy.so');
  execFileSync('objcopy', ['--strip-debug', LIBCRASHY, stripped]);
  const res = await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(stripped) }]);
  expect(((await res.json()) as { files: { kind: string; has: { dwarf: boolean } }[] }).files[0]).toMatchObject({
    kind: 'executable',
    has: { dwarf: false },
  });
});
afterAll(async () => {
  await svc?.close();
  rmSync(tmp, { recursive: true, force: true });
});

it('a stripped library resolves from .symtab: function+offset, source symtab', async () => {
  const body = JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') });
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const stack = (await res.json()) as UnifiedStack;
  const top = stack.threads[0].frames[0];
  expect(top).toMatchObject({
    function: 'storage::RecordStore::checksum(storage::Record const*)',
    linkage_name: '_ZN7storage11RecordStore8checksumEPKNS_6RecordE',
    function_offset: '0x2e',
    module_offset: groundTruth('exe').module_vaddr,
    source: 'symtab',
    inlined: [],
  });
  expect(top.file).toBeUndefined();
  const text = await (
    await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/plain' }, body })
  ).text();
  expect(text).toContain('storage::RecordStore::checksum(storage::Record const*)+0x2e\n');
});
