import { CrashReport, GoroutineTrace, RawFrame } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';

export interface MergedThread {
  id: string;
  state: string;
  crashed: boolean;
  frames: ResolvedFrame[];
  name?: string;
  tid?: number;
  goroutine?: number;
  unwindStopped?: string;
}

const CGO_ENTRY = /^runtime\.(cgocall|asmcgocall)(\.|$)/;

/**
 * Is the fault PC native code under cgo? Go says so (`signal arrived during cgo
 * execution`), or the PC lies outside every module that holds Go frames, while a
 * goroutine sits in runtime.cgocall.
 */
export function faultIsNative(report: CrashReport, isInGoModule: (pc: bigint) => boolean | undefined): boolean {
  if (!report.fault) return false;
  if (report.inCgo) return true;
  const inGo = isInGoModule(report.fault.pc);
  if (inGo !== undefined) return !inGo;
  return report.goroutines.some((g) => g.frames[0]?.function !== undefined && CGO_ENTRY.test(g.frames[0].function));
}

/** The goroutine the native fault belongs on: the one in runtime.cgocall, else the first printed. */
export function crashedGoroutine(report: CrashReport, native: boolean): GoroutineTrace | undefined {
  const user = report.goroutines.filter((g) => !g.system);
  if (native) {
    const inCgo = user.find((g) => g.frames.slice(0, 3).some((f) => f.function && CGO_ENTRY.test(f.function)));
    if (inCgo) return inCgo;
  }
  return user[0];
}

/**
 * merge stage (Go + cgo): every goroutine keeps its own frames, resolved where they
 * were native; the faulting native PC goes on top of the goroutine that made the cgo
 * call, innermost first, so one stack reads from the fault down to main.
 */
export function mergeGoStack(
  report: CrashReport,
  faultFrame: RawFrame | undefined,
  resolved: Map<RawFrame, ResolvedFrame>,
  crashed: GoroutineTrace | undefined,
): MergedThread[] {
  const asResolved = (f: RawFrame) => resolvedOrInput(f, resolved);
  const threads = report.goroutines.map((g) => {
    const frames = g.frames.map(asResolved);
    const isCrashed = g === crashed;
    if (isCrashed && faultFrame && !(g.frames[0]?.kind === 'native' && g.frames[0].pc === faultFrame.pc)) {
      frames.unshift(asResolved(faultFrame));
    }
    return {
      id: g.system ? 'runtime stack' : `goroutine ${g.id}`,
      state: g.state,
      crashed: isCrashed && (report.fault !== undefined || report.headline !== undefined),
      frames,
    };
  });
  return threads;
}

/**
 * The frame as resolve left it, else what the input named: Go frames by the runtime,
 * Java and VM-stub frames by the JVM (never looked up: there is no file to look in).
 */
export function resolvedOrInput(f: RawFrame, resolved: Map<RawFrame, ResolvedFrame>): ResolvedFrame {
  const r = resolved.get(f);
  if (r) return r;
  if (f.kind === 'go' && f.function) {
    return { raw: f, symbol: { function: f.function, file: f.file, line: f.line, inlined: [], source: 'go-traceback' } };
  }
  if ((f.kind === 'java' || f.kind === 'jvm') && f.function) return { raw: f, symbol: { function: f.function, inlined: [], source: 'jvm' } };
  return { raw: f, reason: 'not resolved' };
}

/** The crashed thread first: it is what the reader came for; the rest keep input order. */
export function crashedFirst(threads: MergedThread[]): MergedThread[] {
  return [...threads.filter((t) => t.crashed), ...threads.filter((t) => !t.crashed)];
}
