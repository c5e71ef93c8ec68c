import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawFrame } from '../../../src/model/crash-report';
import { ModuleIdentifier } from '../../../src/normalize/module-identity';
import { normalizeFrames, NormalizeInput } from '../../../src/normalize/normalizer';
import { parseMapsLine } from '../../../src/parse/readers/proc-maps.parser';
import { JNI_CRASH, symbolize } from './native-fixtures.support';
import { storeWith } from './store.support';

/**
 * The real hs_err log of test/fixtures/jni-crash (Java -> JNI -> three native frames).
 * Its `C [libjnicrash.so+0x..]` frames are module-relative (to the load base) and are
 * normalized against the ELF without the maps rebase; callers are return addresses
 * (build.sh checked that against gdb on the live JVM, see groundtruth.json). The hs_err
 * parser belongs to the parse stage; this test reads the two sections it needs itself.
 */
interface JniTruth {
  finding: string;
  build_id: string;
  frames: Array<{
    hs_err_offset: string;
    gdb_pc_minus_base: string;
    address_kind: 'exact' | 'return';
    module_vaddr: string;
    lookup_address: string;
    hs_err_function: string;
    llvm_symbolizer: Array<{ Symbol: Array<{ FunctionName: string; FileName: string; Line: number; Column: number }> }>;
  }>;
}
const truth = JSON.parse(readFileSync(join(JNI_CRASH, 'captured', 'groundtruth.json'), 'utf8')) as JniTruth;
const log = readFileSync(join(JNI_CRASH, 'captured', 'hs_err.log'), 'utf8').split('\n');
const LIB = join(JNI_CRASH, 'build', 'libjnicrash.so');

function section(title: string): Array<{ text: string; no: number }> {
  const start = log.indexOf(title);
  const out: Array<{ text: string; no: number }> = [];
  for (let i = start + 1; i < log.length && log[i].trim() !== ''; i++) out.push({ text: log[i], no: i + 1 });
  return out;
}
const maps = section('Dynamic libraries:').map((l) => parseMapsLine(l)!).filter((m) => m);
const nativeFrames: NormalizeInput[] = section('Native frames: (J=compiled Java code, j=interpreted, Vv=VM code, C=native code)')
  .map((l) => ({ l, m: /^C {2}\[([^+\]]+)\+0x([0-9a-f]+)\]/.exec(l.text) }))
  .filter(({ m }) => m && m[1] === 'libjnicrash.so')
  .map(({ l, m }, i) => ({
    kind: 'native',
    addressKind: i === 0 ? 'exact' : 'return',
    module: m![1],
    moduleOffset: BigInt(`0x${m![2]}`),
    moduleOffsetBase: 'load-base',
    inputLine: l.no,
  }));

describe('hs_err native frames of the JNI fixture', () => {
  let identifier: ModuleIdentifier;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const s = await storeWith([LIB]);
    expect(s.ids).toEqual([truth.build_id]);
    identifier = new ModuleIdentifier(s.store);
    dispose = s.dispose;
  });
  afterAll(() => dispose());

  it('the log has three native frames and its maps section holds the library', () => {
    expect(nativeFrames.map((f) => `0x${f.moduleOffset!.toString(16)}`)).toEqual(truth.frames.map((f) => f.hs_err_offset));
    expect(maps.filter((m) => m.path.endsWith('/libjnicrash.so')).length).toBeGreaterThanOrEqual(4);
    // gdb on the live JVM: each hs_err offset is the frame's pc minus the module base.
    for (const f of truth.frames) expect(f.gdb_pc_minus_base).toBe(f.hs_err_offset);
  });

  it('normalizes each frame once (module-relative, not rebased again) to the vaddr and lookup address gdb confirmed', async () => {
    const r = await normalizeFrames(nativeFrames, maps, [], identifier);
    expect(r.pcs.map((p) => p.reason)).toEqual([undefined, undefined, undefined]);
    expect(r.pcs.map((p) => `0x${p.elfVaddr!.toString(16)}`)).toEqual(truth.frames.map((f) => f.module_vaddr));
    expect(r.pcs.map((p) => `0x${p.lookupAddress!.toString(16)}`)).toEqual(truth.frames.map((f) => f.lookup_address));
    expect(r.pcs.map((p) => p.subtractedOne)).toEqual([false, true, true]);
    expect(r.pcs[0].module).toMatch(/\/libjnicrash\.so$/);
    expect(r.modules).toEqual([expect.objectContaining({ status: 'found', build_id: truth.build_id })]);

    // Every frame of each chain (inlined ones first), as recorded when the fixture was built.
    const chain = (syms: Array<{ FunctionName: string; FileName: string; Line: number; Column: number }>) =>
      syms.map((x) => [x.FunctionName, x.FileName, x.Line, x.Column]);
    const answers = symbolize(LIB, r.pcs.map((p) => p.lookupAddress!));
    expect(answers.map((a) => chain(a.Symbol))).toEqual(truth.frames.map((f) => chain(f.llvm_symbolizer[0].Symbol)));
    // The physical function of each is the one hs_err named; the fault pc also has an inlined callee.
    expect(answers.map((a) => a.Symbol.at(-1)!.FunctionName)).toEqual(truth.frames.map((f) => f.hs_err_function));
    expect(answers[0].Symbol.length).toBeGreaterThanOrEqual(2);
  });

  it('each module-relative frame gets its absolute pc from the Dynamic libraries base: the header pc, and the return addresses the JVM found on the stack', async () => {
    const r = await normalizeFrames(nativeFrames, maps, [], identifier);
    const text = log.join('\n');
    const header = BigInt(/SIGSEGV \(0xb\) at pc=(0x[0-9a-f]+)/.exec(text)![1]);
    expect(r.pcs[0].computedPc).toBe(header);
    // "stack at sp + N slots: 0x..: jni_outer+0xb in .../libjnicrash.so": HotSpot's own reading of the callers' return addresses.
    const onStack = [...text.matchAll(/^stack at sp \+ \d+ slots: (0x[0-9a-f]+): (\w+)\+(0x[0-9a-f]+) in \S+libjnicrash\.so/gm)];
    expect(onStack.length).toBe(2);
    for (const [i, p] of r.pcs.slice(1).entries()) {
      expect(p.computedPc).toBe(BigInt(onStack[i][1]));
      expect(`${onStack[i][2]}+0x${BigInt(onStack[i][3]).toString(16)}`).toBe(/\]\s+(\S+)$/.exec(log[nativeFrames[i + 1].inputLine - 1])![1]);
    }
    // Without the library in the store the base still comes from the maps.
    const empty = await storeWith([]);
    try {
      const bare = await normalizeFrames(nativeFrames, maps, [], new ModuleIdentifier(empty.store));
      expect(bare.pcs.map((p) => p.computedPc)).toEqual(r.pcs.map((p) => p.computedPc));
      expect(bare.pcs[0].reasonCode).toBe('module-missing');
    } finally {
      await empty.dispose();
    }
  });

  it('the absolute fault pc in the header, rebased through the maps, lands on the same vaddr', async () => {
    const pc = BigInt(/SIGSEGV \(0xb\) at pc=(0x[0-9a-f]+)/.exec(log.join('\n'))![1]);
    const frame: RawFrame = { kind: 'native', pc, addressKind: 'exact', inputLine: 4 };
    const r = await normalizeFrames([frame], maps, [], identifier);
    expect(`0x${r.pcs[0].elfVaddr!.toString(16)}`).toBe(truth.frames[0].module_vaddr);
    expect(r.modules[0].load_bias).toBe(`0x${maps.find((m) => m.path.endsWith('/libjnicrash.so'))!.start.toString(16)}`);
  });

  it('a PC in the JVM code cache (anonymous rwx) and in [vdso] get reasons; the native frames still resolve', async () => {
    const codeCache = maps.find((m) => m.path === '' && m.perms === 'rwxp')!;
    const vdso = maps.find((m) => m.path === '[vdso]')!;
    const frames: NormalizeInput[] = [
      { kind: 'unknown', pc: codeCache.start + 0x40n, addressKind: 'return', inputLine: 1 },
      ...nativeFrames,
      { kind: 'native', pc: vdso.start + 0x10n, addressKind: 'return', inputLine: 2 },
    ];
    const r = await normalizeFrames(frames, maps, [], identifier);
    expect(r.pcs.map((p) => p.reasonCode)).toEqual(['jit', undefined, undefined, undefined, 'vdso']);
    expect(r.pcs[0].reason).toMatch(/JIT/);
  });
});

describe('hs_err of a Go c-shared library loaded by Java (fault in C called from Go)', () => {
  const goTruth = JSON.parse(readFileSync(join(JNI_CRASH, 'captured', 'go-groundtruth.json'), 'utf8')) as {
    build_id: string;
    problematic_frame: { hs_err_offset: string; function: string; function_offset: string; nm_value: string };
  };
  const goLog = readFileSync(join(JNI_CRASH, 'captured', 'go-hs_err.log'), 'utf8');
  const GOLIB = join(JNI_CRASH, 'build', 'libgojnicrash.so');

  it('the problematic frame normalizes to nm(function) + offset and symbolizes to it', async () => {
    const m = /^C {2}\[libgojnicrash\.so\+0x([0-9a-f]+)\]/m.exec(goLog)!;
    const lines = goLog.split('\n');
    const start = lines.indexOf('Dynamic libraries:');
    const goMaps = lines.slice(start + 1, lines.indexOf('', start)).map((text, i) => parseMapsLine({ text, no: start + 2 + i })!);
    const s = await storeWith([GOLIB]);
    try {
      expect(s.ids).toEqual([goTruth.build_id]);
      const frame: NormalizeInput = { kind: 'native', addressKind: 'exact', module: 'libgojnicrash.so', moduleOffset: BigInt(`0x${m[1]}`), moduleOffsetBase: 'load-base', inputLine: 1 };
      const r = await normalizeFrames([frame], goMaps, [], new ModuleIdentifier(s.store));
      const p = goTruth.problematic_frame;
      expect(r.pcs[0].elfVaddr).toBe(BigInt(p.nm_value) + BigInt(p.function_offset));
      expect(r.pcs[0]).toMatchObject({ subtractedOne: false, lookupAddress: BigInt(p.hs_err_offset) });
      expect(symbolize(GOLIB, [r.pcs[0].lookupAddress!])[0].Symbol[0].FunctionName).toBe(p.function);
    } finally {
      await s.dispose();
    }
  });
});
