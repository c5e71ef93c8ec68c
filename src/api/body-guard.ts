import { IncomingMessage } from 'node:http';
import { FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { Limits } from '../config/limits';
import { toErrorBody } from './http-error.filter';
import { SymbridgeError } from '../model/errors';

/** Node's http server options for our timeouts (Fastify passes `http` to http.createServer). */
export function httpServerOptions(limits: Limits) {
  return {
    // requestTimeout/headersTimeout are checked on this interval (Node's default is 30 s: far too coarse).
    http: { headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs), connectionsCheckingInterval: 500 },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // No idle timeout on the whole connection: a `?wait=60` answer is legitimately silent for 60 s.
    // Bodies get their own idle timeout below.
    connectionTimeout: 0,
  };
}

function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
}

/**
 * Bodies are where a stalled or hostile client holds memory and temp files: each body in
 * flight counts against `maxInflightBodies` (beyond it: 503 + Retry-After at once, before
 * anything is read), and a body that sends nothing for `bodyIdleTimeoutMs` has its socket
 * destroyed, which aborts the parser or the upload stream (the upload then removes its
 * temp file). Once the body is in, the socket has no idle timeout again (a ?wait answer).
 */
export function registerBodyGuard(fastify: FastifyInstance, limits: Limits, log: Logger): void {
  let inflight = 0;
  fastify.addHook('onRequest', (req, reply, done) => {
    const raw = req.raw;
    if (!hasBody(raw)) return done();
    if (inflight >= limits.maxInflightBodies) {
      const body = toErrorBody(
        new SymbridgeError(
          'SERVER_BUSY',
          `${inflight} request bodies are being received already (HTTP_MAX_INFLIGHT_BODIES=${limits.maxInflightBodies}); nothing was read, send it again shortly`,
        ),
      );
      log.warn({ inflight, url: req.url }, 'request body refused: too many bodies in flight');
      void reply.code(503).header('retry-after', '1').header('connection', 'close').send(body);
      return;
    }
    inflight += 1;
    const socket = raw.socket;
    let released = false;
    const release = (bodyIn: boolean) => {
      if (released) return;
      released = true;
      inflight -= 1;
      // Only when the body is in and before the answer: after it Node sets the keep-alive timeout itself.
      if (bodyIn && !socket.destroyed) socket.setTimeout(0);
    };
    raw.once('end', () => release(true));
    raw.once('close', () => release(false));
    reply.raw.once('finish', () => release(false));
    socket.setTimeout(limits.bodyIdleTimeoutMs);
    // A listener on the request takes the decision from Node (which would destroy the socket at
    // once). The timer can fire late, after the loop was held (a 45k-frame request parsed):
    // bytes already in the socket are read in this turn's I/O first, and only a body that
    // really sent nothing is cut. Any byte read re-arms the socket's timer.
    raw.on('timeout', () => {
      const seen = socket.bytesRead;
      setImmediate(() => {
        if (raw.complete || socket.destroyed || socket.bytesRead !== seen) return;
        log.warn({ idleMs: limits.bodyIdleTimeoutMs, url: req.url }, 'request body stalled: connection closed');
        socket.destroy();
      });
    });
    done();
  });
}
