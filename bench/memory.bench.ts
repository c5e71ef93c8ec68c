import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BenchModule, addressesIn, debugFiles, goBinary, REPO, textRange, buildIdOf } from './lib/modules';
import { memOf } from './lib/proc';
import { RawLlvmSymbolizer } from './lib/raw-tools';
import { fmt, Report } from './lib/report';
import { statSync } from 'node:fs';

function plain(name: string, path: string): BenchModule | undefined {
  if (!existsSync(path)) return undefined;
  try {
    if (!/\.debug_info/.test(execFileSync('readelf', ['-SW', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))) return undefined;
    const { start, end } = textRange(path);
    return { name, path, buildId: buildIdOf(path) ?? name, textStart: start, textEnd: end, bytes: statSync(path).size };
  } catch {
    return undefined;
  }
}

/** The ten largest modules with DWARF this machine has (apt's -dbg files, the Go build, ...). */
export function largeModules(): BenchModule[] {
  const all = [
    ...debugFiles(1_000_000),
    goBinary(),
    plain('libstdc++.so.6.0.30 (libstdc++6-12-dbg)', '/usr/lib/x86_64-linux-gnu/debug/libstdc++.so.6.0.30'),
    plain('node', process.execPath),
    plain('crashy-pie (fixture, Go)', join(REPO, 'test', 'fixtures', 'cgo-crash', 'build', 'crashy-pie')),
    plain('crashy-exe (fixture, Go)', join(REPO, 'test', 'fixtures', 'cgo-crash', 'build', 'crashy-exe')),
  ].filter((m): m is BenchModule => !!m);
  return all.sort((a, b) => b.bytes - a.bytes).slice(0, 10);
}

export async function benchMemory(report: Report, perModule: number): Promise<void> {
  const mods = largeModules();
  const total = mods.reduce((s, m) => s + m.bytes, 0);
  process.stdout.write(`memory: ${mods.length} modules, ${fmt.mb(total)} on disk: ${mods.map((m) => `${m.name} ${fmt.mb(m.bytes)}`).join(', ')}\n`);
  const arg = JSON.stringify(mods.map((m) => ({ ...m, textStart: m.textStart.toString(), textEnd: m.textEnd.toString() })));
  const out = JSON.parse(execFileSync(process.execPath, [join(__dirname, 'memory-child.js'), arg, String(perModule)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as {
    node: number;
    children: number[];
    resolved: number;
  };
  const sb = out.node + out.children.reduce((s, c) => s + c, 0);

  const raw = new RawLlvmSymbolizer();
  for (const m of mods) await raw.run(m.path, addressesIn(m, perModule));
  const rawHwm = memOf(raw.pid)?.hwm ?? NaN;
  raw.close();

  report.add({
    section: '7 worker memory',
    metric: `${mods.length} modules resident (${fmt.mb(total)} of files), ${perModule} addrs each`,
    symbridge: `${fmt.mb(sb)} = node ${fmt.mb(out.node)} + ${out.children.length} llvm-symbolizer [${out.children.map(fmt.mb).join(', ')}]`,
    baseline: `one raw llvm-symbolizer with the same modules: ${fmt.mb(rawHwm)}`,
    ratio: fmt.x(sb / rawHwm),
    note: `peak RSS (VmHWM); ${out.resolved}/${mods.length * perModule} addresses named; modules: ${mods.map((m) => m.name).join(', ')}`,
  });
}
