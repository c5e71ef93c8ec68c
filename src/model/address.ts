/** Addresses are bigint end to end (JS numbers lose bits above 2^53) and hex strings on the wire. */
export type Address = bigint;

const HEX = /^(0x)?[0-9a-f]+$/i;

export function parseHex(text: string): Address {
  if (!HEX.test(text) || text.length > 18 + 2) throw new RangeError(`not a hex address: ${text}`);
  return BigInt(text.startsWith('0x') || text.startsWith('0X') ? text : `0x${text}`);
}

export function toHex(value: Address): string {
  return `0x${value.toString(16)}`;
}
