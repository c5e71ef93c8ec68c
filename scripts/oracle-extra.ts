import { statSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAndCheck, debugFileByBuildId } from './oracle-check';

/**
 * The symcache oracle over any ELF files given on the command line (separate debug files
 * too: llvm-symbolizer is pointed at the file itself, as `npm run oracle` does for
 * libjvm's). For each: what its DWARF is (versions, dwz alt link, compressed sections),
 * the build, then llvm-symbolizer vs the symcache on sampled addresses.
 *   node -r ts-node/register/transpile-only scripts/oracle-extra.ts [--n=40000] FILE...
 * A FILE may be `so:/lib/x86_64-linux-gnu/libc.so.6`: its debug file by build-id.
 * Exits 1 on any difference.
 */
/** `so:PATH`: that library's debug file by build-id. */
function debugFileOf(so: string): string {
  const p = debugFileByBuildId(so);
  if (!p) throw new Error(`${so}: no debug file by build-id under /usr/lib/debug`);
  return p;
}

function describe(path: string): string {
  const sections = execFileSync('readelf', ['-SW', path], { encoding: 'utf8' });
  const compressed = sections.split('\n').some((l) => /\.debug_info\s/.test(l) && /\s[A-Z]*C[A-Z]*\s+\d+\s+\d+\s+\d+\s*$/.test(l)) || /\.zdebug/.test(sections);
  const alt = /\.gnu_debugaltlink/.test(sections);
  let versions = '?';
  try {
    const info = execFileSync('sh', ['-c', `readelf -wN --debug-dump=info '${path}' 2>/dev/null | grep -E '^ +Version: ' | sort | uniq -c`], { encoding: 'utf8', maxBuffer: 1 << 26 });
    versions = info.trim().split('\n').map((l) => l.trim().replace(/\s+Version:\s+/, ' x v')).join(', ');
  } catch {
    /* readelf could not dump it */
  }
  return `units ${versions}; dwz alt link: ${alt ? 'yes' : 'no'}; compressed .debug_info: ${compressed ? 'yes' : 'no'}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const n = Number(args.find((a) => a.startsWith('--n='))?.slice(4) ?? 40_000);
  const files = args.filter((a) => !a.startsWith('--')).map((a) => (a.startsWith('so:') ? [a.slice(3), debugFileOf(a.slice(3))] : [a, a]));
  const tmp = mkdtempSync(join(tmpdir(), 'symbridge-oracle-'));
  let total = 0;
  let bad = 0;
  try {
    for (const [name, path] of files) {
      const { stats, buildMs, addresses, spread, edges, result: r, differences } = await buildAndCheck(path, join(tmp, 'x.symcache'), n);
      total += r.checked;
      bad += differences;
      process.stdout.write(
        `${name}${name !== path ? ` = ${path}` : ''} (${(statSync(path).size / 1e6).toFixed(1)} MB): ${describe(path)}\n` +
          `  build ${(buildMs / 1000).toFixed(1)} s, peak ${stats.peakRssMb} MB, ${stats.units} units, symcache ${(stats.symcacheBytes / 1e6).toFixed(2)} MB of ${(stats.dwarfBytes / 1e6).toFixed(1)} MB DWARF\n` +
          `  oracle: ${addresses.length} sampled (${spread} spread, ${edges} at boundaries), ${r.checked} checked, ${r.same} same, ${r.inlined} with inline chains, ${r.fallback} to the fallback\n` +
          [...r.differences].map(([cls, d]) => `    ${cls}: ${d.count}, e.g. ${d.example}\n`).join(''),
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`total checked: ${total}, differences: ${bad}\n`);
  process.exit(bad > 0 ? 1 : 0);
}
void main();
