import { SymbridgeError } from '../model/errors';

/**
 * The storage root's own failures, in words: a full disk is 507 (free space or raise the
 * quota), a read-only or forbidden root is 503 (an operator's problem, not the client's).
 * Other system-call failures are 503 too; anything else is returned unchanged.
 */
export function storageError(err: unknown, root: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SymbridgeError('STORAGE_FULL', `the symbol store is full (${code} under the storage root ${root}); nothing was stored, retry once space is freed`);
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new SymbridgeError('STORAGE_UNAVAILABLE', `the symbol store cannot be written (${code} under the storage root ${root}); nothing was stored, retry later`);
  }
  // Any other system call failing under the root (EIO, ENOENT from a recursive mkdir on a
  // read-only mount, ENAMETOOLONG...) is the store's failure too: still nothing was stored.
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  if (code && syscall) {
    return new SymbridgeError('STORAGE_UNAVAILABLE', `the symbol store failed (${code} in ${syscall} under the storage root ${root}); nothing was stored, retry later`);
  }
  return err;
}
