import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { getQueueToken } from '@nestjs/bullmq';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import { FastifyInstance } from 'fastify';
import { SYMBOLICATE_QUEUE } from '../jobs/queue.constants';
import { AccessTokens } from '../symbol-store/access-tokens';
import { toErrorBody } from './http-error.filter';

export const QUEUES_PATH = '/queues';

/**
 * The operator's view of the queues (bull-board) at /queues, behind the admin token.
 * A browser gets a login prompt (Basic, any user name, the token as password);
 * scripts send `Authorization: Bearer <admin token>`.
 */
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const queue = app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE));
  const tokens = app.get(AccessTokens);
  const board = new BoardAdapter();
  board.setBasePath(QUEUES_PATH);
  createBullBoard({ queues: [new BullMQAdapter(queue, { readOnlyMode: false })], serverAdapter: board });
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (req, reply) => {
      try {
        tokens.requireAdminFor(req.headers.authorization, 'the queue dashboard');
      } catch (err) {
        const body = toErrorBody(err);
        if (body.status === 401) void reply.header('www-authenticate', 'Basic realm="symbridge queues", charset="UTF-8"');
        return reply.status(body.status).send(body);
      }
    });
    await scope.register(board.registerPlugin() as never, { prefix: QUEUES_PATH });
  });
}
