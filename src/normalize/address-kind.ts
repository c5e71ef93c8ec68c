import { AddressKind } from '../model/crash-report';

/**
 * The address to look up for a frame: a return address points after the call, so
 * the call site is at address - 1; exact and producer-adjusted PCs are used as is.
 * Producers (design.md): Go `pc=` of callers and hs_err `C [lib+0x..]` callers are
 * raw return addresses; the fault PC, `PC=`/`rip`, the frame after runtime.sigpanic
 * and hs_err's problematic frame are exact; cgo-symbolizer frames and Android 11+
 * tombstone frames are already adjusted.
 */
export function lookupAddress(elfVaddr: bigint, kind: AddressKind): bigint {
  return lookupFor(elfVaddr, kind).lookupAddress;
}

export interface Lookup {
  lookupAddress: bigint;
  /** Whether 1 was subtracted (the output says so next to the original PC). */
  subtractedOne: boolean;
}

export function lookupFor(elfVaddr: bigint, kind: AddressKind): Lookup {
  const subtractedOne = kind === 'return' && elfVaddr > 0n;
  return { lookupAddress: subtractedOne ? elfVaddr - 1n : elfVaddr, subtractedOne };
}
