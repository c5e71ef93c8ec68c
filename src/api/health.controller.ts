import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { SymbridgeError } from '../model/errors';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { SymbolicateProducer } from '../jobs/symbolicate.producer';
import { HealthDto } from './dto/responses.dto';

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
    const checks: Record<string, string> = {};
    // A load balancer should stop sending work to an instance that drains.
    if (this.producer.draining) checks.shutdown = 'draining: this instance is shutting down';
    await this.producer.ping().then(
      () => (checks.redis = 'ok'),
      (err: Error) => (checks.redis = err.message),
    );
    await this.store.objects.checkWritable().then(
      () => (checks.storage = 'ok'),
      (err: Error) => (checks.storage = err instanceof SymbridgeError ? err.message : `${this.store.where} not writable: ${err.message}`),
    );
    const ok = Object.values(checks).every((v) => v === 'ok');
    await reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  }
}
