import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { FileSource } from '../../../src/adapters/range-source.adapter';
import { readElf } from '../../../src/elf/elf-file';
import { CfaOp, CfaRow, decodeOps, RegRule, runCfa, rowAt } from '../../../src/unwind/cfi/cfa-program';
import { CfiIndex } from '../../../src/unwind/cfi/cfi-index';
import { loadCfi } from '../../../src/unwind/cfi/cfi-sections';
import { ByteCursor } from '../../../src/unwind/cfi/byte-cursor';
import { coreModuleFiles } from '../../support/core-fixtures';

/**
 * The CFI reader and interpreter against binutils' readelf, every entry of every
 * module the fixture cores map (the fixture's C and Go binaries, glibc, ld.so):
 * `--debug-dump=frames` op by op (name and operands), `--debug-dump=frames-interp`
 * row by row (CFA rule and each register's rule at every location readelf prints).
 */
const X86 = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
const regName = (r: number) => (r < X86.length ? X86[r] : r <= 32 ? `xmm${r - 17}` : `r${r}`);
const reg = (r: number) => `r${r} (${regName(r)})`;
const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);
const hex16 = (v: bigint) => v.toString(16).padStart(16, '0');

/** readelf's text for one DW_OP expression, where the ops are ones CFI uses; undefined otherwise. */
function expression(b: Buffer): string | undefined {
  const c = new ByteCursor(b);
  const out: string[] = [];
  const names: Record<number, string> = { 0x06: 'deref', 0x12: 'dup', 0x1a: 'and', 0x1c: 'minus', 0x1e: 'mul', 0x21: 'or', 0x22: 'plus', 0x24: 'shl', 0x25: 'shr', 0x27: 'xor', 0x2a: 'ge', 0x2b: 'gt', 0x2d: 'lt' };
  while (!c.done) {
    const op = c.u8();
    if (op >= 0x30 && op <= 0x4f) out.push(`DW_OP_lit${op - 0x30}`);
    else if (op >= 0x70 && op <= 0x8f) out.push(`DW_OP_breg${op - 0x70} (${regName(op - 0x70)}): ${c.sleb()}`);
    else if (op === 0x23) out.push(`DW_OP_plus_uconst: ${c.uleb()}`);
    else if (op === 0x08) out.push(`DW_OP_const1u: ${c.u8()}`);
    else if (names[op]) out.push(`DW_OP_${names[op]}`);
    else return undefined;
  }
  return out.join('; ');
}

function formatOps(ops: CfaOp[], start: bigint): string[] {
  let loc = start;
  return ops.map((op) => {
    const n = `DW_CFA_${op.name}`;
    switch (op.name) {
      case 'advance_loc':
      case 'advance_loc1':
      case 'advance_loc2':
      case 'advance_loc4':
        loc += BigInt(op.delta!);
        return `${n}: ${op.delta} to ${hex16(loc)}`;
      case 'set_loc':
        loc = op.loc!;
        return `${n}: ${hex16(loc)}`;
      case 'offset':
      case 'offset_extended':
      case 'offset_extended_sf':
        return `${n}: ${reg(op.reg!)} at cfa${signed(op.offset!)}`;
      case 'val_offset':
      case 'val_offset_sf':
        return `${n}: ${reg(op.reg!)} is cfa${signed(op.offset!)}`;
      case 'restore':
      case 'restore_extended':
      case 'undefined':
      case 'same_value':
      case 'def_cfa_register':
        return `${n}: ${reg(op.reg!)}`;
      case 'register':
        return `${n}: ${reg(op.reg!)} in ${reg(op.reg2!)}`;
      case 'def_cfa':
      case 'def_cfa_sf':
        return `${n}: ${reg(op.reg!)} ofs ${op.offset}`;
      case 'def_cfa_offset':
      case 'def_cfa_offset_sf':
      case 'GNU_args_size':
        return `${n}: ${op.offset}`;
      case 'def_cfa_expression':
        return `${n} (${expression(op.expr!) ?? '?'})`;
      case 'expression':
      case 'val_expression':
        return `${n}: ${reg(op.reg!)} (${expression(op.expr!) ?? '?'})`;
      default:
        return n;
    }
  });
}

interface ReadelfEntry {
  section: string;
  offset: number;
  kind: 'CIE' | 'FDE';
  pc?: [bigint, bigint];
  fields: Record<string, string>;
  ops: string[];
  rows: { loc: bigint; cells: Record<string, string> }[];
}

function parseReadelf(text: string): Map<string, ReadelfEntry> {
  const out = new Map<string, ReadelfEntry>();
  let section = '';
  let cur: ReadelfEntry | undefined;
  let cols: string[] = [];
  for (const line of text.split('\n')) {
    const sec = /^Contents of the (\.\w+) section/.exec(line);
    if (sec) {
      section = sec[1];
      continue;
    }
    const h = /^([0-9a-f]{8}) [0-9a-f]+ [0-9a-f]+ (CIE|FDE)(?:.* pc=([0-9a-f]+)\.\.([0-9a-f]+))?/.exec(line);
    if (h) {
      cur = { section, offset: parseInt(h[1], 16), kind: h[2] as 'CIE' | 'FDE', fields: {}, ops: [], rows: [] };
      if (h[3]) cur.pc = [BigInt(`0x${h[3]}`), BigInt(`0x${h[4]}`)];
      out.set(`${section}:${cur.offset}`, cur);
      continue;
    }
    if (!cur) continue;
    const f = /^  (Version|Augmentation|Code alignment factor|Data alignment factor|Return address column):\s+(.*)$/.exec(line);
    if (f) cur.fields[f[1]] = f[2];
    else if (line.startsWith('  DW_CFA_')) cur.ops.push(line.trim());
    else if (/^\s+LOC\s+CFA/.test(line)) cols = line.trim().split(/\s+/).slice(2);
    else if (/^[0-9a-f]{16} /.test(line)) {
      // A register rule prints as `r8 (r8)`: glue the parenthesized name back to its cell.
      const cells = line.trim().split(/\s+/).reduce<string[]>((acc, t) => (t.startsWith('(') ? (acc[acc.length - 1] += ` ${t}`) : acc.push(t), acc), []);
      const row: Record<string, string> = { CFA: cells[1] };
      cols.forEach((c, i) => (row[c] = cells[i + 2]));
      cur.rows.push({ loc: BigInt(`0x${cells[0]}`), cells: row });
    }
  }
  return out;
}

function cell(rule: RegRule | undefined): string {
  if (!rule || rule.kind === 'undefined') return 'u';
  switch (rule.kind) {
    case 'same':
      return 's';
    case 'offset':
      return `c${signed(rule.offset)}`;
    case 'val_offset':
      return `v${signed(rule.offset)}`;
    case 'register':
      return reg(rule.reg);
    case 'expression':
      return 'exp';
    case 'val_expression':
      return 'vexp';
  }
}

function cfaText(row: CfaRow): string {
  return row.cfa.kind === 'expression' ? 'exp' : `${regName(row.cfa.reg)}${signed(row.cfa.offset)}`;
}

/** toEqual only on a difference: libc has 3,000 entries, and the matcher's diffing is what costs. */
function same(got: string[], want: string[]): void {
  if (got.length !== want.length || got.some((g, i) => g !== want[i])) expect(got).toEqual(want);
}

const MODULES = coreModuleFiles().filter((f) => /threads|libcorelib|libcrashy|crashy-exe|gopanic|libc\.so|ld-linux/.test(f));

describe.each(MODULES.map((m) => [basename(m), m]))('CFI of %s against readelf', (_name, file) => {
  let indexes: { section: string; index: CfiIndex }[];
  let frames: Map<string, ReadelfEntry>;
  let interp: Map<string, ReadelfEntry>;

  beforeAll(async () => {
    const src = await FileSource.open(file);
    const cfi = await loadCfi(src, await readElf(src, file));
    await src.close();
    indexes = [
      ...(cfi.ehFrame ? [{ section: '.eh_frame', index: cfi.ehFrame }] : []),
      ...(cfi.debugFrame ? [{ section: '.debug_frame', index: cfi.debugFrame }] : []),
    ];
    // readelf exits 1 when it cannot follow a .gnu_debuglink (glibc's); its output is complete all the same.
    const run = (what: string) => spawnSync('readelf', [`-w${what}`, file], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout;
    frames = parseReadelf(run('f'));
    interp = parseReadelf(run('F'));
  });

  it('decodes every CIE and FDE op by op as readelf does', () => {
    let entries = 0;
    let ops = 0;
    for (const { section, index } of indexes) {
      for (const e of index.entries.entryOffsets()) {
        const want = frames.get(`${section}:${e.offset}`);
        expect(want).toBeDefined();
        entries++;
        if (e.cie) {
          const cie = index.entries.cieAt(e.offset);
          expect(want!.kind).toBe('CIE');
          expect(Number(want!.fields['Version'])).toBe(cie.version);
          expect(want!.fields['Augmentation']).toBe(`"${cie.augmentation}"`);
          expect(Number(want!.fields['Code alignment factor'])).toBe(cie.codeAlign);
          expect(Number(want!.fields['Data alignment factor'])).toBe(cie.dataAlign);
          expect(Number(want!.fields['Return address column'])).toBe(cie.raRegister);
          same(formatOps(decodeOps(cie.instructions, cie, { section: index.section.vaddr }), 0n), want!.ops);
          ops += want!.ops.length;
        } else {
          const fde = index.entries.fdeAt(e.offset);
          expect(want!.kind).toBe('FDE');
          if (fde.pcBegin !== want!.pc?.[0] || fde.pcEnd !== want!.pc?.[1]) expect([fde.pcBegin, fde.pcEnd]).toEqual(want!.pc);
          same(formatOps(decodeOps(fde.instructions, fde.cie, { section: index.section.vaddr }), fde.pcBegin), want!.ops);
          ops += want!.ops.length;
        }
      }
    }
    // readelf saw no entry we did not (terminators aside).
    const seen = [...frames.values()].filter((e) => indexes.some((i) => i.section === e.section)).length;
    expect(entries).toBe(seen);
    expect(entries).toBeGreaterThan(3);
    expect(ops).toBeGreaterThan(0);
  });

  it('interprets every FDE to the rule rows readelf prints, and finds each FDE by pc', () => {
    let rows = 0;
    for (const { section, index } of indexes) {
      for (const e of index.entries.entryOffsets()) {
        if (e.cie) continue;
        const fde = index.entries.fdeAt(e.offset);
        const want = interp.get(`${section}:${e.offset}`)!;
        const bases = { section: index.section.vaddr };
        const all = runCfa(fde, bases);
        expect(all.length).toBeGreaterThan(0);
        for (const [k, r] of want.rows.entries()) {
          // The whole table once; rowAt (what the unwinder calls) checked at a sample of rows.
          const got = k % 16 === 0 ? rowAt(fde, bases, r.loc) : [...all].reverse().find((x) => x.loc <= r.loc)!;
          const cells: Record<string, string> = { CFA: cfaText(got) };
          for (const col of Object.keys(r.cells)) {
            if (col === 'CFA') continue;
            const regNo = col === 'ra' ? fde.cie.raRegister : X86.indexOf(col);
            cells[col] = cell(got.regs.get(regNo));
          }
          const loc = r.loc.toString(16);
          if (JSON.stringify({ loc, ...cells }) !== JSON.stringify({ loc, ...r.cells })) expect({ loc, ...cells }).toEqual({ loc, ...r.cells });
          rows++;
        }
        // The index (eh_frame_hdr's table, or the built one) finds this FDE at its first and last byte.
        if (fde.pcEnd > fde.pcBegin && section === '.eh_frame') {
          expect(index.find(fde.pcBegin)?.offset).toBe(e.offset);
          expect(index.find(fde.pcEnd - 1n)?.offset).toBe(e.offset);
        }
      }
    }
    expect(rows).toBeGreaterThan(0);
  });
});
