import { ByteCursor, CfiError, PointerBases } from './byte-cursor';
import { Cie, Fde } from './cfi-entries';

/**
 * The call frame instructions of a CIE + FDE (DWARF 5 section 6.4.2), decoded one
 * op at a time, and the interpreter that turns them into the rule row at a pc:
 * how to compute the CFA and where each caller register was saved.
 */
export interface CfaOp {
  /** The DW_CFA_ name without the prefix, as readelf prints it (`def_cfa`, `advance_loc1`, ...). */
  name: string;
  reg?: number;
  reg2?: number;
  /** Byte offset, already multiplied by the data alignment factor. */
  offset?: number;
  /** advance_*: bytes, already multiplied by the code alignment factor; set_loc: the new location. */
  delta?: number;
  loc?: bigint;
  expr?: Buffer;
}

export type RegRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  | { kind: 'offset'; offset: number }
  | { kind: 'val_offset'; offset: number }
  | { kind: 'register'; reg: number }
  | { kind: 'expression'; expr: Buffer }
  | { kind: 'val_expression'; expr: Buffer };

export type CfaRule = { kind: 'reg'; reg: number; offset: number } | { kind: 'expression'; expr: Buffer };

export interface CfaRow {
  loc: bigint;
  cfa: CfaRule;
  /** Registers with an explicit rule; any other callee-saved register keeps its value. */
  regs: Map<number, RegRule>;
}

const MAX_OPS = 100_000;
const MAX_STATE_STACK = 64;

export function decodeOps(bytes: Buffer, cie: Cie, bases: PointerBases, fdeEncoding = cie.fdeEncoding): CfaOp[] {
  const c = new ByteCursor(bytes);
  const ops: CfaOp[] = [];
  const da = cie.dataAlign;
  const ca = cie.codeAlign;
  while (!c.done) {
    if (ops.length >= MAX_OPS) throw new CfiError('more than 100000 call frame instructions', c.pos);
    const at = c.pos;
    const byte = c.u8();
    const high = byte & 0xc0;
    const low = byte & 0x3f;
    if (high === 0x40) ops.push({ name: 'advance_loc', delta: low * ca });
    else if (high === 0x80) ops.push({ name: 'offset', reg: low, offset: c.ulebNum() * da });
    else if (high === 0xc0) ops.push({ name: 'restore', reg: low });
    else {
      switch (byte) {
        case 0x00: ops.push({ name: 'nop' }); break;
        case 0x01: ops.push({ name: 'set_loc', loc: c.encoded(fdeEncoding, bases, cie.addressSize) ?? 0n }); break;
        case 0x02: ops.push({ name: 'advance_loc1', delta: c.u8() * ca }); break;
        case 0x03: ops.push({ name: 'advance_loc2', delta: c.u16() * ca }); break;
        case 0x04: ops.push({ name: 'advance_loc4', delta: c.u32() * ca }); break;
        case 0x05: ops.push({ name: 'offset_extended', reg: c.ulebNum(), offset: c.ulebNum() * da }); break;
        case 0x06: ops.push({ name: 'restore_extended', reg: c.ulebNum() }); break;
        case 0x07: ops.push({ name: 'undefined', reg: c.ulebNum() }); break;
        case 0x08: ops.push({ name: 'same_value', reg: c.ulebNum() }); break;
        case 0x09: ops.push({ name: 'register', reg: c.ulebNum(), reg2: c.ulebNum() }); break;
        case 0x0a: ops.push({ name: 'remember_state' }); break;
        case 0x0b: ops.push({ name: 'restore_state' }); break;
        case 0x0c: ops.push({ name: 'def_cfa', reg: c.ulebNum(), offset: c.ulebNum() }); break;
        case 0x0d: ops.push({ name: 'def_cfa_register', reg: c.ulebNum() }); break;
        case 0x0e: ops.push({ name: 'def_cfa_offset', offset: c.ulebNum() }); break;
        case 0x0f: ops.push({ name: 'def_cfa_expression', expr: c.bytes(c.ulebNum()) }); break;
        case 0x10: ops.push({ name: 'expression', reg: c.ulebNum(), expr: c.bytes(c.ulebNum()) }); break;
        case 0x11: ops.push({ name: 'offset_extended_sf', reg: c.ulebNum(), offset: c.slebNum() * da }); break;
        case 0x12: ops.push({ name: 'def_cfa_sf', reg: c.ulebNum(), offset: c.slebNum() * da }); break;
        case 0x13: ops.push({ name: 'def_cfa_offset_sf', offset: c.slebNum() * da }); break;
        case 0x14: ops.push({ name: 'val_offset', reg: c.ulebNum(), offset: c.ulebNum() * da }); break;
        case 0x15: ops.push({ name: 'val_offset_sf', reg: c.ulebNum(), offset: c.slebNum() * da }); break;
        case 0x16: ops.push({ name: 'val_expression', reg: c.ulebNum(), expr: c.bytes(c.ulebNum()) }); break;
        case 0x2d: ops.push({ name: 'GNU_window_save' }); break;
        case 0x2e: ops.push({ name: 'GNU_args_size', offset: c.ulebNum() }); break;
        case 0x2f: ops.push({ name: 'GNU_negative_offset_extended', reg: c.ulebNum(), offset: -c.ulebNum() * da }); break;
        default:
          throw new CfiError(`unknown call frame instruction 0x${byte.toString(16)}`, at);
      }
    }
  }
  return ops;
}

interface State {
  cfa: CfaRule;
  regs: Map<number, RegRule>;
}

function copy(s: State): State {
  return { cfa: s.cfa, regs: new Map(s.regs) };
}

/**
 * Run the CIE's initial instructions and the FDE's up to `pc` (inclusive of every
 * row whose location is <= pc); with pc undefined, every row of the FDE (the table
 * readelf --debug-dump=frames-interp prints).
 */
export function runCfa(fde: Fde, bases: PointerBases, pc?: bigint): CfaRow[] {
  const cie = fde.cie;
  const initial: State = { cfa: { kind: 'reg', reg: 0, offset: 0 }, regs: new Map() };
  apply(decodeOps(cie.instructions, cie, bases), initial, undefined, undefined);
  const state = copy(initial);
  const rows: CfaRow[] = [];
  let loc = fde.pcBegin;
  const stack: State[] = [];
  const ops = decodeOps(fde.instructions, cie, bases);
  for (const op of ops) {
    if (op.name.startsWith('advance') || op.name === 'set_loc') {
      const next = op.name === 'set_loc' ? op.loc! : loc + BigInt(op.delta!);
      if (pc !== undefined && next > pc) break;
      if (next !== loc) rows.push({ loc, cfa: state.cfa, regs: new Map(state.regs) });
      loc = next;
      continue;
    }
    apply([op], state, initial, stack);
  }
  rows.push({ loc, cfa: state.cfa, regs: new Map(state.regs) });
  return rows;
}

/** The rule row in effect at `pc`. */
export function rowAt(fde: Fde, bases: PointerBases, pc: bigint): CfaRow {
  const rows = runCfa(fde, bases, pc);
  return rows[rows.length - 1];
}

function apply(ops: CfaOp[], s: State, initial: State | undefined, stack: State[] | undefined): void {
  for (const op of ops) {
    const reg = op.reg ?? 0;
    switch (op.name) {
      case 'nop':
      case 'GNU_args_size':
      case 'GNU_window_save':
      case 'advance_loc':
      case 'advance_loc1':
      case 'advance_loc2':
      case 'advance_loc4':
      case 'set_loc':
        break;
      case 'offset':
      case 'offset_extended':
      case 'offset_extended_sf':
      case 'GNU_negative_offset_extended':
        s.regs.set(reg, { kind: 'offset', offset: op.offset! });
        break;
      case 'val_offset':
      case 'val_offset_sf':
        s.regs.set(reg, { kind: 'val_offset', offset: op.offset! });
        break;
      case 'restore':
      case 'restore_extended': {
        const r = initial?.regs.get(reg);
        if (r) s.regs.set(reg, r);
        else s.regs.delete(reg);
        break;
      }
      case 'undefined':
        s.regs.set(reg, { kind: 'undefined' });
        break;
      case 'same_value':
        s.regs.set(reg, { kind: 'same' });
        break;
      case 'register':
        s.regs.set(reg, { kind: 'register', reg: op.reg2! });
        break;
      case 'expression':
        s.regs.set(reg, { kind: 'expression', expr: op.expr! });
        break;
      case 'val_expression':
        s.regs.set(reg, { kind: 'val_expression', expr: op.expr! });
        break;
      case 'remember_state':
        if (!stack) break;
        if (stack.length >= MAX_STATE_STACK) throw new CfiError('remember_state nested deeper than 64', 0);
        stack.push(copy(s));
        break;
      case 'restore_state': {
        const prev = stack?.pop();
        // DWARF: restore_state restores the register rules; the CFA rule comes back with them (as libgcc does).
        if (prev) {
          s.regs = prev.regs;
          s.cfa = prev.cfa;
        }
        break;
      }
      case 'def_cfa':
      case 'def_cfa_sf':
        s.cfa = { kind: 'reg', reg, offset: op.offset! };
        break;
      case 'def_cfa_register':
        s.cfa = { kind: 'reg', reg, offset: s.cfa.kind === 'reg' ? s.cfa.offset : 0 };
        break;
      case 'def_cfa_offset':
      case 'def_cfa_offset_sf':
        s.cfa = { kind: 'reg', reg: s.cfa.kind === 'reg' ? s.cfa.reg : 0, offset: op.offset! };
        break;
      case 'def_cfa_expression':
        s.cfa = { kind: 'expression', expr: op.expr! };
        break;
      default:
        throw new CfiError(`call frame instruction ${op.name} not handled`, 0);
    }
  }
}
