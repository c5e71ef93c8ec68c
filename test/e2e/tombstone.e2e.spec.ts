import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { FIXTURES } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * Tombstones end to end. There is no Android device here, so:
 *  - REAL: the corpus tombstone (a logcat dump from a GitHub issue, frames with BuildIds);
 *    nobody can upload its libraries, so its frames must come back named as the
 *    tombstone named them, each with the missing build-id as the reason.
 *  - COMPOSED: a tombstone in debuggerd's layout whose frames are in libjnicrash.so,
 *    a module built from source here (test/fixtures/jni-crash), given by its BuildId.
 *    Its pcs are the ELF-relative pcs libunwindstack would print: the fault at the ELF
 *    vaddr gdb confirmed on the live process, callers already adjusted to the call
 *    (Android 11+), i.e. the gdb-confirmed lookup addresses. What is real in it is the
 *    module, its build-id and the ground-truth addresses; the text around them is not
 *    from a device.
 */
const JNI = join(FIXTURES, 'jni-crash');
const truth = JSON.parse(readFileSync(join(JNI, 'captured', 'groundtruth.json'), 'utf8')) as {
  build_id: string;
  frames: Array<{ lookup_address: string; hs_err_function: string; llvm_symbolizer: Array<{ Symbol: Array<{ FunctionName: string; FileName: string; Line: number; Column: number; StartAddress: string }> }> }>;
};
const corpus = readFileSync(join(FIXTURES, 'corpus', 'tombstone', 'backtrace43-android-buildid.txt'), 'utf8');
const APP_LIB = '/data/app/~~3kYt9Vw==/com.example.jnicrash-Qm1x==/lib/x86_64/libjnicrash.so';
const pc = (hex: string) => BigInt(hex).toString(16).padStart(16, '0');
// `(function+offset)` as libunwindstack prints it: the offset of the printed pc in the symbol
// (the physical function, which hs_err named), from the recorded symbolizer StartAddress.
const sym = (i: number) => {
  const f = truth.frames[i];
  const start = BigInt(f.llvm_symbolizer[0].Symbol.at(-1)!.StartAddress);
  return `${f.hs_err_function}+${BigInt(f.lookup_address) - start}`;
};
const composed = [
  '*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***',
  "Build fingerprint: 'google/sdk_gphone64_x86_64/emu64xa:14/UE1A.230829.036/10747369:user/release-keys'",
  "ABI: 'x86_64'",
  'pid: 4242, tid: 4242, name: example.jnicrash  >>> com.example.jnicrash <<<',
  'signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0000000000000000',
  '',
  'backtrace:',
  `      #00 pc ${pc(truth.frames[0].lookup_address)}  ${APP_LIB} (${sym(0)}) (BuildId: ${truth.build_id})`,
  `      #01 pc ${pc(truth.frames[1].lookup_address)}  ${APP_LIB} (${sym(1)}) (BuildId: ${truth.build_id})`,
  `      #02 pc ${pc(truth.frames[2].lookup_address)}  ${APP_LIB} (${sym(2)}) (BuildId: ${truth.build_id})`,
  '      #03 pc 0000000000222244  /apex/com.android.art/lib64/libart.so (art_quick_generic_jni_trampoline+148) (BuildId: 0123456789abcdef0123456789abcdef01234567)',
  '',
].join('\n');

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  expect((await upload(svc.url, [{ name: 'libjnicrash.so', data: readFileSync(join(JNI, 'build', 'libjnicrash.so')) }])).status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
});

async function post(body: string, contentType: string, accept = 'application/json'): Promise<Response> {
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': contentType, accept }, body });
  expect(res.status).toBe(200);
  return res;
}

describe('tombstone', () => {
  it('composed tombstone, frames by BuildId: each resolves at its ELF-relative pc like llvm-symbolizer (no maps needed)', async () => {
    const stack = (await (await post(JSON.stringify({ crash_dump: composed }), 'application/json')).json()) as UnifiedStack;
    const t = stack.threads[0];
    expect(t).toMatchObject({ id: 'tid 4242 "example.jnicrash"', crashed: true });
    truth.frames.forEach((want, i) => {
      const f = t.frames[i];
      const syms = want.llvm_symbolizer[0].Symbol;
      const p = syms[syms.length - 1];
      expect(f).toMatchObject({
        kind: 'native',
        source: 'dwarf',
        module: APP_LIB,
        build_id: truth.build_id,
        address_kind: i === 0 ? 'exact' : 'adjusted',
        module_offset: want.lookup_address, // ELF-relative: not rebased again
        lookup_address: want.lookup_address,
        lookup_adjusted: false,
      });
      expect([f.function, f.file, f.line, f.column]).toEqual([p.FunctionName, p.FileName, p.Line, p.Column]);
      expect(f.inlined.map((x) => [x.function, x.file, x.line, x.column])).toEqual(syms.slice(0, -1).map((s) => [s.FunctionName, s.FileName, s.Line, s.Column]));
    });
    expect(t.frames[2].java_method).toBe('Crash.run');
    expect(t.frames[3]).toMatchObject({ source: 'unresolved', function: 'art_quick_generic_jni_trampoline', input_function: 'art_quick_generic_jni_trampoline+148' });
    expect(t.frames[3].reason).toMatch(/no debug file for build-id 0123456789abcdef0123456789abcdef01234567/);
    expect(stack.modules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: APP_LIB, status: 'found', build_id: truth.build_id }),
        expect.objectContaining({ path: '/apex/com.android.art/lib64/libart.so', status: 'missing' }),
      ]),
    );
  });

  it('text rendering: the tombstone lines as printed, each completed', async () => {
    const text = await (await post(composed, 'text/plain', 'text/plain')).text();
    const printed = composed.split('\n').filter((l) => /^\s+#\d\d pc /.test(l)).map((l) => l.trim());
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`${printed[0]}  -> `));
    expect(at).toBeGreaterThan(0);
    type S = { FunctionName: string; FileName: string; Line: number; Column: number };
    const loc = (x: S) => `${x.FileName}:${x.Line}:${x.Column}`;
    // Inlined frames (innermost first) indented above the line they were inlined at.
    const want = truth.frames.flatMap((f, i) => {
      const syms = f.llvm_symbolizer[0].Symbol;
      const p = syms.at(-1)!;
      return [
        ...syms.slice(0, -1).map((x) => `      ${x.FunctionName} (${loc(x)})  [inlined]`),
        `${printed[i]}  -> ${p.FunctionName} (${loc(p)})${i === 2 ? '  [Crash.run]' : ''}`,
      ];
    });
    const above = truth.frames[0].llvm_symbolizer[0].Symbol.length - 1;
    expect(lines.slice(at - above, at - above + want.length + 1)).toEqual([
      ...want,
      expect.stringMatching(new RegExp(`^${printed[3].replace(/[()+.]/g, '\\$&')}  -> \\?\\? \\(no debug file for build-id`)),
    ]);
  });

  it('real corpus tombstone: frames keep its names, the missing BuildId is the reason, nothing fails', async () => {
    const stack = (await (await post(corpus, 'text/plain')).json()) as UnifiedStack;
    const t = stack.threads[0];
    expect(t).toMatchObject({ id: 'tid 16066 "platform.productId"', crashed: true });
    expect(t.frames).toHaveLength(2);
    expect(t.frames[0].function).toMatch(/^unwindstack::Unwinder::Unwinder\(/);
    expect(t.frames[0]).toMatchObject({ source: 'unresolved', input_module_offset: '0x90758', address_kind: 'exact' });
    expect(t.frames[1]).toMatchObject({ source: 'unresolved', input_module_offset: '0x8fdc4', address_kind: 'adjusted' });
    for (const f of t.frames) expect(f.reason).toMatch(/no debug file for build-id 3914dc78c1683aa29e25f1ec66091638a0598489 \(libbacktrace-native\.so\)/);
    expect(stack.modules).toEqual([expect.objectContaining({ status: 'missing', build_id: '3914dc78c1683aa29e25f1ec66091638a0598489' })]);
    expect(stack.signal).toMatchObject({ name: 'SIGSEGV', addr: '0x0' });
  });
});
