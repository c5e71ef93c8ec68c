import { Readable } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Slot } from './stored-file';
import { writeToTempFile, WrittenFile } from './temp-file.writer';

export interface UpstreamOptions {
  /** Base URLs of debuginfod servers, tried in order (DEBUGINFOD_URLS semantics). */
  urls: string[];
  timeoutMs: number;
  maxBytes: number;
}

export interface UpstreamHit extends WrittenFile {
  url: string;
  /** Base name from X-Debuginfod-File, when the server sent one. */
  fileName?: string;
}

/**
 * Client side of the debuginfod web API for the store's own misses: GET
 * <url>/buildid/<id>/<slot> from each server in turn, streamed to a temp file. The
 * caller verifies the file (ELF, same build-id) before keeping it.
 */
export class DebuginfodUpstream {
  constructor(
    readonly options: UpstreamOptions,
    private readonly warn: (msg: string) => void = () => undefined,
  ) {}

  get enabled(): boolean {
    return this.options.urls.length > 0;
  }

  /** Parse a DEBUGINFOD_URLS value: space separated (elfutils), commas tolerated. */
  static parseUrls(value: string | undefined): string[] {
    return (value ?? '')
      .split(/[\s,]+/)
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter((u) => /^https?:\/\/[^\s]+$/i.test(u));
  }

  async fetch(id: string, slot: Slot, tempPath: () => string): Promise<UpstreamHit | undefined> {
    for (const base of this.options.urls) {
      const url = `${base}/buildid/${id}/${slot}`;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), this.options.timeoutMs);
      try {
        const res = await fetch(url, { signal: ctl.signal, redirect: 'follow' });
        if (res.status !== 200 || !res.body) {
          await res.body?.cancel();
          if (res.status !== 404) this.warn(`upstream ${base} answered ${res.status} for ${slot} of ${id}`);
          continue;
        }
        const declared = Number(res.headers.get('content-length') ?? NaN);
        if (declared > this.options.maxBytes) {
          await res.body.cancel();
          this.warn(`upstream ${base}: ${slot} of ${id} is ${declared} bytes, over MAX_UPLOAD_BYTES`);
          continue;
        }
        const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
        const written = await writeToTempFile(body, tempPath(), this.options.maxBytes, `${slot} of ${id} from ${base}`);
        const file = res.headers.get('x-debuginfod-file')?.split('/').pop();
        return { ...written, url: base, fileName: file || undefined };
      } catch (err) {
        this.warn(`upstream ${base} failed for ${slot} of ${id}: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
    return undefined;
  }
}
