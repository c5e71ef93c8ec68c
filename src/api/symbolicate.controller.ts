import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DEFAULT_LIMITS } from '../config/limits';
import { SymbolicateProducer } from '../jobs/symbolicate.producer';
import { SymbolicateJobV1 } from '../jobs/queue.constants';
import { SymbridgeError } from '../model/errors';
import { AccessTokens } from '../symbol-store/access-tokens';
import { UnifiedStack } from '../model/unified-stack';
import { ParseCheckPool } from '../parse/parse-check.pool';
import { renderText } from '../render/text.renderer';
import { sendCrashPage, wantsHtml } from './crash-page';
import { ErrorDto, JobAcceptedDto, JobDto, UnifiedStackDto } from './dto/responses.dto';
import { SymbolicateRequestDto, WAIT_RULE, WaitQueryDto } from './dto/symbolicate.dto';
import { JOB_ID_PARAM } from './dto/params';
import { FileSource } from '../adapters/range-source.adapter';
import { readCore } from '../core/core-file';
import { CoreStore, coreTooLarge, StoredCore } from '../symbol-store/core-store';
import { readForm } from './multipart';
import { decodeText } from './text-body';
import { validateDto } from './validate-dto';

const FORM_FIELDS = ['traceback', 'maps', 'crash_dump', 'modules', 'options'];

@ApiTags('symbolicate')
@Controller('v1')
export class SymbolicateController {
  constructor(
    private readonly producer: SymbolicateProducer,
    private readonly access: AccessTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cores: CoreStore,
    private readonly parseCheck: ParseCheckPool,
  ) {}

  @Post('symbolicate')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'symbolicate',
    summary: 'Symbolicate a crash: Go traceback + /proc/PID/maps in, one unified stack out',
    description:
      'Send the crash as JSON ({traceback, maps, crash_dump?, modules?}; crash_dump: an hs_err log or tombstone, alone or ' +
      'beside the Go traceback), as multipart/form-data with the same field names ' +
      '(text fields or files), or as text/plain: one paste holding the Go traceback (or hs_err log, tombstone) and the maps one after the ' +
      'other (sections are found by their shape). An ELF core file goes as the multipart file field core_dump ' +
      `(plain, gzip, xz or zstd; at most MAX_CORE_BYTES, default ${DEFAULT_LIMITS.maxCoreBytes / 1024 ** 3} GiB), with traceback, maps and modules beside it. ` +
      'The job runs on a worker; with ?wait=N the answer is the result ' +
      'if it is ready within N seconds, else 202 with Location: /v1/jobs/ID. Send Accept: text/plain for the ' +
      'readable rendering, Accept: text/html for the crash page (what the paste box at / does). Limits: body at most MAX_BODY_BYTES (default 8 MiB), wait capped at MAX_WAIT_SECONDS ' +
      `(default 60), frames at most MAX_FRAMES (default ${DEFAULT_LIMITS.maxFrames}), modules at most 10,000; ` +
      `at most RATE_LIMIT_SYMBOLICATE requests per client per RATE_LIMIT_WINDOW_MS (default ${DEFAULT_LIMITS.rateSymbolicate} per ` +
      `${DEFAULT_LIMITS.rateWindowMs / 1000} s, then 429 with Retry-After). With SYMBOLS_READ_ACCESS=token it needs a ` +
      'bearer token of any scope, as reading the symbol files does.',
  })
  @ApiQuery({
    name: 'wait',
    required: false,
    type: Number,
    description:
      `Seconds to wait for the result before answering 202 (${WAIT_RULE}). The answer ` +
      'comes within these seconds + 0.5 s even when Redis goes away meanwhile (then 202: the job was accepted, poll its Location).',
    example: 10,
  })
  @ApiProduces('application/json', 'text/plain', 'text/html')
  @ApiOkResponse({ type: UnifiedStackDto, description: 'The job finished within ?wait' })
  @ApiAcceptedResponse({ type: JobAcceptedDto, description: 'Queued; poll the Location' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Empty or invalid request (names the field)' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'SYMBOLS_READ_ACCESS=token and no valid token (of any scope: read, upload or admin)' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'Body over MAX_BODY_BYTES, a core_dump over MAX_CORE_BYTES, or more frames than MAX_FRAMES' })
  @ApiResponse({ status: 415, type: ErrorDto, description: 'Content-Type not JSON, multipart or text' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Text that does not parse (names the input line), or a core_dump that is not an x86-64 ELF core (says what it is)' })
  @ApiResponse({ status: 429, type: ErrorDto, description: 'More than RATE_LIMIT_SYMBOLICATE requests from this client in the window; Retry-After says when' })
  @ApiResponse({
    status: 503,
    type: ErrorDto,
    description:
      'Nothing was queued, send it again: Redis unavailable (QUEUE_UNAVAILABLE), Redis at its memory bound REDIS_MEMORY_LIMIT_BYTES ' +
      '(QUEUE_FULL), more than HTTP_MAX_INFLIGHT_BODIES bodies in flight (SERVER_BUSY, Retry-After), the store unreachable while ' +
      'storing a core_dump, or this instance is shutting down',
  })
  async symbolicate(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Query() rawQuery: Record<string, unknown>): Promise<void> {
    // The answer is stored functions and lines by address: symbol data, read-scoped like the files.
    this.access.requireRead(req.headers.authorization, 'symbolicating (it reads the stored symbols)');
    const query = await validateDto(WaitQueryDto, { ...rawQuery }, 'query');
    const wait = Math.min(query.wait ?? 0, this.config.limits.maxWaitSeconds);
    const data = { ...(await this.readRequest(req)), owner: this.access.ownerOf(req.headers.authorization) };
    const job = await this.enqueueChecked(data).catch(async (err: unknown) => {
      if (data.core) await this.cores.remove(data.core.id); // nothing queued: nothing keeps the core
      throw err;
    });
    if (data.core) await this.cores.attach(data.core.id, String(job.id));
    const result = await this.producer.waitFor(job, wait);
    if (!result) {
      const location = `/v1/jobs/${job.id}`;
      await reply.status(202).header('location', location).send({ id: job.id, state: 'waiting', location });
      return;
    }
    await this.sendStack(req, reply, result, String(job.id));
  }

  /** Refuse unparseable text now, with its line, rather than as a failed job; and bound the work. */
  private async enqueueChecked(data: SymbolicateJobV1) {
    if (!data.core || data.traceback) {
      const { frames } = await this.parseCheck.check(data.core ? { traceback: data.traceback } : data);
      if (frames > this.config.limits.maxFrames) {
        throw new SymbridgeError(
          'INPUT_TOO_LARGE',
          `the crash has ${frames} frames, more than the limit of ${this.config.limits.maxFrames} (MAX_FRAMES): send the crashing goroutine's part`,
          { field: data.paste !== undefined ? 'paste' : 'traceback' },
        );
      }
    }
    return this.producer.enqueue(data);
  }

  @Get('jobs/:id')
  @ApiOperation({
    operationId: 'getJob',
    summary: 'State, progress, result or error of a symbolication job',
    description:
      'Accept: text/plain gives the readable rendering once the job is completed; Accept: text/html the crash page (the unified stack for a ' +
      'person; while the job runs, its state, followed by the page\'s script). Jobs expire JOB_RETENTION_SECONDS (default 3600) after they finish. ' +
      'Job ids are unguessable. With tokens configured, a job submitted with a token is read with that token or an admin token; ' +
      'to anyone else it answers 404, as an unknown job does (a job submitted without a token is read by its id).',
  })
  @ApiParam(JOB_ID_PARAM)
  @ApiProduces('application/json', 'text/plain', 'text/html')
  @ApiOkResponse({ type: JobDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a job id' })
  @ApiResponse({
    status: 404,
    type: ErrorDto,
    description:
      'No such job (unknown, expired after JOB_RETENTION_SECONDS, or submitted with another token). With tokens configured, Accept: text/html ' +
      'without an Authorization header (a browser reloading a job page) gets the crash page, whose script asks again with the token saved in the tab',
  })
  @ApiResponse({ status: 503, type: ErrorDto, description: 'Redis unavailable' })
  async job(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!/^[0-9A-Za-z_-]{1,64}$/.test(id)) throw new SymbridgeError('INPUT_INVALID', `"${id.slice(0, 64)}" is not a job id`);
    const found = await this.producer.view(id);
    // Another token's job answers as an unknown one: 404, not 403, so its existence is not confirmed.
    if (!found || !this.access.mayReadJob(req.headers.authorization, found.owner)) {
      // A browser reloading a job page sends no Authorization header; its token is in the tab's
      // sessionStorage. The page (the same 404 for an unknown job) asks again with it.
      if (wantsHtml(req) && !req.headers.authorization && this.access.tokensConfigured) {
        await sendCrashPage(req, reply.code(404), { job: { id, state: 'locked' } });
        return;
      }
      throw new SymbridgeError('NOT_FOUND', `no job ${id} (unknown, expired, or submitted with another token)`);
    }
    const { owner: _owner, ...view } = found;
    if (view.result && wantsText(req)) {
      await this.sendStack(req, reply, view.result);
      return;
    }
    if (wantsHtml(req)) {
      await sendCrashPage(req, reply, { stack: view.result, job: { id, state: view.state, error: view.error } });
      return;
    }
    await reply.send(view);
  }

  private async sendStack(req: FastifyRequest, reply: FastifyReply, stack: UnifiedStack, jobId?: string): Promise<void> {
    if (wantsHtml(req)) await sendCrashPage(req, reply, { stack, job: jobId ? { id: jobId, state: 'completed' } : undefined });
    else if (wantsText(req)) await reply.header('content-type', 'text/plain; charset=utf-8').send(renderText(stack));
    else await reply.send(stack);
  }

  private async validated(plain: Record<string, unknown>): Promise<SymbolicateRequestDto> {
    const dto = await validateDto(SymbolicateRequestDto, plain, 'symbolicate request');
    const unknownOptions = Object.keys(dto.options ?? {});
    if (unknownOptions.length > 0) {
      const details = unknownOptions.slice(0, 20).map((k) => `options.${k.slice(0, 64)} should not exist`);
      throw new SymbridgeError('INPUT_INVALID', `invalid symbolicate request: ${details.join('; ')} (no option is defined yet)`, { field: 'options', details });
    }
    return dto;
  }

  /** Read the core's header and notes now: not a core, a truncated one, another architecture is a 422 before any job. */
  private async checkCore(path: string, name: string): Promise<void> {
    const src = await FileSource.open(path);
    try {
      await readCore(src, name);
    } finally {
      await src.close();
    }
  }

  /** The three ways in, to one job payload. */
  private async readRequest(req: FastifyRequest): Promise<SymbolicateJobV1> {
    const received_at = new Date().toISOString();
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('text/plain')) {
      const { text: paste, note } = Buffer.isBuffer(req.body) ? decodeText(req.body, type) : { text: '', note: undefined };
      if (paste.trim() === '') throw new SymbridgeError('INPUT_EMPTY', 'the text/plain body is empty: paste the Go traceback and the /proc/PID/maps lines');
      return { v: 1, paste, received_at, input_notes: note ? [note] : undefined };
    }
    let plain: Record<string, unknown>;
    let core: StoredCore | undefined;
    let coreName = 'core_dump';
    let notes: string[] = [];
    if (type.startsWith('multipart/form-data')) {
      const { maxBodyBytes, maxCoreBytes } = this.config.limits;
      let stored: StoredCore | undefined;
      const form = await readForm(req, {
        text: FORM_FIELDS,
        maxTextBytes: maxBodyBytes,
        maxFileBytes: maxCoreBytes,
        files: {
          core_dump: async (file, filename) => {
            if (stored) throw new SymbridgeError('INPUT_INVALID', 'one core_dump per request', { field: 'core_dump' });
            coreName = filename || 'core_dump';
            // Checked while spooled, before it is stored: a refused core never reaches the store.
            stored = await this.cores.write(file, maxCoreBytes, async (path) => {
              if (file.truncated) throw coreTooLarge(maxCoreBytes);
              await this.checkCore(path, coreName);
            });
            return stored;
          },
        },
      }).catch(async (err: unknown) => {
        if (stored) await this.cores.remove(stored.id);
        throw err;
      });
      core = stored;
      notes = form.notes;
      plain = { ...form.text };
      for (const key of ['modules', 'options'] as const) {
        if (form.text[key] !== undefined) plain[key] = parseJsonField(form.text[key], key);
      }
    } else if (type.startsWith('application/json')) {
      plain = (req.body ?? {}) as Record<string, unknown>;
    } else {
      throw new SymbridgeError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type "${type || '(none)'}": send application/json, multipart/form-data or text/plain`);
    }
    const dto = await this.validated(plain).catch(async (err: unknown) => {
      if (core) await this.cores.remove(core.id);
      throw err;
    });
    if (core) {
      return {
        v: 1,
        core: { id: core.id, name: coreName.slice(0, 200), size: core.size, compression: core.compression },
        traceback: dto.traceback?.trim() ? dto.traceback : undefined,
        modules: dto.modules?.map((m) => ({ path: m.path, build_id: m.build_id.toLowerCase() })),
        received_at,
        input_notes: notes.length ? notes : undefined,
      };
    }
    // maps alone is a request too: the answer is its module table (which stored builds fit).
    if (!dto.traceback?.trim() && !dto.crash_dump?.trim() && !dto.maps?.trim()) {
      throw new SymbridgeError(
        'INPUT_EMPTY',
        'traceback is missing or empty: send the Go traceback text (the stderr of the crash), or crash_dump (an hs_err log or tombstone), or maps alone for its module table',
        { field: 'traceback' },
      );
    }
    return {
      v: 1,
      traceback: dto.traceback?.trim() ? dto.traceback : undefined,
      maps: dto.maps,
      crash_dump: dto.crash_dump?.trim() ? dto.crash_dump : undefined,
      modules: dto.modules?.map((m) => ({ path: m.path, build_id: m.build_id.toLowerCase() })),
      received_at,
      input_notes: notes.length ? notes : undefined,
    };
  }
}

function wantsText(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/plain') && !accept.includes('application/json');
}

function parseJsonField(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SymbridgeError('INPUT_INVALID', `form field "${field}" must be JSON: ${(err as Error).message}`, { field });
  }
}
