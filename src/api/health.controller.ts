import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { SymbolicateProducer } from '../jobs/symbolicate.producer';
import { HealthDto } from './dto/responses.dto';
import { readiness } from './readiness';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly producer: SymbolicateProducer,
    private readonly store: SymbolStore,
  ) {}

  @Get('healthz')
  @ApiOperation({ operationId: 'healthz', summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthDto })
  healthz(): HealthDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ operationId: 'readyz', summary: 'Readiness: Redis answers and the symbol store (storage root or S3 bucket) is reachable' })
  @ApiOkResponse({ type: HealthDto })
  @ApiResponse({ status: 503, type: HealthDto, description: 'A dependency is unavailable; checks say which' })
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const r = await readiness('instance', this.producer.draining, () => this.producer.ping(), this.store);
    await reply.status(r.httpStatus).send(r.body);
  }
}
