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
