import { Mapping } from '../model/mapping';

/** The mapping holding `pc`, by binary search over mappings sorted by start. */
export function findMapping(sorted: Mapping[], pc: bigint): Mapping | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = sorted[mid];
    if (pc < m.start) hi = mid - 1;
    else if (pc >= m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
