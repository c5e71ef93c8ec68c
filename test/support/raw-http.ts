import { request } from 'node:http';
import { connect, Socket } from 'node:net';

/**
 * HTTP as a hostile client sends it: paths fetch() would normalize (`/docs/../..`),
 * bodies that break their framing, and sockets that stall mid-request.
 */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawAnswer> {
  const u = new URL(base);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a stalled client sees: the answer the server sent (if any) and when the socket closed. */
export interface StalledOutcome {
  status?: number;
  text: string;
  /** ms from the first byte sent until the server closed the socket. */
  closedAfterMs: number;
  /** ms from the last byte handed to the kernel until the server closed the socket. */
  closedAfterSentMs: number;
}

/**
 * Open a socket, send `head` (request line and headers) and `sent` body bytes, then
 * nothing more: resolves when the server closes the connection (or after `giveUpMs`).
 */
export function stall(base: string, head: string, sent: Buffer | string, giveUpMs: number): { socket: Socket; outcome: Promise<StalledOutcome> } {
  const u = new URL(base);
  const socket = connect(Number(u.port), u.hostname);
  const t0 = Date.now();
  let sentAt = t0;
  let text = '';
  const outcome = new Promise<StalledOutcome>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status ? Number(status) : undefined, text, closedAfterMs: Date.now() - t0, closedAfterSentMs: Date.now() - sentAt });
    };
    const timer = setTimeout(() => {
      socket.destroy();
    }, giveUpMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
  socket.on('connect', () => {
    socket.write(head, () => (sentAt = Date.now()));
    if (sent.length > 0) socket.write(sent, () => (sentAt = Date.now()));
  });
  return { socket, outcome };
}
