import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO, WORK } from './lib/modules';
import { memOf } from './lib/proc';
import { fmt, Report } from './lib/report';

const FIX = join(REPO, 'test', 'fixtures', 'core-dumps');

/** Decompress a fixture core (and the system libraries it maps) into bench/.work once. */
function prepare(name: string): { core: string; modules: string[]; sysroot: string; exe: string } {
  const dir = join(WORK, 'cores');
  mkdirSync(join(dir, 'system'), { recursive: true });
  const core = join(dir, `${name}.core`);
  if (!existsSync(core)) execFileSync('sh', ['-c', 'xz -dc "$1" > "$2.tmp" && mv "$2.tmp" "$2"', 'sh', join(FIX, 'captured', `${name}.core.xz`), core]);
  const system = readFileSync(join(FIX, 'build', 'system', 'paths.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
  const sysFiles = system.map((p) => {
    const out = join(dir, 'system', p.slice(p.lastIndexOf('/') + 1));
    if (!existsSync(out)) execFileSync('sh', ['-c', 'xz -dc "$1" > "$2"', 'sh', join(FIX, 'build', 'system', `${p.slice(p.lastIndexOf('/') + 1)}.xz`), out]);
    return { captured: p, file: out };
  });
  const own = readdirSync(join(FIX, 'build')).filter((f) => f !== 'system').map((f) => join(FIX, 'build', f));
  // gdb finds the core's libraries under a sysroot that mirrors the paths the core names.
  const sysroot = join(dir, 'sysroot');
  const notes = readFileSync(join(FIX, 'captured', `${name}.notes.txt`), 'utf8');
  for (const path of new Set([...notes.matchAll(/ (\/\S+)$/gm)].map((m) => m[1]))) {
    const target = sysFiles.find((s) => s.captured === path)?.file ?? own.find((f) => path.endsWith(`/${f.slice(f.lastIndexOf('/') + 1)}`));
    const link = join(sysroot, path);
    if (!target || existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link);
  }
  return { core, modules: [...own, ...sysFiles.map((s) => s.file)], sysroot, exe: join(FIX, 'build', 'crashy-exe') };
}

/** Run a command, sampling its peak RSS (VmHWM) until it exits. */
function measured(cmd: string, args: string[]): Promise<{ ms: number; hwm: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let hwm = 0;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setInterval(() => (hwm = Math.max(hwm, memOf(child.pid!)?.hwm ?? 0)), 10);
    child.on('error', reject);
    child.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, hwm, out });
    });
  });
}

/**
 * Section `core`: answer a 1 GB core (go-exe-gdb: gdb's core of the cgo crash, the Go
 * heap arena mostly) - every thread and goroutine unwound and symbolized - against
 * `gdb -batch -ex 'thread apply all bt'` on the same core, same machine, same run.
 */
export async function benchCore(report: Report, names: string[]): Promise<void> {
  for (const name of names) {
    const { core, modules, sysroot, exe } = prepare(name);
    const size = statSync(core).size;
    const ours = JSON.parse(execFileSync(process.execPath, [join(__dirname, 'core-child.js'), core, JSON.stringify(modules)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as {
      ms: number;
      node: number;
      children: number[];
      threads: number;
      frames: number;
      named: number;
    };
    const gdb = await measured('gdb', ['-nx', '-batch', '-iex', 'set auto-load python-scripts off', '-ex', `set sysroot ${sysroot}`, '-ex', 'set width 0', '-ex', 'thread apply all bt', exe, core]);
    const gdbFrames = (gdb.out.match(/^#\d+ /gm) ?? []).length;
    const rss = ours.node + ours.children.reduce((s, c) => s + c, 0);
    report.add({
      section: '8 core',
      metric: `${name}: ${fmt.mb(size)} core, time to the unified stack`,
      symbridge: `${ours.ms.toFixed(0)} ms (${ours.threads} threads+goroutines, ${ours.frames} frames, ${ours.named} named)`,
      baseline: `gdb thread apply all bt: ${gdb.ms.toFixed(0)} ms (${gdbFrames} frames, LWPs only, garbage past asmcgocall)`,
      ratio: fmt.x(ours.ms / gdb.ms),
    });
    report.add({
      section: '8 core',
      metric: `${name}: peak RSS`,
      symbridge: `${fmt.mb(rss)} = node ${fmt.mb(ours.node)} + llvm-symbolizer [${ours.children.map(fmt.mb).join(', ')}]`,
      baseline: `gdb: ${fmt.mb(gdb.hwm)}`,
      ratio: fmt.x(rss / gdb.hwm),
      note: 'the core is read by range: memory does not grow with its size',
    });
  }
}
