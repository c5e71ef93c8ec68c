import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths and captured texts of the committed fixtures (built by test/fixtures/build.sh). */
export const FIXTURES = join(__dirname, '..', 'fixtures');
export const CGO = join(FIXTURES, 'cgo-crash');
export const LIBCRASHY = join(CGO, 'build', 'libcrashy.so');

export type Variant = 'exe' | 'pie';
export const VARIANTS: Variant[] = ['exe', 'pie'];

export function captured(variant: Variant, what: 'stderr' | 'maps'): string {
  return readFileSync(join(CGO, 'captured', `${variant}.${what}.txt`), 'utf8');
}

export interface GroundTruth {
  module: string;
  module_vaddr: string;
  captured_run: { pc: string; module_vaddr: string };
  llvm_symbolizer: Array<{
    Symbol: Array<{ FunctionName: string; FileName: string; Line: number; Column: number }>;
  }>;
}

export function groundTruth(variant: Variant): GroundTruth {
  return JSON.parse(readFileSync(join(CGO, 'captured', `${variant}.groundtruth.json`), 'utf8')) as GroundTruth;
}

/** Symbol-store fixtures (test/fixtures/store-cases/build.sh): split debug info, no build-id. */
export const STORE_CASES = join(FIXTURES, 'store-cases', 'build');
export const HELLO_ID = '7791097f34fba95c954725299885689903340dda';
export const LIBCRASHY_ID = '4a5dec3d49a4e6fc848f77b4d53deac14f525455';
export function storeCase(name: string): string {
  return join(STORE_CASES, name);
}

/** The cgo-crash fixture's crash modes (build-modes.sh): real GOTRACEBACK=crash runs dying of SIGILL / SIGABRT. */
export const MODES_DIR = join(CGO, 'captured', 'modes');
export const LIBCRASHMODES = join(CGO, 'build', 'libcrashmodes.so');
export const MODE_RUNS = ['trap', 'abort', 'throw', 'free', 'trap-tb', 'abort-tb'].flatMap((m) => VARIANTS.map((v) => `${m}-${v}`));

export interface GdbFrame {
  level: number;
  pc: string;
  function: string | null;
  inline: boolean;
  file: string | null;
  line: number | null;
  module: string;
  module_vaddr: string;
  llvm_symbolizer: Array<{ FunctionName: string; FileName: string; Line: number; Column: number }> | null;
}
export interface ModeTruth {
  name: string;
  mode: string;
  variant: Variant;
  cgo_traceback: boolean;
  signal: string;
  captured_run: { pc: string; module: string; module_vaddr: string; walker_frames: string[] };
  gdb: { frames: GdbFrame[] };
}

export function modeRun(name: string): { stderr: string; maps: string; truth: ModeTruth } {
  const read = (ext: string) => readFileSync(join(MODES_DIR, `${name}.${ext}`), 'utf8');
  return { stderr: read('stderr.txt'), maps: read('maps.txt'), truth: JSON.parse(read('groundtruth.json')) as ModeTruth };
}
