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
