import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SymbridgeError } from '../model/errors';
import { basename } from '../normalize/find-mapping';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { StoredFileMeta } from '../symbol-store/stored-file';
import { ErrorDto, StoredFileDto, UploadResponseDto } from './dto/responses.dto';

@ApiTags('symbols')
@Controller('v1/symbols')
export class SymbolsController {
  constructor(
    private readonly store: SymbolStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'uploadSymbols',
    summary: 'Upload debug files (executables, shared libraries, separate debug files), stored by build-id',
    description:
      'multipart/form-data with one or more parts named "files". Each file is streamed to disk, verified as ELF with ' +
      'a build-id (GNU, or Go\'s own for pure-Go binaries) and moved into place; the same build-id again is a no-op. ' +
      'Limits: MAX_UPLOAD_BYTES per file (default 2 GiB), MAX_UPLOAD_FILES per request (default 32). When UPLOAD_TOKEN ' +
      'is set, send Authorization: Bearer <token>.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['files'],
      properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } },
    },
  })
  @ApiOkResponse({ type: UploadResponseDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'No files, or an unknown form field' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'UPLOAD_TOKEN is set and the request has no valid token' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'A file over MAX_UPLOAD_BYTES, or too many files' })
  @ApiResponse({ status: 415, type: ErrorDto, description: 'Not multipart/form-data' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Not ELF, malformed ELF, or no build-id' })
  async upload(@Req() req: FastifyRequest): Promise<UploadResponseDto> {
    this.authorize(req);
    if (!req.isMultipart()) {
      throw new SymbridgeError('UNSUPPORTED_MEDIA_TYPE', 'upload debug files as multipart/form-data with parts named "files"');
    }
    const { maxUploadBytes, maxUploadFiles } = this.config.limits;
    const results: UploadResponseDto['files'] = [];
    for await (const part of req.parts({ limits: { fileSize: maxUploadBytes, files: maxUploadFiles, fields: 4, parts: maxUploadFiles + 4 } })) {
      if (part.type !== 'file' || part.fieldname !== 'files') {
        if (part.type === 'file') part.file.resume();
        throw new SymbridgeError('INPUT_INVALID', `unexpected form part "${part.fieldname}": send each file as a part named "files"`, {
          field: part.fieldname,
        });
      }
      const name = basename(part.filename || 'unnamed');
      const tmp = this.store.tempPath();
      try {
        await pipeline(part.file, createWriteStream(tmp, { flags: 'wx' }));
        if (part.file.truncated) {
          throw new SymbridgeError('INPUT_TOO_LARGE', `${name} is larger than the upload limit of ${maxUploadBytes} bytes`, { path: name });
        }
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      const { meta, created } = await this.store.ingest(tmp, name);
      results.push({ ...meta, created });
    }
    if (results.length === 0) throw new SymbridgeError('INPUT_EMPTY', 'no files in the upload: send parts named "files"');
    return { files: results };
  }

  @Get(':buildId')
  @ApiOperation({ operationId: 'getSymbols', summary: 'Metadata of a stored debug file by build-id (GNU or Go)' })
  @ApiOkResponse({ type: StoredFileDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a hex build-id' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Nothing stored under that build-id' })
  async get(@Param('buildId') buildId: string): Promise<StoredFileMeta> {
    const id = buildId.toLowerCase();
    if (!SymbolStore.isBuildId(id)) throw new SymbridgeError('INPUT_INVALID', `"${buildId.slice(0, 80)}" is not a build-id (8-256 hex digits)`);
    const meta = await this.store.get(id);
    if (!meta) {
      throw new SymbridgeError('NOT_FOUND', `no debug file for build-id ${id}; upload it with: curl -F files=@path/to/file $SYMBRIDGE_URL/v1/symbols`, {
        buildId: id,
      });
    }
    return meta;
  }

  private authorize(req: FastifyRequest): void {
    const token = this.config.uploadToken;
    if (!token) return;
    if (req.headers.authorization !== `Bearer ${token}`) {
      throw new SymbridgeError('UNAUTHORIZED', 'uploading needs Authorization: Bearer <UPLOAD_TOKEN>');
    }
  }
}
