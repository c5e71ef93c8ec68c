import { Memory, readU64 } from '../memory';
import { ModuleMap } from '../unwind-module';
import { G_DEAD, G_STATUS, G_WAITING, GoLayout } from './go-layout';

/** An M (OS thread) of the Go runtime, from runtime.allm. */
export interface GoM {
  m: bigint;
  /** The LWP id (m.procid), which is the core's NT_PRSTATUS pid of the thread. */
  tid: number;
  g0: bigint;
  gsignal: bigint;
  curg: bigint;
  g0Stack: { lo: bigint; hi: bigint };
}

/** A goroutine, from runtime.allgs. */
export interface GoG {
  g: bigint;
  goid: number;
  status: number;
  /** As Go's traceback prints it: the wait reason while waiting, else the status word. */
  state: string;
  /** Minutes blocked, when waitsince is set (Go prints `, N minutes` past one). */
  sched: { pc: bigint; sp: bigint; bp: bigint };
  stack: { lo: bigint; hi: bigint };
  syscall: { pc: bigint; sp: bigint };
  m: bigint;
  gopc: bigint;
  startpc: bigint;
}

export interface GoRuntime {
  ms: GoM[];
  gs: GoG[];
  problems: string[];
}

const MAX_GS = 1_000_000;
const MAX_MS = 100_000;

/** Read the runtime's list of Ms and Gs out of the core, bounded and checked at every pointer. */
export async function readGoRuntime(mem: Memory, modules: ModuleMap, layout: GoLayout): Promise<GoRuntime> {
  const problems: string[] = [];
  const L = layout;
  const u64 = (a: bigint) => readU64(mem, a);
  const ms: GoM[] = [];
  const allm = modules.goSymbol('runtime.allm');
  if (!allm) problems.push('runtime.allm is not in the symbol table (stripped binary?): threads are not matched to Ms');
  else {
    let m = await u64(allm.addr);
    const seen = new Set<bigint>();
    while (m && !seen.has(m) && ms.length < MAX_MS) {
      seen.add(m);
      const [procid, g0, gsignal, curg] = await Promise.all([u64(m + BigInt(L.m.procid)), u64(m + BigInt(L.m.g0)), u64(m + BigInt(L.m.gsignal)), u64(m + BigInt(L.m.curg))]);
      if (procid === undefined || g0 === undefined) {
        problems.push(`m at 0x${m.toString(16)} is not in the core`);
        break;
      }
      const lo = (await u64(g0 + BigInt(L.g.stackLo))) ?? 0n;
      const hi = (await u64(g0 + BigInt(L.g.stackHi))) ?? 0n;
      ms.push({ m, tid: Number(procid), g0, gsignal: gsignal ?? 0n, curg: curg ?? 0n, g0Stack: { lo, hi } });
      m = await u64(m + BigInt(L.m.alllink));
    }
  }
  const gs: GoG[] = [];
  const allgs = modules.goSymbol('runtime.allgs');
  if (!allgs) problems.push('runtime.allgs is not in the symbol table (stripped binary?): goroutines cannot be listed');
  else {
    const ptr = await u64(allgs.addr);
    const len = await u64(allgs.addr + 8n);
    if (ptr === undefined || len === undefined) problems.push('runtime.allgs is not in the core');
    else {
      if (len > BigInt(MAX_GS)) problems.push(`runtime.allgs says ${len} goroutines; reading the first ${MAX_GS}`);
      const n = Number(len > BigInt(MAX_GS) ? BigInt(MAX_GS) : len);
      const ptrs = await mem.read(ptr, n * 8);
      if (!ptrs) problems.push(`runtime.allgs' array (${n} pointers at 0x${ptr.toString(16)}) is not in the core`);
      for (let i = 0; ptrs && i < n; i++) {
        const g = ptrs.readBigUInt64LE(i * 8);
        const gg = await readG(mem, g, L);
        if (!gg) {
          problems.push(`goroutine struct at 0x${g.toString(16)} is not in the core`);
          continue;
        }
        if (gg.status !== G_DEAD) gs.push(gg);
      }
    }
  }
  return { ms, gs, problems };
}

async function readG(mem: Memory, g: bigint, L: GoLayout): Promise<GoG | undefined> {
  const b = await mem.read(g, Math.max(L.g.startpc, L.g.gopc, L.g.waitreason) + 8);
  if (!b) return undefined;
  const at = (o: number) => b.readBigUInt64LE(o);
  const status = b.readUInt32LE(L.g.atomicstatus) & ~0x1000; // _Gscan
  const reason = b[L.g.waitreason];
  const state = status === G_WAITING && reason > 0 && reason < L.waitReasons.length ? L.waitReasons[reason] : G_STATUS[status] ?? `status ${status}`;
  return {
    g,
    goid: Number(at(L.g.goid)),
    status,
    state,
    sched: { pc: at(L.g.schedPc), sp: at(L.g.schedSp), bp: at(L.g.schedBp) },
    stack: { lo: at(L.g.stackLo), hi: at(L.g.stackHi) },
    syscall: { pc: at(L.g.syscallpc), sp: at(L.g.syscallsp) },
    m: at(L.g.m),
    gopc: at(L.g.gopc),
    startpc: at(L.g.startpc),
  };
}
