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
