import { BUILD_ID_PARAM } from './dto/params';
import { Controller, Get, Head, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { SymbridgeError } from '../model/errors';
import { AccessTokens } from '../symbol-store/access-tokens';
import { requireBuildId } from '../symbol-store/build-id';
import { Slot } from '../symbol-store/stored-file';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { ErrorDto } from './dto/responses.dto';

const ARTIFACTS: readonly Slot[] = ['debuginfo', 'executable'];
const HEADERS = {
  'Content-Length': { schema: { type: 'integer' }, description: 'File size in bytes' },
  'X-Debuginfod-Size': { schema: { type: 'integer' }, description: 'File size in bytes (as elfutils debuginfod sends it)' },
  'X-Debuginfod-File': { schema: { type: 'string' }, description: 'The name the file was uploaded under' },
};

/**
 * The debuginfod web API (elfutils' debuginfod(8)) over the store, so gdb, perf,
 * llvm and `debuginfod-find` use the same files the symbolizer does:
 * GET|HEAD /buildid/ID/debuginfo and /buildid/ID/executable. 200 with the file,
 * Content-Length and X-Debuginfod-Size/-File; 404 when absent (after asking the
 * upstream servers once, when configured).
 */
@ApiTags('debuginfod')
@Controller('buildid')
export class DebuginfodController {
  constructor(
    private readonly store: SymbolStore,
    private readonly access: AccessTokens,
  ) {}

  @Head(':buildId/:artifact')
  @ApiOperation({ operationId: 'headBuildIdArtifact', summary: 'debuginfod: whether the artifact exists, and its size (no body)' })
  @ApiParam(BUILD_ID_PARAM)
  @ApiParam({ name: 'artifact', enum: ARTIFACTS, example: 'debuginfo' })
  @ApiResponse({ status: 200, description: 'Present; Content-Length and X-Debuginfod-Size give its size', headers: HEADERS })
  @ApiResponse({ status: 404, description: 'Not stored' })
  async head(@Req() req: FastifyRequest, @Param('buildId') buildId: string, @Param('artifact') artifact: string, @Res() reply: FastifyReply) {
    await this.serve(req, buildId, artifact, reply, false);
  }

  @Get(':buildId/:artifact')
  @ApiOperation({
    operationId: 'getBuildIdArtifact',
    summary: 'debuginfod: the debug file (debuginfo) or the executable/shared library (executable) of a build-id',
    description:
      'Compatible with elfutils debuginfod clients: DEBUGINFOD_URLS=<this service> debuginfod-find debuginfo ID, ' +
      'gdb -iex \'set debuginfod enabled on\'. debuginfo is the separate debug file, an unstripped upload, or the ' +
      '.gnu_debuglink partner of the executable; executable is the loadable file.',
  })
  @ApiParam(BUILD_ID_PARAM)
  @ApiParam({ name: 'artifact', enum: ARTIFACTS, example: 'debuginfo' })
  @ApiResponse({
    status: 200,
    description: 'The ELF file',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    headers: HEADERS,
  })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a hex build-id' })
  @ApiResponse({ status: 401, type: ErrorDto, description: 'SYMBOLS_READ_ACCESS=token and no valid token' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Not stored (nor upstream)' })
  async get(@Req() req: FastifyRequest, @Param('buildId') buildId: string, @Param('artifact') artifact: string, @Res() reply: FastifyReply) {
    await this.serve(req, buildId, artifact, reply, true);
  }

  private async serve(req: FastifyRequest, buildId: string, artifact: string, reply: FastifyReply, body: boolean): Promise<void> {
    this.access.requireRead(req.headers.authorization);
    const id = requireBuildId(buildId);
    if (!(ARTIFACTS as readonly string[]).includes(artifact)) {
      throw new SymbridgeError('NOT_FOUND', `"${artifact.slice(0, 40)}" is not served here: ask for /buildid/${id}/debuginfo or /executable`);
    }
    const slot = artifact as Slot;
    const found = await this.store.openSlot(id, slot, { body });
    if (!found) {
      throw new SymbridgeError('NOT_FOUND', `no ${slot} for build-id ${id}`, { buildId: id });
    }
    void reply
      .status(200)
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(found.size))
      .header('x-debuginfod-size', String(found.size))
      .header('last-modified', found.mtime.toUTCString())
      .header('cache-control', 'public');
    // The stored name, not the server path: no storage layout leaks out.
    if (found.record?.name) reply.header('x-debuginfod-file', `/${encodeURIComponent(found.record.name)}`);
    await reply.send(body ? found.stream : undefined);
  }
}
