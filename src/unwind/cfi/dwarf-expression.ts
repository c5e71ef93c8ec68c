import { ByteCursor, CfiError } from './byte-cursor';

/**
 * The DWARF expression stack machine (DWARF 5 section 2.5), as far as call frame
 * information uses it: CFA and register rules of signal trampolines and PLT
 * stubs (breg, deref, arithmetic, branches). Register *locations* (DW_OP_reg*) and
 * pieces do not occur in CFI and are errors.
 */
export interface ExpressionContext {
  register(n: number): bigint | undefined;
  readU64(addr: bigint): Promise<bigint | undefined>;
  readBytes(addr: bigint, n: number): Promise<Buffer | undefined>;
}

const MASK = (1n << 64n) - 1n;
const MAX_STEPS = 10_000;
const MAX_STACK = 1_000;

export async function evaluate(expr: Buffer, ctx: ExpressionContext, initial: bigint[] = []): Promise<bigint> {
  const c = new ByteCursor(expr);
  const st: bigint[] = [...initial];
  const pop = () => {
    const v = st.pop();
    if (v === undefined) throw new CfiError('DWARF expression stack underflow', c.pos);
    return v;
  };
  const push = (v: bigint) => {
    if (st.length >= MAX_STACK) throw new CfiError('DWARF expression stack overflow', c.pos);
    st.push(BigInt.asUintN(64, v));
  };
  const reg = (n: number) => {
    const v = ctx.register(n);
    if (v === undefined) throw new CfiError(`DWARF expression reads register ${n}, which is unknown here`, c.pos);
    return v;
  };
  const signed = (v: bigint) => BigInt.asIntN(64, v);
  for (let steps = 0; !c.done; steps++) {
    if (steps > MAX_STEPS) throw new CfiError('DWARF expression runs more than 10000 steps', c.pos);
    const at = c.pos;
    const op = c.u8();
    if (op >= 0x30 && op <= 0x4f) push(BigInt(op - 0x30));
    else if (op >= 0x70 && op <= 0x8f) push(reg(op - 0x70) + c.sleb());
    else
      switch (op) {
        case 0x03: push(c.u64()); break; // addr
        case 0x06: { // deref
          const v = await ctx.readU64(pop());
          if (v === undefined) throw new CfiError('DWARF expression dereferences memory the core does not hold', at);
          push(v);
          break;
        }
        case 0x94: { // deref_size
          const n = c.u8();
          const b = await ctx.readBytes(pop(), n);
          if (!b || n < 1 || n > 8) throw new CfiError('DWARF expression dereferences memory the core does not hold', at);
          let v = 0n;
          for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
          push(v);
          break;
        }
        case 0x08: push(BigInt(c.u8())); break;
        case 0x09: push(BigInt(c.i8())); break;
        case 0x0a: push(BigInt(c.u16())); break;
        case 0x0b: push(BigInt(c.i16())); break;
        case 0x0c: push(BigInt(c.u32())); break;
        case 0x0d: push(BigInt(c.i32())); break;
        case 0x0e: push(c.u64()); break;
        case 0x0f: push(c.i64()); break;
        case 0x10: push(c.uleb()); break;
        case 0x11: push(c.sleb()); break;
        case 0x12: { const v = pop(); push(v); push(v); break; }
        case 0x13: pop(); break;
        case 0x14: { if (st.length < 2) throw new CfiError('over: stack underflow', at); push(st[st.length - 2]); break; }
        case 0x15: { const i = c.u8(); if (i >= st.length) throw new CfiError('pick: stack underflow', at); push(st[st.length - 1 - i]); break; }
        case 0x16: { const a = pop(); const b = pop(); push(a); push(b); break; }
        case 0x17: { const a = pop(); const b = pop(); const d = pop(); push(a); push(d); push(b); break; }
        case 0x19: { const v = signed(pop()); push(v < 0n ? -v : v); break; }
        case 0x1a: { const a = pop(); push(pop() & a); break; }
        case 0x1b: { const a = signed(pop()); const b = signed(pop()); if (a === 0n) throw new CfiError('division by zero', at); push(b / a); break; }
        case 0x1c: { const a = pop(); push(pop() - a); break; }
        case 0x1d: { const a = pop(); const b = pop(); if (a === 0n) throw new CfiError('modulo by zero', at); push(b % a); break; }
        case 0x1e: { const a = pop(); push(pop() * a); break; }
        case 0x1f: push(-signed(pop())); break;
        case 0x20: push(~pop() & MASK); break;
        case 0x21: { const a = pop(); push(pop() | a); break; }
        case 0x22: { const a = pop(); push(pop() + a); break; }
        case 0x23: push(pop() + c.uleb()); break;
        case 0x24: { const a = pop(); push(a >= 64n ? 0n : pop() << a); break; }
        case 0x25: { const a = pop(); push(a >= 64n ? 0n : pop() >> a); break; }
        case 0x26: { const a = pop(); const b = signed(pop()); push(b >> (a >= 64n ? 63n : a)); break; }
        case 0x27: { const a = pop(); push(pop() ^ a); break; }
        case 0x28: { const off = c.i16(); if (pop() !== 0n) c.pos += off; break; }
        case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: {
          const a = signed(pop());
          const b = signed(pop());
          const r = [b === a, b >= a, b > a, b <= a, b < a, b !== a][op - 0x29];
          push(r ? 1n : 0n);
          break;
        }
        case 0x2f: c.pos += c.i16(); break;
        case 0x92: { const r = c.ulebNum(); push(reg(r) + c.sleb()); break; }
        case 0x96: break;
        default:
          throw new CfiError(`DWARF expression op 0x${op.toString(16)} is not supported in call frame information`, at);
      }
    if (c.pos < 0 || c.pos > expr.length) throw new CfiError('DWARF expression branches outside itself', at);
  }
  return pop();
}
