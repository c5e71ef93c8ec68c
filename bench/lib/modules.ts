import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './proc';
import { rng } from './stats';

/** Where bench/setup.sh leaves what it builds (gitignored). */
/** The checkout (this file runs from dist-bench/bench/lib/). */
export const REPO = join(__dirname, '..', '..', '..');
export const WORK = join(REPO, 'bench', '.work');

export interface BenchModule {
  name: string;
  /** The file handed to the symbolizer (a separate debug file or an unstripped binary). */
  path: string;
  buildId: string;
  textStart: bigint;
  textEnd: bigint;
  bytes: number;
}

export function buildIdOf(path: string): string | undefined {
  const out = sh('readelf', ['-nW', path]);
  return /Build ID: ([0-9a-f]+)/.exec(out)?.[1];
}

/** .text of a file (NOBITS in a debug file: the addresses are still right). */
export function textRange(path: string): { start: bigint; end: bigint } {
  const line = sh('readelf', ['-SW', path])
    .split('\n')
    .find((l) => /\s\.text\s/.test(l));
  if (!line) throw new Error(`${path} has no .text`);
  const f = line.replace(/^.*\]\s*/, '').trim().split(/\s+/); // name type addr off size ...
  const start = BigInt(`0x${f[2]}`);
  return { start, end: start + BigInt(`0x${f[4]}`) };
}

function module(name: string, path: string): BenchModule {
  const { start, end } = textRange(path);
  return { name, path, buildId: buildIdOf(path) ?? name, textStart: start, textEnd: end, bytes: statSync(path).size };
}

/** libjvm.so's DWARF from Debian's openjdk-17-dbg, found by the library's build-id. */
export function libjvm(): BenchModule | undefined {
  const so = '/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so';
  if (!existsSync(so)) return undefined;
  const id = buildIdOf(so);
  const dbg = id && `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
  return dbg && existsSync(dbg) ? module('libjvm.so (openjdk-17-dbg)', dbg) : undefined;
}

/** cmd/compile built with DWARF by bench/setup.sh: a large real Go binary. */
export function goBinary(): BenchModule | undefined {
  const p = join(WORK, 'go-compile');
  return existsSync(p) ? module('go cmd/compile (DWARF)', p) : undefined;
}

/** The largest separate debug files apt installed under /usr/lib/debug/.build-id. */
export function debugFiles(min: number): BenchModule[] {
  const root = '/usr/lib/debug/.build-id';
  if (!existsSync(root)) return [];
  const files: { path: string; size: number }[] = [];
  for (const d of readdirSync(root)) {
    const dir = join(root, d);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.debug')) continue;
      const path = join(dir, f);
      const st = statSync(path);
      if (st.isFile() && st.size >= min) files.push({ path, size: st.size });
    }
  }
  files.sort((a, b) => b.size - a.size);
  const out: BenchModule[] = [];
  for (const f of files) {
    try {
      let pkg = '';
      try {
        pkg = sh('dpkg', ['-S', f.path]).split(':')[0];
      } catch {
        /* not from a package */
      }
      out.push(module(`${f.path.split('/').slice(-2).join('/').slice(0, 10)}…debug${pkg ? ` (${pkg})` : ''}`, f.path));
    } catch {
      /* no .text: not code */
    }
  }
  return out;
}

/** `n` distinct addresses spread at random over .text (same seed, same addresses every run). */
export function addressesIn(mod: BenchModule, n: number, seed = 7): bigint[] {
  const span = Number(mod.textEnd - mod.textStart);
  const next = rng(seed);
  const seen = new Set<number>();
  while (seen.size < Math.min(n, span)) seen.add(Math.floor(next() * span));
  return [...seen].map((o) => mod.textStart + BigInt(o));
}
