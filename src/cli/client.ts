import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { CliError } from './args';

/** The CLI's view of the HTTP API: one place that knows URLs, auth and error bodies. */
export class SymbridgeClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  async request(path: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, { ...init, headers: this.headers(init.headers as Record<string, string>) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach symbridge at ${this.baseUrl} (${cause}); set --url or SYMBRIDGE_URL`);
    }
    if (res.status >= 400) {
      const text = await res.text();
      let message = text;
      try {
        const body = JSON.parse(text) as { message?: string; line?: number };
        message = `${body.message ?? text}${body.line ? ` (input line ${body.line})` : ''}`;
      } catch {
        /* not JSON: print as is */
      }
      throw new CliError(`HTTP ${res.status}: ${message}`);
    }
    return res;
  }

  /**
   * Upload one file as multipart/form-data, streamed from disk (a 1 GB debug file
   * never sits in memory), calling `onBytes` as the body goes out.
   */
  async uploadFile(path: string, onBytes: (sent: number, total: number) => void): Promise<unknown> {
    const size = (await stat(path)).size;
    const boundary = `----symbridge${Math.random().toString(16).slice(2)}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${basename(path).replace(/"/g, '')}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    let sent = 0;
    async function* body() {
      yield head;
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        sent += (chunk as Buffer).length;
        onBytes(sent, size);
        yield chunk as Buffer;
      }
      yield tail;
    }
    const res = await this.request('/v1/symbols', {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + size + tail.length),
      },
      body: Readable.toWeb(Readable.from(body())) as ReadableStream,
      duplex: 'half',
    });
    return res.json();
  }
}
