import { CrashReport, GoroutineTrace, RawFrame, SignalBlock, SignalInfo } from '../model/crash-report';
import { ResolvedFrame, ResolvedSymbol } from '../model/resolved-frame';
import { InlinedFrame } from '../model/unified-stack';
import { CGO_ENTRY, noteMissingFrames } from './missing-frames';

export interface MergedThread {
  id: string;
  name?: string;
  state: string;
  crashed: boolean;
  /** The M (Go) or OS thread it ran on, and what its own signal block said. */
  m?: number;
  tid?: number;
  signal?: SignalInfo;
  registers?: Record<string, bigint>;
  frames: ResolvedFrame[];
  /** The goroutine a core thread was running, or the goroutine itself (cores). */
  goroutine?: number;
  unwindStopped?: string;
  /** Go's `created by` line, and `...additional frames elided...`, as printed. */
  createdBy?: GoroutineTrace['createdBy'];
  framesElided?: boolean;
  /** A goroutine's header line as printed. */
  inputHeader?: string;
  /** Go printed `goroutine running on other thread; stack unavailable`. */
  stackUnavailable?: boolean;
}

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

/**
 * The goroutine the fault belongs on: the crash block prints the one the signal hit first
 * (signal_unix.go: gp = curg when it arrived during cgo); among those (or all, without
 * blocks) the one in runtime.cgocall for a native fault, else the first printed.
 */
export function crashedGoroutine(report: CrashReport, native: boolean): GoroutineTrace | undefined {
  const crashBlock = report.signalBlocks?.[0].goroutines.filter((g) => !g.system);
  const user = crashBlock?.length ? crashBlock : report.goroutines.filter((g) => !g.system);
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
  const blocks = report.signalBlocks ?? [];
  const threads = report.goroutines.map((g): MergedThread => {
    const frames = g.frames.map(asResolved);
    const isCrashed = g === crashed;
    if (isCrashed && faultFrame && !(g.frames[0]?.kind === 'native' && g.frames[0].pc === faultFrame.pc)) {
      frames.unshift(asResolved(faultFrame));
    }
    // The goroutine a signal block is about (the crashed one; an M's first in its SIGQUIT block) carries its M, signal and registers.
    const block: SignalBlock | undefined = isCrashed ? blocks[0] : g.block ? blocks[g.block] : undefined;
    const own = block && (isCrashed || block.goroutines[0] === g);
    // Each M's g0 (`goroutine 0 [idle]`) is that M's thread, named by it.
    const g0 = g.id === 0 && block?.m !== undefined && own;
    return {
      id: g.system ? 'runtime stack' : g0 ? `m ${block!.m}` : `goroutine ${g.id}`,
      name: g0 ? `goroutine 0 (g0 of m ${block!.m})` : undefined,
      state: g.state,
      crashed: isCrashed && (report.fault !== undefined || report.headline !== undefined),
      m: own ? block!.m : undefined,
      signal: own ? block!.signal : undefined,
      registers: own && Object.keys(block!.registers).length > 0 ? block!.registers : undefined,
      createdBy: g.createdBy,
      inputHeader: g.header,
      stackUnavailable: g.stackUnavailable || undefined,
      framesElided: g.framesElided || undefined,
      frames: isCrashed ? noteMissingFrames(frames, g.frames) : frames,
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
  if (f.kind === 'go' && f.function) return { raw: f, symbol: goTracebackSymbol(f) };
  if ((f.kind === 'java' || f.kind === 'jvm') && f.function) return { raw: f, symbol: { function: f.function, inlined: [], source: 'jvm' } };
  return { raw: f, reason: 'not resolved' };
}

/** A Go frame as the runtime printed it: function, file:line and its inlined calls. */
export function goTracebackSymbol(f: RawFrame): ResolvedSymbol {
  return { function: f.function!, file: f.file, line: f.line, inlined: printedInlined(f), source: 'go-traceback' };
}

/** Go's printed `f(...)` lines above a physical frame, as the frame's inline chain (innermost first). */
export function printedInlined(f: RawFrame): InlinedFrame[] {
  return (f.inlined ?? []).map((c) => ({ function: c.function, file: c.file, line: c.line, args: c.args, input_line: c.inputLine }));
}

/** The crashed thread first: it is what the reader came for; the rest keep input order. */
export function crashedFirst(threads: MergedThread[]): MergedThread[] {
  return [...threads.filter((t) => t.crashed), ...threads.filter((t) => !t.crashed)];
}
