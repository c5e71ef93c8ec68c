import { SymbridgeError } from '../model/errors';

/**
 * A build-id as the store keys it: lowercase hex, whole bytes, 4..128 bytes (GNU ids
 * are 8..64 bytes; a Go build id keyed by its text's hex bytes is ~83 bytes). Checked
 * before any request-supplied id is joined into a path.
 */
const BUILD_ID = /^(?:[0-9a-f]{2}){4,128}$/;

export function isBuildId(id: string): boolean {
  return BUILD_ID.test(id);
}

/** Normalize and validate a build-id from a request; a clear 400 otherwise. */
export function requireBuildId(raw: string, field = 'build-id'): string {
  const id = String(raw ?? '').toLowerCase();
  if (!isBuildId(id)) {
    throw new SymbridgeError(
      'INPUT_INVALID',
      `"${String(raw ?? '').slice(0, 80)}" is not a build-id: expected 8 to 256 hex digits (whole bytes), e.g. as printed by readelf -n`,
      { field },
    );
  }
  return id;
}
