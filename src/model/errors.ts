/**
 * Every error we raise on purpose is a SymbridgeError with a stable code and context
 * (input line, path, build-id). api/http-error.filter.ts is the one place codes
 * become HTTP statuses; a missing symbol is a Diagnostic, never an error.
 */
export type ErrorCode =
  | 'INPUT_EMPTY'
  | 'INPUT_INVALID'
  | 'INPUT_TOO_LARGE'
  | 'PARSE_ERROR'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'ELF_INVALID'
  | 'CORE_INVALID'
  | 'DWARF_INVALID'
  | 'NO_BUILD_ID'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'QUEUE_UNAVAILABLE'
  | 'QUEUE_FULL'
  | 'SERVER_BUSY'
  | 'STORAGE_UNAVAILABLE'
  | 'STORAGE_FULL'
  | 'RATE_LIMITED'
  | 'SYMBOLIZER_FAILED'
  | 'JOB_FAILED';

export interface ErrorContext {
  line?: number;
  field?: string;
  path?: string;
  buildId?: string;
  offset?: number;
  [key: string]: unknown;
}

export class SymbridgeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Text that could not be understood; `line` is 1-based in the request's own text. */
export class ParseError extends SymbridgeError {
  constructor(message: string, context: ErrorContext & { line?: number }) {
    super('PARSE_ERROR', message, context);
  }
}

/** A file that is not ELF, or ELF that is malformed; `offset` is where reading failed. */
export class ElfError extends SymbridgeError {
  constructor(message: string, context: ErrorContext & { offset: number }) {
    super('ELF_INVALID', message, context);
  }
}

/** DWARF that cannot be read: `section` and `offset` say where, `unit` which unit (its header offset). */
export class DwarfError extends SymbridgeError {
  constructor(message: string, context: ErrorContext & { section: string; offset: number; unit?: number }) {
    super('DWARF_INVALID', message, context);
  }
}
