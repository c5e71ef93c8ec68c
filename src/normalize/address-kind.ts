import { AddressKind } from '../model/crash-report';

/**
 * The address to look up for a frame: a return address points after the call, so
 * the call site is at address - 1; exact and producer-adjusted PCs are used as is.
 */
export function lookupAddress(elfVaddr: bigint, kind: AddressKind): bigint {
  return kind === 'return' && elfVaddr > 0n ? elfVaddr - 1n : elfVaddr;
}
