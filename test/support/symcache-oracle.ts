import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readElf } from '../../src/elf/elf-file';
import { SyncFileSource } from '../../src/adapters/range-source.adapter';
import { ResolvedSymbol } from '../../src/model/resolved-frame';
import { LlvmSymbolizerAnswer } from '../../src/resolve/llvm-symbolizer.process';
import { toResolvedSymbol } from '../../src/resolve/llvm-symbolizer.resolver';
import { readLlvmSymbols } from '../../src/symcache/llvm-symbols';
import { CANNOT_ANSWER, Symcache } from '../../src/symcache/symcache';

/**
 * The symcache oracle: llvm-symbolizer (the flags the worker's pool uses) on sampled
 * addresses of a real binary against the symcache built from it. Every executable
 * section is sampled: a spread of addresses (stride, sampleAddresses), and where answers
 * change (boundaryAddresses: symbol starts and ends, subprogram / inlined-call ranges and
 * line rows as llvm-dwarfdump prints them, each with its neighbours). Differences are
 * counted by class; the caller says which classes are named and explained.
 */
export interface OracleResult {
  file: string;
  checked: number;
  same: number;
  inlined: number;
  /** Addresses the symcache handed to the fallback (split DWARF without its .dwo). */
  fallback: number;
  differences: Map<string, { count: number; example: string }>;
}

const SHF_EXECINSTR = 4n;

export async function sampleAddresses(path: string, max: number): Promise<bigint[]> {
  const src = SyncFileSource.open(path);
  try {
    const info = await readElf(src, path);
    const text = info.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0 && s.addr > 0n);
    const total = text.reduce((n, s) => n + s.size, 0);
    const stride = Math.max(1, Math.floor(total / Math.max(1, max)));
    const out = new Set<bigint>();
    for (const s of text) for (let o = 0; o < s.size && out.size < max; o += stride) out.add(s.addr + BigInt(o));
    return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } finally {
    src.closeSync();
  }
}

/**
 * Addresses where an answer changes, found without our DWARF reader: symbol starts and
 * ends (.symtab, else .dynsym), DW_AT_low_pc / DW_AT_high_pc / DW_AT_ranges entries and
 * line-table rows as llvm-dwarfdump prints them; each point with point - 1 and + 1, only
 * in executable sections. Above `max`, an even spread of them (deterministic).
 */
export async function boundaryAddresses(path: string, max: number, dwarfdump = 'llvm-dwarfdump'): Promise<bigint[]> {
  const src = SyncFileSource.open(path);
  const points = new Set<number>();
  let text: { lo: number; hi: number }[];
  try {
    const info = await readElf(src, path);
    text = info.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0 && s.addr > 0n).map((s) => ({ lo: Number(s.addr), hi: Number(s.addr) + s.size }));
    for (const s of readLlvmSymbols(src, info)) {
      points.add(s.addr);
      if (s.size > 0) points.add(s.addr + s.size);
    }
  } finally {
    src.closeSync();
  }
  // Two runs: llvm-dwarfdump 14 crashes part-way through the DIEs of dwz files (alt forms), its line dump holds.
  let attr = '';
  const hex = /0x([0-9a-f]+)/g;
  for (const what of ['--debug-line', '--debug-info']) {
    const child = spawn(dwarfdump, [what, path], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (l) => {
        const row = /^0x([0-9a-f]{16}) /.exec(l);
        if (row) return void points.add(parseInt(row[1], 16));
        const a = /^\s+(DW_AT_\w+)/.exec(l);
        if (a) attr = a[1];
        else if (!/^\s+\[0x/.test(l)) return;
        if (attr !== 'DW_AT_low_pc' && attr !== 'DW_AT_high_pc' && attr !== 'DW_AT_ranges' && attr !== 'DW_AT_entry_pc') return;
        for (const m of l.matchAll(hex)) points.add(parseInt(m[1], 16));
      });
      child.on('error', reject);
      child.on('close', () => resolve());
    });
  }
  const inText = (a: number) => text.some((t) => a >= t.lo && a < t.hi);
  const all = new Set<number>();
  for (const p of points) for (const a of [p - 1, p, p + 1]) if (inText(a)) all.add(a);
  let out = [...all].sort((x, y) => x - y);
  if (out.length > max) {
    const step = out.length / max;
    out = Array.from({ length: max }, (_, i) => out[Math.floor(i * step)]);
  }
  return out.map((a) => BigInt(a));
}

/** llvm-symbolizer once for all the addresses (stdin, one per line; JSON lines out). */
export async function llvmAnswers(path: string, addresses: bigint[], binary = 'llvm-symbolizer'): Promise<LlvmSymbolizerAnswer[]> {
  const child = spawn(binary, ['--output-style=JSON', '--inlines', '--demangle', '--functions=linkage', `--obj=${path}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: LlvmSymbolizerAnswer[] = [];
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => out.push(JSON.parse(l) as LlvmSymbolizerAnswer));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} exited ${code}`))));
  });
  for (let i = 0; i < addresses.length; i += 4096) {
    const chunk = addresses.slice(i, i + 4096).map((a) => `0x${a.toString(16)}`).join('\n') + '\n';
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  await done;
  if (out.length !== addresses.length) throw new Error(`${binary} gave ${out.length} answers for ${addresses.length} addresses`);
  return out;
}

const show = (s: ResolvedSymbol | undefined | null) =>
  s ? [...s.inlined, s].map((f) => `${f.function} ${f.file ?? '?'}:${f.line ?? 0}:${f.column ?? 0}`).join(' < ') : '(none)';

/** What differs, as a class name (so a known, explained class can be allowed and the rest fail). */
export function differenceClass(want: ResolvedSymbol | undefined, got: ResolvedSymbol | undefined): string | undefined {
  if (!want && !got) return undefined;
  if (!want) return 'symcache answers, llvm-symbolizer does not';
  if (!got) return 'llvm-symbolizer answers, symcache does not';
  const a = [...want.inlined, want];
  const b = [...got.inlined, got];
  if (a.length !== b.length) return 'inline chain length';
  for (let i = 0; i < a.length; i++) {
    const where = i === a.length - 1 ? 'outermost' : 'inlined';
    if (a[i].function !== b[i].function) return `${where} function`;
    if (a[i].file !== b[i].file) return `${where} file`;
    if (a[i].line !== b[i].line) return `${where} line`;
    if (a[i].column !== b[i].column) return `${where} column`;
  }
  if (want.source !== got.source) return 'source';
  return undefined;
}

export async function oracle(path: string, cache: Symcache, addresses: bigint[], binary?: string): Promise<OracleResult> {
  const answers = await llvmAnswers(path, addresses, binary);
  const r: OracleResult = { file: path, checked: 0, same: 0, inlined: 0, fallback: 0, differences: new Map() };
  addresses.forEach((addr, i) => {
    const got = cache.lookup(addr);
    if (got === CANNOT_ANSWER) {
      r.fallback++;
      return;
    }
    r.checked++;
    const want = toResolvedSymbol(answers[i]);
    const cls = differenceClass(want, got ?? undefined);
    if (!cls) {
      r.same++;
      if (want && want.inlined.length > 0) r.inlined++;
      return;
    }
    const d = r.differences.get(cls) ?? { count: 0, example: `0x${addr.toString(16)}: llvm ${show(want)} | symcache ${show(got)}` };
    d.count++;
    r.differences.set(cls, d);
  });
  return r;
}
