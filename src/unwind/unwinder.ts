import { GoFrameInfo } from '../elf/gopclntab';
import { rowAt } from './cfi/cfa-program';
import { CfiError } from './cfi/byte-cursor';
import { Fde } from './cfi/cfi-entries';
import { evaluate, ExpressionContext } from './cfi/dwarf-expression';
import { GoLayout } from './go/go-layout';
import { Memory, readU64 } from './memory';
import { CALLEE_SAVED, RBP, Registers, RIP, RSP } from './registers';
import { ModuleMap, UnwindModule } from './unwind-module';

/**
 * How a frame's pc was found: `context` (the thread's registers), `cfi` (DWARF CFI of
 * the frame below), `go-pcsp` (the Go frame size table, as the Go runtime unwinds),
 * `signal-frame` (the ucontext a signal handler's frame saved), `cgo-switch` (from
 * the g0 stack to the goroutine's at asmcgocall, or back at cgocallback),
 * `systemstack-switch` (g0 back to the goroutine that called systemstack),
 * `frame-pointer` (the fallback: rbp chain; trust it least).
 */
export type UnwindMethod = 'context' | 'cfi' | 'go-pcsp' | 'signal-frame' | 'cgo-switch' | 'systemstack-switch' | 'frame-pointer' | 'go-sched';

export interface UnwoundFrame {
  pc: bigint;
  sp: bigint;
  /** exact: the instruction that was executing (first frame, after a signal frame or sigpanic); return: a return address. */
  addressKind: 'exact' | 'return';
  method: UnwindMethod;
  /** The Go function at pc, when the module's .gopclntab has one (Go code, Go assembly). */
  goFunction?: string;
  /** The g whose stack this frame is on, once a switch to a goroutine stack has been followed. */
  goroutine?: bigint;
}

export interface UnwindResult {
  frames: UnwoundFrame[];
  /** Why the walk ended, in words (`runtime.goexit: the goroutine's first frame`, `CFI marks the return address undefined`). */
  stopped: string;
  /** The walk ended where it should (a top frame, an undefined return address), not on missing data. */
  complete: boolean;
}

/** What the unwinder knows of the Go runtime on this thread: its m's g0 and current goroutine. */
export interface GoThreadContext {
  layout: GoLayout;
  g0?: bigint;
  curg?: bigint;
  g0Stack?: { lo: bigint; hi: bigint };
}

export interface UnwindContext {
  memory: Memory;
  modules: ModuleMap;
  go?: GoThreadContext;
  maxFrames: number;
}

const SIGRETURN = Buffer.from([0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05]); // mov $15,%rax; syscall
/** struct ucontext: uc_flags, uc_link, uc_stack (24 bytes), then uc_mcontext.gregs. */
const MCONTEXT = 40n;
/** gregs order (sys/ucontext.h REG_R8..REG_RIP) as DWARF register numbers. */
const GREGS_DWARF = [8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 6, 3, 1, 0, 2, 7, 16];
const FUNCFLAG_TOPFRAME = 1;
const SIGNAL_HANDLERS = new Set(['runtime.sigtramp', 'runtime.cgoSigtramp', 'runtime.sigtramp.abi0', 'runtime.cgoSigtramp.abi0']);
const FUNCFLAG_SPWRITE = 2;

interface State {
  regs: Registers;
  kind: 'exact' | 'return';
  method: UnwindMethod;
  goroutine?: bigint;
}

type Step = { next: State; switched: boolean } | { stop: string; complete: boolean };

/** Walk one stack from its registers: signal frames, Go frames (pcsp), CFI, then frame pointers. */
export async function unwind(initial: Registers, ctx: UnwindContext, start: Partial<State> = {}): Promise<UnwindResult> {
  const frames: UnwoundFrame[] = [];
  let state: State = { regs: initial, kind: start.kind ?? 'exact', method: start.method ?? 'context', goroutine: start.goroutine };
  const seen = new Set<string>();
  for (;;) {
    const pc = state.regs.get(RIP)!;
    const sp = state.regs.get(RSP) ?? 0n;
    const mod = ctx.modules.at(pc);
    const trampoline = (await ctx.memory.read(pc, SIGRETURN.length))?.equals(SIGRETURN) === true;
    // A signal trampoline is where the handler "returns" to: its first instruction, not a call site.
    const kind = trampoline ? 'exact' : state.kind;
    const lookup = kind === 'exact' ? pc : pc - 1n;
    const gf = mod?.go?.frameAt(lookup - mod.bias);
    frames.push({ pc, sp, addressKind: kind, method: state.method, goFunction: gf?.name, goroutine: state.goroutine });
    if (frames.length >= ctx.maxFrames) return { frames, stopped: `stopped at the frame cap (${ctx.maxFrames})`, complete: false };
    const step = trampoline ? await signalFrame(state, sp, ctx) : await stepFrom(state, pc, sp, lookup, mod, gf, ctx, frames.length === 1);
    if ('stop' in step) return { frames, stopped: step.stop, complete: step.complete };
    const npc = step.next.regs.get(RIP);
    const nsp = step.next.regs.get(RSP);
    if (npc === undefined || npc === 0n) return { frames, stopped: 'end of stack (return address 0)', complete: true };
    if (nsp === undefined) return { frames, stopped: 'the caller\'s stack pointer is unknown', complete: false };
    // Progress guard: on one stack, sp grows toward the caller; a switch may go anywhere, but never twice to the same place.
    if (!step.switched && nsp <= sp && !(nsp === sp && npc !== pc && step.next.method === 'cfi')) {
      return { frames, stopped: `the stack pointer did not grow (0x${nsp.toString(16)} after 0x${sp.toString(16)}): corrupt stack or unwind data`, complete: false };
    }
    const key = `${npc}:${nsp}`;
    if (seen.has(key)) return { frames, stopped: 'the walk returned to a frame it had seen (loop)', complete: false };
    seen.add(key);
    state = step.next;
  }
}

async function stepFrom(
  state: State,
  pc: bigint,
  sp: bigint,
  lookup: bigint,
  mod: UnwindModule | undefined,
  gf: GoFrameInfo | undefined,
  ctx: UnwindContext,
  first: boolean,
): Promise<Step> {
  if (gf) return goStep(state, pc, sp, gf, ctx, first);
  if (mod) {
    const v = lookup - mod.bias;
    const eh = mod.cfi.ehFrame?.find(v);
    const fde = eh ?? mod.cfi.debugFrame?.find(v);
    if (fde) {
      try {
        const section = (eh ? mod.cfi.ehFrame! : mod.cfi.debugFrame!).section;
        return await cfiStep(state, fde, section.vaddr, mod, v, ctx);
      } catch (err) {
        if (!(err instanceof CfiError)) throw err;
        const fp = await framePointerStep(state, sp, ctx);
        return 'stop' in fp ? { stop: `CFI of ${mod.path} failed at 0x${v.toString(16)}: ${err.message}`, complete: false } : fp;
      }
    }
  }
  const fp = await framePointerStep(state, sp, ctx);
  if ('stop' in fp) {
    const where = mod ? `no CFI for 0x${(lookup - mod.bias).toString(16)} in ${mod.path}` : `0x${pc.toString(16)} is in no module with unwind data`;
    return { stop: `${where}, and ${fp.stop}`, complete: false };
  }
  return fp;
}

/** The kernel's rt_sigframe: after the handler returned into the restorer, sp points at the ucontext. */
async function signalFrame(state: State, sp: bigint, ctx: UnwindContext): Promise<Step> {
  const g = await ctx.memory.read(sp + MCONTEXT, GREGS_DWARF.length * 8);
  if (!g) return { stop: 'signal frame: the saved ucontext is not in the core', complete: false };
  const regs: Registers = new Map();
  GREGS_DWARF.forEach((r, i) => regs.set(r, g.readBigUInt64LE(i * 8)));
  return { next: { regs, kind: 'exact', method: 'signal-frame', goroutine: state.goroutine }, switched: true };
}

async function goStep(state: State, pc: bigint, sp: bigint, gf: GoFrameInfo, ctx: UnwindContext, first: boolean): Promise<Step> {
  const m = ctx.memory;
  const go = ctx.go;
  const name = gf.name;
  if (name === 'runtime.goexit') return { stop: 'runtime.goexit: the goroutine\'s first frame', complete: true };
  if (!first && name === 'runtime.asmcgocall') {
    // asm_amd64.s: on the g0 stack, 48(SP) holds the goroutine's g (0 when it was already on g0)
    // and 40(SP) its depth below g.stack.hi (or, without g, the old SP itself).
    const g = await readU64(m, sp + 48n);
    const depth = await readU64(m, sp + 40n);
    if (g === undefined || depth === undefined) return { stop: 'runtime.asmcgocall: its saved g and stack depth are not in the core', complete: false };
    let gsp = depth;
    if (g !== 0n) {
      const hi = await readU64(m, g + BigInt(go?.layout.g.stackHi ?? 8));
      if (hi === undefined) return { stop: `runtime.asmcgocall: g 0x${g.toString(16)} is not in the core`, complete: false };
      gsp = hi - depth;
    }
    const ra = await readU64(m, gsp);
    if (ra === undefined) return { stop: 'runtime.asmcgocall: the goroutine stack is not in the core', complete: false };
    const regs: Registers = new Map([[RIP, ra], [RSP, gsp + 8n], [RBP, state.regs.get(RBP) ?? 0n]]);
    return { next: { regs, kind: 'return', method: 'cgo-switch', goroutine: g !== 0n ? g : state.goroutine }, switched: true };
  }
  if (!first && go?.curg && (name === 'runtime.systemstack' || name === 'runtime.morestack') && onG0(sp, go)) {
    const L = go.layout.g;
    const spv = await readU64(m, go.curg + BigInt(L.schedSp));
    const pcv = await readU64(m, go.curg + BigInt(L.schedPc));
    const bp = await readU64(m, go.curg + BigInt(L.schedBp));
    if (!spv || !pcv) return { stop: `${name}: the goroutine's saved sched is not in the core`, complete: false };
    const regs: Registers = new Map([[RIP, pcv], [RSP, spv], [RBP, bp ?? 0n]]);
    return { next: { regs, kind: 'return', method: 'systemstack-switch', goroutine: go.curg }, switched: true };
  }
  if (!first && name === 'runtime.cgocallback' && go?.g0 && gf.spDelta !== undefined && !onG0(sp, go)) {
    // cgocallback set g0.sched.sp to its own g0 frame while Go code runs on the goroutine stack.
    const g0sp = await readU64(m, go.g0 + BigInt(go.layout.g.schedSp));
    if (g0sp) {
      const fp = g0sp + BigInt(gf.spDelta) + 8n;
      const ra = await readU64(m, fp - 8n);
      if (ra) return { next: { regs: new Map([[RIP, ra], [RSP, fp], [RBP, state.regs.get(RBP) ?? 0n]]), kind: 'return', method: 'cgo-switch', goroutine: undefined }, switched: true };
    }
  }
  // sigtramp is marked TOPFRAME so Go's own traceback stops there; its caller is the restorer, whose ucontext we follow.
  if (gf.flag & FUNCFLAG_TOPFRAME && !SIGNAL_HANDLERS.has(name)) return { stop: `${name} is the top of its stack`, complete: true };
  if (name === 'runtime.mcall' || name === 'runtime.mstart' || name === 'runtime.rt0_go') return { stop: `${name} is the top of its stack`, complete: true };
  if (!first && gf.flag & FUNCFLAG_SPWRITE && !SIGNAL_HANDLERS.has(name)) return { stop: `${name} switches stacks (SPWRITE) and the switch is not one symbridge follows`, complete: false };
  if (gf.spDelta === undefined || gf.spDelta < 0) return { stop: `${name}: .gopclntab has no frame size at 0x${pc.toString(16)}`, complete: false };
  const fp = sp + BigInt(gf.spDelta) + 8n;
  const ra = await readU64(m, fp - 8n);
  if (ra === undefined) return { stop: `${name}: the return address at 0x${(fp - 8n).toString(16)} is not in the core`, complete: false };
  const bp = gf.spDelta >= 8 ? await readU64(m, fp - 16n) : state.regs.get(RBP);
  const regs: Registers = new Map([[RIP, ra], [RSP, fp]]);
  if (bp !== undefined) regs.set(RBP, bp);
  // The frame after sigpanic (or an async preemption) is the instruction that faulted, not a call.
  const kind = name === 'runtime.sigpanic' || name === 'runtime.asyncPreempt' ? 'exact' : 'return';
  return { next: { regs, kind, method: 'go-pcsp', goroutine: state.goroutine }, switched: false };
}

function onG0(sp: bigint, go: GoThreadContext): boolean {
  return go.g0Stack !== undefined && sp >= go.g0Stack.lo && sp < go.g0Stack.hi;
}

async function cfiStep(state: State, fde: Fde, sectionVaddr: bigint, mod: UnwindModule, vaddr: bigint, ctx: UnwindContext): Promise<Step> {
  const row = rowAt(fde, { section: sectionVaddr }, vaddr);
  const regs = state.regs;
  const exprCtx: ExpressionContext = {
    register: (n) => regs.get(n),
    readU64: (a) => readU64(ctx.memory, a),
    readBytes: (a, n) => ctx.memory.read(a, n),
  };
  let cfa: bigint;
  if (row.cfa.kind === 'reg') {
    const base = regs.get(row.cfa.reg);
    if (base === undefined) return { stop: `CFI computes the CFA from register ${row.cfa.reg}, which is unknown in this frame`, complete: false };
    cfa = BigInt.asUintN(64, base + BigInt(row.cfa.offset));
  } else cfa = await evaluate(row.cfa.expr, exprCtx);
  const next: Registers = new Map();
  for (const r of CALLEE_SAVED) if (regs.has(r)) next.set(r, regs.get(r)!);
  next.set(RSP, cfa);
  let raDefined = true;
  for (const [r, rule] of row.regs) {
    let v: bigint | undefined;
    switch (rule.kind) {
      case 'undefined':
        if (r === fde.cie.raRegister) raDefined = false;
        next.delete(r);
        continue;
      case 'same':
        v = regs.get(r);
        break;
      case 'offset':
        v = await readU64(ctx.memory, cfa + BigInt(rule.offset));
        break;
      case 'val_offset':
        v = BigInt.asUintN(64, cfa + BigInt(rule.offset));
        break;
      case 'register':
        v = regs.get(rule.reg);
        break;
      case 'expression':
        v = await readU64(ctx.memory, await evaluate(rule.expr, exprCtx, [cfa]));
        break;
      case 'val_expression':
        v = await evaluate(rule.expr, exprCtx, [cfa]);
        break;
    }
    if (v === undefined) next.delete(r);
    else next.set(r, v);
  }
  if (!raDefined) return { stop: 'end of stack (CFI marks the return address undefined)', complete: true };
  const ra = next.get(fde.cie.raRegister);
  if (ra === undefined) return { stop: `CFI of ${mod.path}: the return address is not in the core`, complete: false };
  next.set(RIP, ra);
  return { next: { regs: next, kind: fde.cie.signalFrame ? 'exact' : 'return', method: 'cfi', goroutine: state.goroutine }, switched: fde.cie.signalFrame };
}

const MAX_FP_FRAME = 1n << 24n;

/** The fallback: rbp points at the saved rbp, the return address above it. */
async function framePointerStep(state: State, sp: bigint, ctx: UnwindContext): Promise<Step> {
  const rbp = state.regs.get(RBP);
  if (rbp === undefined || rbp < sp || rbp - sp > MAX_FP_FRAME || rbp % 8n !== 0n) return { stop: 'rbp is not a frame pointer', complete: false };
  const savedBp = await readU64(ctx.memory, rbp);
  const ra = await readU64(ctx.memory, rbp + 8n);
  if (savedBp === undefined || ra === undefined) return { stop: 'the frame pointer chain leaves the core', complete: false };
  if (!ctx.modules.at(ra)) return { stop: `the frame pointer chain leads to 0x${ra.toString(16)}, in no module`, complete: false };
  const regs: Registers = new Map([[RIP, ra], [RSP, rbp + 16n], [RBP, savedBp]]);
  return { next: { regs, kind: 'return', method: 'frame-pointer', goroutine: state.goroutine }, switched: false };
}
