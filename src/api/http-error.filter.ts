import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { Limits } from '../config/limits';
import { ErrorCode, SymbridgeError } from '../model/errors';

/** The one place where error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  INPUT_EMPTY: 400,
  INPUT_INVALID: 400,
  INPUT_TOO_LARGE: 413,
  PARSE_ERROR: 422,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  ELF_INVALID: 422,
  CORE_INVALID: 422,
  DWARF_INVALID: 422,
  NO_BUILD_ID: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  QUEUE_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  STORAGE_FULL: 507,
  RATE_LIMITED: 429,
  SYMBOLIZER_FAILED: 502,
  JOB_FAILED: 422,
};

export interface ErrorBody {
  status: number;
  code: string;
  message: string;
  line?: number;
  field?: string;
  details?: string[];
}

/**
 * Errors raised before a handler runs (Fastify's body parsing and limits) reach us as
 * HttpExceptions with only a status: say in words what was wrong and what to do.
 */
function byStatus(status: number, message: string, limits?: Limits): Omit<ErrorBody, 'status'> {
  switch (status) {
    case 413:
      return {
        code: 'INPUT_TOO_LARGE',
        message: limits ? `request body is larger than the limit of ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES)` : message,
      };
    case 415:
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported Content-Type: send application/json, multipart/form-data or text/plain' };
    case 404:
      return { code: 'NOT_FOUND', message };
    case 403:
      return { code: 'FORBIDDEN', message };
    default:
      return { code: status < 500 ? 'INPUT_INVALID' : 'INTERNAL', message };
  }
}

export function toErrorBody(err: unknown, limits?: Limits): ErrorBody {
  if (err instanceof SymbridgeError) {
    const { line, field, details } = err.context;
    return {
      status: STATUS[err.code],
      code: err.code,
      message: err.message,
      line,
      field,
      details: Array.isArray(details) ? details.map(String) : undefined,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse() as { message?: string | string[] } | string;
    const details = typeof res === 'object' && Array.isArray(res.message) ? res.message : undefined;
    const message = details ? `invalid request: ${details.join('; ')}` : typeof res === 'string' ? res : (res.message ?? err.message);
    return { status, ...byStatus(status, String(message), limits), details };
  }
  // Fastify and its plugins signal a client's mistake with a 4xx statusCode on the error:
  // multipart limits (FastifyError), and the static files under /docs (`/docs/../..` is a
  // 403 "Forbidden", a NUL in the path a 400 from `send`).
  const fe = err as { statusCode?: unknown; message?: string };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const message = fe.message === 'Forbidden' ? 'Forbidden: the path leaves the folder it names' : (fe.message ?? 'bad request');
    return { status: fe.statusCode, ...byStatus(fe.statusCode, message) };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error; it has been logged' };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    private readonly log: Logger,
    private readonly limits: Limits,
  ) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const req = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const body = toErrorBody(err, this.limits);
    // Refused before the body was read (an upload into a full disk): the rest of it would
    // stall this keep-alive connection for the client's next request. Close it instead.
    if (req?.raw && !req.raw.complete) void reply.header('connection', 'close');
    if (body.status >= 500) this.log.error({ err }, 'request failed');
    // The reason is the line's one msg (jq '.msg'); refused: true marks it as a refusal.
    else this.log.info({ refused: true, code: body.code, status: body.status, url: req?.url }, body.message);
    void reply.status(body.status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
