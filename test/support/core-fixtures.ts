import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from './fixtures';

/** The core-dumps fixture (test/fixtures/core-dumps/build.sh): real cores, xz'd, and their ground truth. */
export const CORE_DUMPS = join(FIXTURES, 'core-dumps');
export const CORE_BUILD = join(CORE_DUMPS, 'build');
export const CORE_CAPTURED = join(CORE_DUMPS, 'captured');

export const CORES = [
  'go-exe-gdb', 'go-exe-kernel', 'go-pie-gdb', 'go-pie-kernel', 'gopanic-kernel',
  'threads-plain-kernel', 'threads-plain-gdb', 'threads-handler-kernel',
] as const;
export type CoreName = (typeof CORES)[number];

const CACHE = join(tmpdir(), 'symbridge-core-fixtures');

/** Decompress once per machine (cached by name + xz size) and return the path of the raw core. */
export function corePath(name: CoreName): string {
  return unxz(join(CORE_CAPTURED, `${name}.core.xz`), `${name}.core`);
}

/** The system libraries the cores map, decompressed: [path at capture, local file, build-id]. */
export function systemLibraries(): { capturedPath: string; file: string; buildId: string }[] {
  const lines = readFileSync(join(CORE_BUILD, 'system', 'paths.txt'), 'utf8').trim().split('\n');
  return lines.map((l) => {
    const [capturedPath, buildId] = l.split(' ');
    const base = capturedPath.slice(capturedPath.lastIndexOf('/') + 1);
    return { capturedPath, buildId, file: unxz(join(CORE_BUILD, 'system', `${base}.xz`), join(buildId, base)) };
  });
}

/** Every module file the cores map, as built: the fixture's own binaries and the copied system libraries. */
export function coreModuleFiles(): string[] {
  const own = readdirSync(CORE_BUILD).filter((f) => f !== 'system').map((f) => join(CORE_BUILD, f));
  return [...own, ...systemLibraries().map((l) => l.file)];
}

function unxz(xzFile: string, as: string): string {
  const size = readFileSync(xzFile).length;
  const out = join(CACHE, `${size}`, as);
  if (!existsSync(out)) {
    mkdirSync(join(out, '..'), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('sh', ['-c', 'xz -dc "$1" > "$2"', 'sh', xzFile, tmp]);
    renameSync(tmp, out);
  }
  return out;
}

export function captured(name: string): string {
  return readFileSync(join(CORE_CAPTURED, name), 'utf8');
}

/** One physical frame of gdb's `bt`: its pc (absent for frame #0 and `<signal handler called>`) and names, inlined first. */
export interface GdbFrame {
  no: number;
  pc?: bigint;
  functions: string[];
  signalHandler?: boolean;
}

/** gdb's `thread apply all bt`, by LWP: inlined frames (printed without an address) folded into their physical frame. */
export function gdbThreads(name: CoreName): Map<number, GdbFrame[]> {
  const text = captured(`${name}.gdb.txt`);
  const out = new Map<number, GdbFrame[]>();
  let cur: GdbFrame[] | undefined;
  for (const line of text.split('\n')) {
    const t = /^Thread \d+ \(.*LWP (\d+)\)\)?:/.exec(line);
    if (t) {
      cur = [];
      out.set(Number(t[1]), cur);
      continue;
    }
    const f = /^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(<signal handler called>|\S+)/.exec(line);
    if (!f || !cur) continue;
    const no = Number(f[1]);
    const fn = f[3];
    if (fn === '<signal handler called>') {
      cur.push({ no, functions: [fn], signalHandler: true });
      continue;
    }
    // No address after `<signal handler called>`: the interrupted frame, at its exact pc.
    if (f[2] || no === 0 || cur[cur.length - 1]?.signalHandler) {
      cur.push({ no, pc: f[2] ? BigInt(f[2]) : undefined, functions: [fn] });
    } else {
      // No address: the caller an inlined frame was inlined into; same physical frame.
      cur[cur.length - 1].functions.push(fn);
    }
  }
  return out;
}

/** A goroutine as Go's GOTRACEBACK=crash traceback printed it: header state, and each frame's pc and sp. */
export interface GoTruth {
  id: number;
  state: string;
  frames: { function: string; pc: bigint; sp: bigint }[];
}

export function goTraceback(stderrFile: string): GoTruth[] {
  const lines = captured(stderrFile).split('\n');
  const out: GoTruth[] = [];
  let cur: GoTruth | undefined;
  for (let i = 0; i < lines.length; i++) {
    const h = /^goroutine (\d+) \[([^\],]+)/.exec(lines[i]);
    if (h) {
      out.push((cur = { id: Number(h[1]), state: h[2], frames: [] }));
      continue;
    }
    if (/^(runtime stack:|$)/.test(lines[i])) {
      if (lines[i] === 'runtime stack:') cur = undefined;
      continue;
    }
    const where = / sp=(0x[0-9a-f]+) pc=(0x[0-9a-f]+)$/.exec(lines[i + 1] ?? '');
    if (cur && where && !lines[i].startsWith('\t') && !lines[i].startsWith('created by')) {
      cur.frames.push({ function: lines[i].replace(/\(.*$/, ''), sp: BigInt(where[1]), pc: BigInt(where[2]) });
    }
  }
  return out;
}
