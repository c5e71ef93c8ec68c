import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BufferSource } from '../../../src/adapters/range-source.adapter';
import { readElf } from '../../../src/elf/elf-file';
import { ElfInfo } from '../../../src/elf/elf-types';
import { FIXTURES } from '../../support/fixtures';

/** The elf-cases and jni-crash fixtures (built by their build.sh) and their ground truth. */
export const ELF_CASES = join(FIXTURES, 'elf-cases');
export const JNI_CRASH = join(FIXTURES, 'jni-crash');

export interface CaseModuleTruth {
  module: string;
  file: string;
  symbol: string;
  func_pc: string;
  ret_pc: string;
  func_vaddr: string;
  ret_vaddr: string;
  load_bias: string;
  callsite: { file: string; line: number };
  dladdr_relative: string | null;
  go_runtime: string | null;
  llvm_symbolizer_func: SymbolizerAnswer[];
  llvm_symbolizer_ret_minus_1: SymbolizerAnswer[];
}
export interface CaseTruth {
  case: string;
  maps: string;
  modules: CaseModuleTruth[];
}
export interface SymbolizerAnswer {
  Address: string;
  Symbol: Array<{ FunctionName: string; FileName: string; Line: number; Column: number }>;
}

export const CASES = ['exe', 'pie', 'gocase', 'golib'] as const;

export function caseTruth(name: string): CaseTruth {
  return JSON.parse(readFileSync(join(ELF_CASES, 'captured', `${name}.truth.json`), 'utf8')) as CaseTruth;
}

export function caseText(rel: string): string {
  return readFileSync(join(ELF_CASES, rel), 'utf8');
}

export async function elfOf(path: string): Promise<ElfInfo> {
  return readElf(new BufferSource(readFileSync(path)), path);
}

/** The real llvm-symbolizer on a file and some addresses: one answer per address. */
export function symbolize(file: string, addresses: bigint[]): SymbolizerAnswer[] {
  const out = execFileSync('llvm-symbolizer', ['--output-style=JSON', '--obj', file, ...addresses.map((a) => `0x${a.toString(16)}`)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  return JSON.parse(out) as SymbolizerAnswer[];
}
