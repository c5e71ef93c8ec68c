import { DEFAULT_LIMITS } from '../config/limits';
import { MAX_LIST_LIMIT } from './dto/symbols.dto';
import { ErrorBody } from './http-error.filter';

/**
 * One example body per error status of each operation, in the words the code answers
 * with (Swagger UI shows the example beside each status; one shared example told a 404
 * reader about a parse error). By operation first, then by status.
 */
const JOB = 'q3VxA0mZ8s2cXb1e9TfQ4w';
const BUILD_ID = '4a5dec3d49a4e6fc848f77b4d53deac14f525455';
const READ_401 = (what: string): ErrorBody => ({ status: 401, code: 'UNAUTHORIZED', message: `${what} needs Authorization: Bearer <token> (SYMBOLS_READ_ACCESS=token)` });

const BY_STATUS: Record<number, ErrorBody> = {
  400: { status: 400, code: 'INPUT_INVALID', message: '"zz" is not a build-id: expected 8 to 256 hex digits (whole bytes), e.g. as printed by readelf -n' },
  401: READ_401('reading symbols'),
  403: { status: 403, code: 'FORBIDDEN', message: 'deleting needs Authorization: Bearer <token> with the admin scope (ADMIN_TOKENS): this token has only the upload scope' },
  404: {
    status: 404,
    code: 'NOT_FOUND',
    message: `no debug file for build-id ${BUILD_ID}; upload it with: npm run cli -- upload path/to/file in a symbridge checkout (or curl -F files=@path/to/file $SYMBRIDGE_URL/v1/symbols)`,
  },
  413: { status: 413, code: 'INPUT_TOO_LARGE', message: `request body is larger than the limit of ${DEFAULT_LIMITS.maxBodyBytes} bytes (MAX_BODY_BYTES)` },
  415: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported Content-Type "application/xml": send application/json, multipart/form-data or text/plain' },
  503: { status: 503, code: 'QUEUE_UNAVAILABLE', message: 'Redis is not reachable (connection reconnecting); try again shortly' },
};

const BY_OPERATION: Record<string, Record<number, ErrorBody>> = {
  symbolicate: {
    400: { status: 400, code: 'INPUT_EMPTY', message: 'the text/plain body is empty: paste the Go traceback and the /proc/PID/maps lines' },
    401: READ_401('symbolicating (it reads the stored symbols)'),
    413: {
      status: 413,
      code: 'INPUT_TOO_LARGE',
      message: `the crash has 250000 frames, more than the limit of ${DEFAULT_LIMITS.maxFrames} (MAX_FRAMES): send the crashing goroutine's part`,
      field: 'paste',
    },
    422: {
      status: 422,
      code: 'PARSE_ERROR',
      message: 'traceback holds no Go stack frames: expected a goroutine header ("goroutine 1 [running]:") followed by function and file:line pairs',
      line: 1,
    },
    429: {
      status: 429,
      code: 'RATE_LIMITED',
      message: `too many symbolicate requests from this client: at most ${DEFAULT_LIMITS.rateSymbolicate} per ${DEFAULT_LIMITS.rateWindowMs / 1000} s (RATE_LIMIT_SYMBOLICATE); retry in 42 s`,
    },
    503: { status: 503, code: 'QUEUE_UNAVAILABLE', message: 'Redis is not reachable (connection reconnecting); nothing was queued, try again shortly' },
  },
  getJob: {
    400: { status: 400, code: 'INPUT_INVALID', message: '"../etc" is not a job id' },
    404: { status: 404, code: 'NOT_FOUND', message: `no job ${JOB} (unknown, expired, or submitted with another token)` },
    503: { status: 503, code: 'QUEUE_UNAVAILABLE', message: 'Redis did not answer within 5000 ms while trying to read the job; try again shortly' },
  },
  uploadSymbols: {
    400: { status: 400, code: 'INPUT_INVALID', message: 'unexpected form part "file": send each file as a part named "files"', field: 'file' },
    401: { status: 401, code: 'UNAUTHORIZED', message: 'uploading needs Authorization: Bearer <token> with the upload or admin scope (UPLOAD_TOKENS)' },
    403: { status: 403, code: 'FORBIDDEN', message: 'uploading needs Authorization: Bearer <token> with the upload or admin scope (UPLOAD_TOKENS): this token has only the read scope' },
    413: { status: 413, code: 'INPUT_TOO_LARGE', message: `big.debug is larger than the upload limit of ${DEFAULT_LIMITS.maxUploadBytes} bytes (MAX_UPLOAD_BYTES)` },
    415: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'upload debug files as multipart/form-data with parts named "files"' },
    422: { status: 422, code: 'ELF_INVALID', message: 'README.md: not an ELF file: bad magic (expected 7f 45 4c 46)' },
    429: {
      status: 429,
      code: 'RATE_LIMITED',
      message: `too many uploads from this client: at most ${DEFAULT_LIMITS.rateUploads} per ${DEFAULT_LIMITS.rateWindowMs / 1000} s (RATE_LIMIT_UPLOADS); retry in 42 s`,
    },
    503: { status: 503, code: 'STORAGE_UNAVAILABLE', message: 'the symbol store cannot be written (EROFS in the storage root); nothing was stored, retry later' },
    507: { status: 507, code: 'STORAGE_FULL', message: 'the symbol store is full (ENOSPC in the storage root); nothing was stored, retry once space is freed' },
  },
  listSymbols: {
    400: { status: 400, code: 'INPUT_INVALID', message: `invalid query: limit must not be greater than ${MAX_LIST_LIMIT}` },
  },
  deleteSymbols: {
    401: { status: 401, code: 'UNAUTHORIZED', message: 'deleting needs Authorization: Bearer <token> with the admin scope (ADMIN_TOKENS)' },
    404: { status: 404, code: 'NOT_FOUND', message: `nothing stored under build-id ${BUILD_ID}` },
  },
  getBuildIdArtifact: {
    404: { status: 404, code: 'NOT_FOUND', message: `no debuginfo for build-id ${BUILD_ID}` },
  },
};

export function errorExample(operationId: string, status: number): ErrorBody | undefined {
  return BY_OPERATION[operationId]?.[status] ?? BY_STATUS[status];
}
