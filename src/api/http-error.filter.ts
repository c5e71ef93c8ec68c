import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { Logger } from 'pino';
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
  NO_BUILD_ID: 422,
  UNAUTHORIZED: 401,
  QUEUE_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
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

/** Fastify's own errors (body parsing, limits) by their codes. */
const FASTIFY: Record<string, [number, ErrorCode, string?]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'INPUT_TOO_LARGE'],
  FST_REQ_FILE_TOO_LARGE: [413, 'INPUT_TOO_LARGE'],
  FST_FILES_LIMIT: [413, 'INPUT_TOO_LARGE'],
  FST_PARTS_LIMIT: [413, 'INPUT_TOO_LARGE'],
  FST_FIELDS_LIMIT: [413, 'INPUT_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'unsupported Content-Type: send application/json, multipart/form-data or text/plain',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INPUT_EMPTY', 'the JSON body is empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INPUT_INVALID'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'this endpoint takes multipart/form-data'],
};

export function toErrorBody(err: unknown): ErrorBody {
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
    return { status, code: status === 404 ? 'NOT_FOUND' : status < 500 ? 'INPUT_INVALID' : 'INTERNAL', message: String(message), details };
  }
  const e = err as { code?: string; statusCode?: number; message?: string };
  const known = e.code ? FASTIFY[e.code] : undefined;
  if (known) return { status: known[0], code: known[1], message: known[2] ?? e.message ?? known[1] };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    // e.g. a JSON body that does not parse: Fastify says where.
    return { status: e.statusCode, code: 'INPUT_INVALID', message: e.message ?? 'bad request' };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error; it has been logged' };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    sendError(reply, err, this.log);
  }
}

export function sendError(reply: FastifyReply, err: unknown, log: Logger): void {
  const body = toErrorBody(err);
  if (body.status >= 500) log.error({ err }, 'request failed');
  else log.info({ code: body.code, status: body.status, msg: body.message }, 'request refused');
  void reply.status(body.status).header('content-type', 'application/json; charset=utf-8').send(body);
}
