import { Address, parseHex } from '../model/address';
import { ParseError } from '../model/errors';
import { clip } from './text-lines';

/** A hex address read from the input; one that does not fit 64 bits is a ParseError naming its line. */
export function hexAt(text: string, line: number, field: string): Address {
  try {
    return parseHex(text);
  } catch {
    throw new ParseError(`${field} line ${line}: "${clip(text)}" is not a 64-bit hex address`, { line, field });
  }
}
