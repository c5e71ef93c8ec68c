import { Address } from './address';

/** One line of /proc/PID/maps. */
export interface Mapping {
  start: Address;
  end: Address;
  perms: string;
  offset: Address;
  dev: string;
  inode: number;
  /** Empty for anonymous mappings; `[heap]`, `[vdso]`, `[anon:x]` kept as printed. */
  path: string;
  deleted: boolean;
  inputLine: number;
}

/** Why a mapping cannot be symbolized from a file: a pseudo-path, gone, or anonymous. */
export function unsymbolizableReason(m: Mapping): string | undefined {
  if (m.path === '') return 'anonymous mapping (no file: JIT code or heap)';
  if (m.path.startsWith('[')) return `pseudo-mapping ${m.path}`;
  if (m.path.startsWith('memfd:')) return `in-memory file ${m.path}`;
  if (m.deleted) return `file was deleted while mapped: ${m.path}`;
  return undefined;
}
