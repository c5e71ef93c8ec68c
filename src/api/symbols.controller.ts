import { rm } from 'node:fs/promises';
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DEFAULT_LIMITS } from '../config/limits';
import { SymbridgeError } from '../model/errors';
import { AccessTokens } from '../symbol-store/access-tokens';
import { requireBuildId } from '../symbol-store/build-id';
import { StoredFileMeta } from '../symbol-store/stored-file';
import { Metrics } from '../metrics/metrics';
import { BUILD_ID_PARAM } from './dto/params';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { storageError } from '../symbol-store/storage-error';
import { tooLarge, writeToTempFile } from '../symbol-store/temp-file.writer';
import { ErrorDto } from './dto/responses.dto';
import { ListSymbolsQueryDto, StoredFileDto, SymbolListDto, UploadResponseDto, UploadResultDto } from './dto/symbols.dto';
import { formParts, multipartFailure } from './multipart';
import { validateDto } from './validate-dto';

const GiB = 1024 * 1024 * 1024;
const LIMITS =
  `Limits (config): MAX_UPLOAD_BYTES per file (default ${DEFAULT_LIMITS.maxUploadBytes} bytes = ${DEFAULT_LIMITS.maxUploadBytes / GiB} GiB), ` +
  `MAX_UPLOAD_FILES per request (default ${DEFAULT_LIMITS.maxUploadFiles}).`;

@ApiTags('symbols')
@Controller('v1/symbols')
export class SymbolsController {
  constructor(
    private readonly store: SymbolStore,
    private readonly access: AccessTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'uploadSymbols',
    summary: 'Upload debug files (executables, shared libraries, separate debug files), stored by build-id',
    description:
      'multipart/form-data with one or more parts named "files". Each file is streamed to a temporary file (never ' +
      'held in memory), verified as ELF with a build-id (GNU, or Go\'s own for pure-Go binaries; both are indexed ' +
      'when a file has both) and linked into place only then. The same build-id again, or uploaded concurrently, ' +
      'stores one copy (created: false). A stripped binary and its `objcopy --only-keep-debug` file can be uploaded ' +
      'separately: they fill the executable and debuginfo slots of the build-id. Files without a build-id are ' +
      `refused (relink with -Wl,--build-id). ${LIMITS} Needs a bearer token with the upload or admin scope when ` +
      'UPLOAD_TOKENS or ADMIN_TOKENS are configured.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['files'],
      properties: {
        files: {
          type: 'array',
          items: { type: 'string', format: 'binary' },
          maxItems: DEFAULT_LIMITS.maxUploadFiles,
          description: LIMITS,
        },
      },
    },
  })
  @ApiOkResponse({ type: UploadResponseDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'No files, an unknown form field, or a malformed multipart body (no boundary, ends early)' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'Upload tokens are configured and the request has no valid one' })
  @ApiResponse({ status: 403, type: ErrorDto, description: 'The token has only the read scope' })
  @ApiResponse({ status: 413, type: ErrorDto, description: `A file over MAX_UPLOAD_BYTES, or more than MAX_UPLOAD_FILES files. ${LIMITS}` })
  @ApiResponse({ status: 415, type: ErrorDto, description: 'Not multipart/form-data' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Not ELF, malformed ELF, or no build-id (the message says how to add one)' })
  @ApiResponse({ status: 429, type: ErrorDto, description: 'More than RATE_LIMIT_UPLOADS uploads from this client in RATE_LIMIT_WINDOW_MS (default 120 per 60 s); Retry-After says when' })
  @ApiResponse({ status: 503, type: ErrorDto, description: 'The symbol store (storage root or S3 bucket) is read-only, unreachable or failing; nothing was stored' })
  @ApiResponse({ status: 507, type: ErrorDto, description: 'The storage root is full; nothing was stored' })
  async upload(@Req() req: FastifyRequest): Promise<UploadResponseDto> {
    this.access.requireUpload(req.headers.authorization);
    if (!req.isMultipart()) {
      throw new SymbridgeError('UNSUPPORTED_MEDIA_TYPE', 'upload debug files as multipart/form-data with parts named "files"');
    }
    const { maxUploadBytes, maxUploadFiles } = this.config.limits;
    const results: UploadResultDto[] = [];
    let current = '';
    try {
      const parts = formParts(req, { fileSize: maxUploadBytes, files: maxUploadFiles, fields: 4, parts: maxUploadFiles + 4 });
      for await (const part of parts) {
        if (part.type !== 'file' || part.fieldname !== 'files') {
          if (part.type === 'file') part.file.resume();
          throw new SymbridgeError('INPUT_INVALID', `unexpected form part "${part.fieldname}": send each file as a part named "files"`, {
            field: part.fieldname,
          });
        }
        current = part.filename || 'unnamed';
        const written = await writeToTempFile(part.file, this.store.tempPath(), maxUploadBytes, current);
        this.metrics.uploadBytes.inc(written.size);
        if (part.file.truncated) {
          await rm(written.path, { force: true });
          throw tooLarge(current, maxUploadBytes);
        }
        const { buildId, file, meta, created } = await this.store.ingest(written, current);
        results.push({
          build_id: buildId,
          gnu_build_id: file.gnu_build_id,
          go_build_id: file.go_build_id,
          name: file.name,
          size: file.size,
          arch: file.arch,
          elf_type: file.elf_type,
          kind: file.kind,
          has: file.has,
          debuglink: file.debuglink,
          created,
          stored: meta.kind,
        });
      }
    } catch (err) {
      throw this.explain(err, current, maxUploadBytes, maxUploadFiles, results);
    }
    if (results.length === 0) throw new SymbridgeError('INPUT_EMPTY', 'no files in the upload: send parts named "files"');
    return { files: results };
  }

  @Get()
  @ApiOperation({
    operationId: 'listSymbols',
    summary: 'List stored build-ids, optionally by file name; paginated by cursor',
    description: 'Sorted by build-id. Pass next_cursor back as ?cursor= for the next page.',
  })
  @ApiOkResponse({ type: SymbolListDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Bad query parameter' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'SYMBOLS_READ_ACCESS=token and no valid token' })
  async list(@Req() req: FastifyRequest, @Query() query: ListSymbolsQueryDto): Promise<SymbolListDto> {
    this.access.requireRead(req.headers.authorization);
    const q = await validateDto(ListSymbolsQueryDto, { ...(query as object) }, 'query');
    return this.store.list({ name: q.name, cursor: q.cursor, limit: q.limit ?? 50 }) as Promise<SymbolListDto>;
  }

  @Get(':buildId')
  @ApiOperation({ operationId: 'getSymbols', summary: 'Metadata of a stored build-id (GNU or Go)' })
  @ApiParam(BUILD_ID_PARAM)
  @ApiOkResponse({ type: StoredFileDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a hex build-id' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'SYMBOLS_READ_ACCESS=token and no valid token' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Nothing stored under that build-id (nor upstream, when configured)' })
  async get(@Req() req: FastifyRequest, @Param('buildId') buildId: string): Promise<StoredFileMeta> {
    this.access.requireRead(req.headers.authorization);
    const id = requireBuildId(buildId);
    const meta = await this.store.get(id, { fetch: true });
    if (!meta) {
      throw new SymbridgeError('NOT_FOUND', `no debug file for build-id ${id}; upload it with: npm run cli -- upload path/to/file in a symbridge checkout (or curl -F files=@path/to/file $SYMBRIDGE_URL/v1/symbols)`, {
        buildId: id,
      });
    }
    return meta;
  }

  @Delete(':buildId')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'deleteSymbols', summary: 'Delete everything stored under a build-id (admin token)' })
  @ApiParam(BUILD_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a hex build-id' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'No valid token' })
  @ApiResponse({ status: 403, type: ErrorDto, description: 'Not an admin token, or no ADMIN_TOKENS configured' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Nothing stored under that build-id' })
  async remove(@Req() req: FastifyRequest, @Param('buildId') buildId: string): Promise<void> {
    this.access.requireAdmin(req.headers.authorization);
    const id = requireBuildId(buildId);
    if (!(await this.store.delete(id))) throw new SymbridgeError('NOT_FOUND', `nothing stored under build-id ${id}`, { buildId: id });
  }

  /** Multipart limit errors name the limit; a failure after some files were stored says which. */
  private explain(err: unknown, name: string, maxBytes: number, maxFiles: number, stored: UploadResultDto[]): unknown {
    const code = (err as { code?: string }).code;
    let out = storageError(multipartFailure(err), this.store.where);
    if (code === 'FST_REQ_FILE_TOO_LARGE') out = tooLarge(name, maxBytes);
    else if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
      out = new SymbridgeError('INPUT_TOO_LARGE', `more than ${maxFiles} files in one upload (MAX_UPLOAD_FILES): split it into several requests`);
    }
    if (out instanceof SymbridgeError && stored.length > 0) {
      out.context.details = [`stored before the failure: ${stored.map((r) => `${r.name} (${r.build_id})`).join(', ')}`];
    }
    return out;
  }
}
