import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SymbolicatePipeline } from '../../src/pipeline/symbolicate.pipeline';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { FIXTURES } from '../support/fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * Frames printed as module + offset (hs_err `C  [lib.so+0xOFF]`, tombstone `#01 pc 000..`)
 * carry an absolute pc whenever the input gives the module's base: hs_err's Dynamic
 * libraries, a tombstone's memory map. The expected pc is computed here on its own, from
 * the text and `readelf -lW`, and must be what the frame says (pc_origin: computed).
 */
const JNI = join(FIXTURES, 'jni-crash');
const LIB = join(JNI, 'build', 'libjnicrash.so');
const truth = JSON.parse(readFileSync(join(JNI, 'captured', 'groundtruth.json'), 'utf8')) as { build_id: string; frames: { lookup_address: string }[] };

const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
let pipeline: SymbolicatePipeline;
let dispose: () => Promise<void>;
beforeAll(async () => {
  const s = await storeWith([LIB]);
  pipeline = new SymbolicatePipeline(s.store, resolver);
  dispose = s.dispose;
});
afterAll(async () => {
  await dispose?.();
  resolver.close();
  pool.close();
});

const loads = execFileSync('readelf', ['-lW', LIB], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => /^\s+LOAD\s/.test(l))
  .map((l) => l.trim().split(/\s+/))
  .map((c) => ({ offset: BigInt(c[1]), vaddr: BigInt(c[2]), filesz: BigInt(c[4]) }));

it('hs_err: every [lib.so+0xOFF] frame of a library in Dynamic libraries has pc = its base + OFF', async () => {
  const hsErr = readFileSync(join(JNI, 'captured', 'hs_err.log'), 'utf8');
  const stack = await pipeline.run({ crash_dump: hsErr });
  const bases = new Map<string, bigint>();
  for (const m of hsErr.matchAll(/^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \d+\s+(\/\S+)$/gm)) {
    const name = m[2].replace(/^.*\//, '');
    const start = BigInt(`0x${m[1]}`);
    if (!bases.has(name) || start < bases.get(name)!) bases.set(name, start);
  }
  const printed = stack.threads[0].frames.filter((f) => f.input_module_offset !== undefined && f.frame_type !== undefined);
  expect(printed.length).toBeGreaterThanOrEqual(6); // libjnicrash's three, libjvm's V frames, libjli's
  for (const f of printed) {
    const base = bases.get(f.module!.replace(/^.*\//, ''));
    expect([f.function, base]).not.toEqual([f.function, undefined]);
    expect([f.function, f.pc]).toEqual([f.function, `0x${(base! + BigInt(f.input_module_offset!)).toString(16)}`]);
  }
  // The problematic frame's pc is the header's own; the others are computed.
  expect(printed[0].pc).toBe(/at pc=(0x[0-9a-f]+)/.exec(hsErr)![1].replace(/^0x0+/, '0x'));
  expect(printed.slice(1).every((f) => f.pc_origin === 'computed')).toBe(true);
});

it('tombstone with its memory map: each frame in a mapped module gets the absolute pc its map line gives', async () => {
  const app = '/data/app/~~x==/com.example.jnicrash/lib/x86_64/libjnicrash.so';
  const hex = (v: bigint, w = 16) => v.toString(16).padStart(w, '0');
  const quoted = (v: bigint) => hex(v).replace(/(.{4})(?=.)/g, "$1'");
  // The library's real mappings in the live JVM (hs_err's Dynamic libraries), printed as debuggerd
  // prints a memory map: inclusive end, 3-letter perms, offset and size in hex.
  const hsErr = readFileSync(join(JNI, 'captured', 'hs_err.log'), 'utf8');
  const maps = [...hsErr.matchAll(/^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-])p ([0-9a-f]+) \S+ \d+\s+\/\S+\/libjnicrash\.so$/gm)].map((m) => ({
    start: BigInt(`0x${m[1]}`),
    size: BigInt(`0x${m[2]}`) - BigInt(`0x${m[1]}`),
    perms: m[3],
    off: BigInt(`0x${m[4]}`),
  }));
  expect(maps.length).toBe(5);
  const text = [
    "Build fingerprint: 'google/sdk_gphone64_x86_64/emu64xa:14/UE1A.230829.036/10747369:user/release-keys'",
    "ABI: 'x86_64'",
    'pid: 4242, tid: 4242, name: example.jnicrash  >>> com.example.jnicrash <<<',
    'signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0000000000000000',
    '',
    'backtrace:',
    ...truth.frames.map((f, i) => `      #${String(i).padStart(2, '0')} pc ${hex(BigInt(f.lookup_address))}  ${app} (BuildId: ${truth.build_id})`),
    '',
    `memory map (${maps.length} entries):`,
    ...maps.map((m) => `    ${quoted(m.start)}-${quoted(m.start + m.size - 1n)} ${m.perms} ${m.off.toString(16).padStart(9)} ${m.size.toString(16).padStart(9)}  ${app}`),
    '',
  ].join('\n');
  const stack = await pipeline.run({ crash_dump: text });
  const frames = stack.threads[0].frames;
  expect(frames).toHaveLength(truth.frames.length);
  frames.forEach((f, i) => {
    // ELF vaddr -> file offset (readelf's PT_LOAD) -> the map line holding that offset, executable first.
    const vaddr = BigInt(truth.frames[i].lookup_address);
    const seg = loads.find((s) => s.vaddr <= vaddr && vaddr < s.vaddr + s.filesz)!;
    const fo = vaddr - seg.vaddr + seg.offset;
    const line = maps.find((m) => m.perms.includes('x') && m.off <= fo && fo < m.off + m.size)!;
    expect(f).toMatchObject({ source: 'dwarf', module: app, module_offset: `0x${vaddr.toString(16)}`, pc: `0x${(line.start + fo - line.off).toString(16)}`, pc_origin: 'computed' });
  });
});
