import { CoreFile } from '../core/core-file';
import { GoLayout, GoLayoutSource, G_RUNNING } from './go/go-layout';
import { GoG, GoM, readGoRuntime } from './go/go-runtime';
import { Memory } from './memory';
import { fromNamed, RBP, RIP, RSP } from './registers';
import { LoadedModule } from './load-module';
import { ModuleMap } from './unwind-module';
import { GoThreadContext, unwind, UnwindResult } from './unwinder';

export interface ThreadStack extends UnwindResult {
  tid: number;
  crashed: boolean;
  signal: number;
  /** The goroutine this thread was running, when the walk reached its stack (or m.curg says so). */
  goroutine?: GoG;
}

export interface GoroutineStack extends UnwindResult {
  g: GoG;
}

export interface CoreStacks {
  threads: ThreadStack[];
  /** Goroutines not running on a thread above (parked, runnable, or whose thread's walk did not reach them). */
  goroutines: GoroutineStack[];
  goVersion?: string;
  /** Where the g/m layout came from, when there is Go code. */
  goLayout?: string;
  problems: string[];
}

export interface CoreUnwindOptions {
  maxFramesPerStack: number;
  layouts: GoLayoutSource;
}

/**
 * unwind stage for a core: every thread from its registers, crashed thread first;
 * then, when the process is Go, every goroutine of runtime.allgs that no thread's
 * walk already covered, from its saved pc/sp (syscallpc/sp while in a syscall or cgo
 * call, else sched), the list Go prints with GOTRACEBACK=crash.
 */
export async function unwindCore(core: CoreFile, loaded: LoadedModule[], memory: Memory, opts: CoreUnwindOptions): Promise<CoreStacks> {
  const modules = new ModuleMap(loaded.map((l) => l.module));
  const problems: string[] = [];
  const goModule = loaded.find((l) => l.module.go && l.module.symbols.has('runtime.allgs')) ?? loaded.find((l) => l.module.go);
  const goVersion = goModule?.goVersion;
  const hasGo = goModule !== undefined;
  let layout: GoLayout | undefined;
  let ms: GoM[] = [];
  let gs: GoG[] = [];
  if (hasGo) {
    layout = await opts.layouts.layoutFor({ goVersion, files: goModule.files });
    if (!layout) problems.push(`no runtime layout for ${goVersion ?? 'this Go version'}: threads are unwound, goroutines not listed (no DWARF types of runtime.g/m in the stored files, and no known layout for the version)`);
    else {
      const rt = await readGoRuntime(memory, modules, layout);
      ms = rt.ms;
      gs = rt.gs;
      problems.push(...rt.problems);
    }
  }
  const order = [core.crashed, ...core.threads.map((_, i) => i).filter((i) => i !== core.crashed)];
  const threads: ThreadStack[] = [];
  const covered = new Set<bigint>();
  for (const i of order) {
    const t = core.threads[i];
    const m = ms.find((x) => x.tid === t.tid);
    const go: GoThreadContext | undefined = layout && m ? { layout, g0: m.g0, curg: m.curg || undefined, g0Stack: m.g0Stack } : undefined;
    const result = await unwind(fromNamed(t.registers), { memory, modules, go, maxFrames: opts.maxFramesPerStack });
    const reached = result.frames.map((f) => f.goroutine).find((g) => g !== undefined);
    const gAddr = reached ?? (m?.curg || undefined);
    const goroutine = gAddr !== undefined ? gs.find((g) => g.g === gAddr) : undefined;
    // Covered: the walk reached the goroutine's own stack (by a switch, or because the thread was running on it).
    const onItsStack = (sp: bigint) => goroutine !== undefined && sp >= goroutine.stack.lo && sp < goroutine.stack.hi;
    if (goroutine && result.frames.some((f) => f.goroutine === goroutine.g || onItsStack(f.sp))) covered.add(goroutine.g);
    threads.push({ ...result, tid: t.tid, crashed: i === core.crashed, signal: t.signal, goroutine });
  }
  const goroutines: GoroutineStack[] = [];
  for (const g of gs) {
    if (covered.has(g.g)) continue;
    if (g.status === G_RUNNING) {
      goroutines.push({ g, frames: [], stopped: 'running on a thread whose walk did not reach its stack', complete: false });
      continue;
    }
    const from = g.syscall.sp !== 0n ? g.syscall : g.sched;
    if (from.pc === 0n || from.sp === 0n) {
      goroutines.push({ g, frames: [], stopped: 'no saved pc/sp', complete: false });
      continue;
    }
    const regs = new Map([[RIP, from.pc], [RSP, from.sp], [RBP, g.sched.bp]]);
    const result = await unwind(regs, { memory, modules, maxFrames: opts.maxFramesPerStack }, { kind: 'return', method: 'go-sched', goroutine: g.g });
    goroutines.push({ ...result, g });
  }
  return { threads, goroutines, goVersion, goLayout: layout?.source, problems };
}
