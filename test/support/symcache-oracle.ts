import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readElf } from '../../src/elf/elf-file';
import { SyncFileSource } from '../../src/adapters/range-source.adapter';
import { ResolvedSymbol } from '../../src/model/resolved-frame';
import { LlvmSymbolizerAnswer } from '../../src/resolve/llvm-symbolizer.process';
import { toResolvedSymbol } from '../../src/resolve/llvm-symbolizer.resolver';
import { CANNOT_ANSWER, Symcache } from '../../src/symcache/symcache';

/**
 * The symcache oracle: llvm-symbolizer (the flags the worker's pool uses) on sampled
 * addresses of a real binary against the symcache built from it. Every executable
 * section is sampled: a spread of addresses (stride), plus every symbol start, start + 1
 * and end - 1 (where gcc's `.cold` parts and inlined calls begin and end). Differences are
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
