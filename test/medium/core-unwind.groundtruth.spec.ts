import { basename } from 'node:path';
import { FileSource } from '../../src/adapters/range-source.adapter';
import { readElf } from '../../src/elf/elf-file';
import { loadSegments } from '../../src/elf/elf-types';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { CorePipeline } from '../../src/pipeline/core.pipeline';
import { UnifiedFrame, UnifiedStack, UnifiedThread } from '../../src/model/unified-stack';
import { captured, coreModuleFiles, corePath, CoreName, CORES, GdbFrame, gdbThreads, goTraceback } from '../support/core-fixtures';
import { storeWith } from '../unit/normalize/store.support';

/**
 * Every fixture core through the core pipeline (real store, real llvm-symbolizer),
 * checked frame by frame against the two independent witnesses of the same crash:
 * gdb's `thread apply all bt` on the core (every thread, physical frames by pc, and
 * function names where the module is ours), and Go's own GOTRACEBACK=crash
 * traceback (every goroutine: pc and sp of each frame, and its state).
 */
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), 10_000);
let pipeline: CorePipeline;
let dispose: () => Promise<void>;
const results = new Map<CoreName, UnifiedStack>();

beforeAll(async () => {
  const s = await storeWith(coreModuleFiles());
  dispose = s.dispose;
  pipeline = new CorePipeline(s.store, resolver);
}, 120_000);

afterAll(async () => {
  resolver.close();
  pool.close();
  await dispose?.();
});

async function run(name: CoreName): Promise<UnifiedStack> {
  let r = results.get(name);
  if (!r) {
    r = await pipeline.run({ corePath: corePath(name), coreName: `${name}.core` });
    results.set(name, r);
  }
  return r;
}

const OURS = /^(crashy|main\.|storage::|corelib_|run_batch|crasher_main|sleeper_main|waiter_main|reader_main|on_fault|handler|_cgo_)/;
/** gdb qualifies names (storage::detail::load_byte), llvm-symbolizer may not (load_byte), Go assembly carries .abi0. */
/** GCC's clones (.constprop.0, .isra.0, .part.0) keep their source name in gdb's output. */
const norm = (n: string) => n.replace(/\.abi0$/, '').replace(/\(.*$/, '').replace(/(\.(constprop|isra|part|cold)(\.\d+)?)+$/, '').split('::').pop()!;

/** Compare one thread's frames with gdb's; returns how many physical frames matched. */
async function compareWithGdb(ours: UnifiedFrame[], gdb: GdbFrame[], stack: UnifiedStack): Promise<{ matched: number; tailCalls: number }> {
  let i = 0;
  let matched = 0;
  let tailCalls = 0;
  for (let j = 0; j < gdb.length && i < ours.length; j++) {
    const g = gdb[j];
    if (g.functions[0] === '??') break; // gdb lost the stack here
    const pc = BigInt(ours[i].pc!);
    if (g.pc !== undefined && g.pc !== pc) {
      // gdb synthesizes a frame for a tail call from DWARF call-site info; the stack holds none.
      // Checked: the instruction before gdb's pc is a jmp, so no return address there is on the stack.
      if (gdb[j + 1]?.pc === pc && (await afterJump(stack, g.pc))) {
        tailCalls++;
        continue;
      }
      throw new Error(`frame ${i}: ours 0x${pc.toString(16)} (${ours[i].function}), gdb #${g.no} 0x${g.pc.toString(16)} (${g.functions.join(' < ')})`);
    }
    const gdbNames = g.functions.map(norm);
    const ourNames = [...ours[i].inlined.map((x) => x.function), ours[i].function ?? '?'].map(norm);
    if (!g.signalHandler && OURS.test(g.functions[g.functions.length - 1])) expect(ourNames).toEqual(gdbNames);
    matched++;
    i++;
    // gdb cannot leave the g0 stack at asmcgocall: what it prints past it is garbage.
    if (g.functions[0] === 'runtime.asmcgocall') break;
  }
  return { matched, tailCalls };
}

describe.each(CORES.map((c) => [c]))('%s', (name) => {
  it('has every thread gdb has, crashed thread first, each frame at gdb\'s pc (and name, in our modules)', async () => {
    const stack = await run(name);
    const gdb = gdbThreads(name);
    const current = Number(/Current thread is \d+ \(.*LWP (\d+)\)/.exec(captured(`${name}.gdb.txt`))![1]);
    const lwps = stack.threads.filter((t) => t.tid !== undefined);
    expect(lwps.map((t) => t.tid).sort()).toEqual([...gdb.keys()].sort());
    expect(lwps[0].tid).toBe(current);
    expect(lwps[0].crashed).toBe(true);
    expect(stack.threads.filter((t) => t.crashed)).toHaveLength(1);
    let total = 0;
    for (const t of lwps) {
      const { matched, tailCalls } = await compareWithGdb(t.frames, gdb.get(t.tid!)!, stack);
      // Everything gdb could walk, we walked too (up to where gdb loses the stack).
      const usable = gdb.get(t.tid!)!.findIndex((g) => g.functions[0] === '??');
      expect(matched + tailCalls).toBeGreaterThanOrEqual(Math.min(usable < 0 ? gdb.get(t.tid!)!.length : usable, gdb.get(t.tid!)!.length) - 1);
      total += matched;
    }
    expect(total).toBeGreaterThan(10);
  });
});

const GO: { core: CoreName; stderr: string }[] = [
  { core: 'go-exe-kernel', stderr: 'go-exe.stderr.txt' },
  { core: 'go-exe-gdb', stderr: 'go-exe.stderr.txt' },
  { core: 'go-pie-kernel', stderr: 'go-pie.stderr.txt' },
  { core: 'go-pie-gdb', stderr: 'go-pie.stderr.txt' },
  { core: 'gopanic-kernel', stderr: 'gopanic.stderr.txt' },
];

describe.each(GO.map((g) => [g.core, g]))('%s against Go\'s own traceback', (_n, { core, stderr }) => {
  it('lists every goroutine Go printed, with the same frames (pc and sp) and state', async () => {
    const stack = await run(core);
    const truth = goTraceback(stderr);
    expect(truth.length).toBeGreaterThanOrEqual(4);
    for (const g of truth) {
      const own = stack.threads.find((t) => t.id === `goroutine ${g.id}`);
      const onThread = stack.threads.find((t) => t.tid !== undefined && t.goroutine === g.id);
      expect(own ?? onThread).toBeDefined();
      const frames = (own ?? onThread)!.frames;
      if (own) {
        expect(own.state).toBe(g.state);
        expect(frames.map((f) => [f.pc, f.sp])).toEqual(g.frames.map((f) => [hex(f.pc), hex(f.sp)]));
        expect(frames.at(-1)!.function).toBe('runtime.goexit.abi0');
      } else {
        // The goroutine the crashed thread was running: Go's frames are the tail of the thread's stack.
        // Under cgo Go starts at runtime.cgocall's syscallpc; the thread has the real return address there.
        const from = g.frames[0].function === 'runtime.cgocall' ? 1 : 0;
        const tail = frames.slice(frames.length - (g.frames.length - from));
        expect(tail.map((f) => [f.pc, f.sp])).toEqual(g.frames.slice(from).map((f) => [hex(f.pc), hex(f.sp)]));
        if (from === 1) expect(frames[frames.length - g.frames.length].sp).toBe(hex(g.frames[0].sp));
        expect(onThread!.crashed || g.state === 'running').toBe(true);
      }
    }
    // Nothing extra: every goroutine listed apart is one Go printed.
    const ids = new Set(truth.map((g) => g.id));
    for (const t of stack.threads.filter((x) => x.tid === undefined)) expect(ids.has(t.goroutine!)).toBe(true);
  });
});

describe('the crashing cgo thread, one stack from the fault in C to goexit', () => {
  it.each([['go-exe-gdb' as CoreName], ['go-pie-gdb' as CoreName], ['go-exe-kernel' as CoreName]])('%s', async (name) => {
    const t: UnifiedThread = (await run(name)).threads[0];
    const fns = t.frames.map((f) => norm(f.function ?? '?'));
    const fault = fns.indexOf('checksum');
    expect(fault).toBeGreaterThanOrEqual(0);
    expect(t.frames[fault].address_kind).toBe('exact');
    expect(t.frames[fault].inlined.map((x) => x.function)).toEqual(['load_byte', 'mix_byte']);
    expect(fns.slice(fault)).toEqual([
      'checksum', 'crashy_process_record', '_cgo_28ef7d142d82_Cfunc_crashy_process_record', 'runtime.asmcgocall', 'runtime.cgocall',
      'main._Cfunc_crashy_process_record', 'main.handleRecord', 'main.processBatch', 'main.main', 'runtime.main', 'runtime.goexit',
    ]);
    expect(t.frames[fault + 4].unwound_by).toBe('cgo-switch');
    expect(t.goroutine).toBe(1);
    for (const f of t.frames.slice(1)) expect(f.address_kind === 'return' || f.unwound_by === 'signal-frame' || f.address_kind === 'exact').toBe(true);
  });
});

/** Whether the bytes before `pc` in its module are a jmp (e9 rel32 or eb rel8), read from the module file as stored. */
async function afterJump(stack: UnifiedStack, pc: bigint): Promise<boolean> {
  for (const m of stack.modules) {
    if (m.load_bias === undefined) continue;
    const file = coreModuleFiles().find((f) => basename(f) === basename(m.path));
    if (!file) continue;
    const src = await FileSource.open(file);
    try {
      const vaddr = pc - BigInt(m.load_bias);
      const seg = loadSegments(await readElf(src, file)).find((s) => s.vaddr <= vaddr - 5n && vaddr <= s.vaddr + s.filesz && s.flags & 1);
      if (!seg) continue;
      const b = await src.read(Number(seg.offset + vaddr - seg.vaddr) - 5, 5);
      return b[0] === 0xe9 || b[3] === 0xeb;
    } finally {
      await src.close();
    }
  }
  return false;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}
