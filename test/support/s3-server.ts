import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO, until } from './processes';

/**
 * A real S3 HTTP endpoint for tests: s3rver (npm, a devDependency, so `npm ci` in
 * scripts/setup.sh --test installs it) as its own process on a free loopback port,
 * keeping objects in a temp directory. It speaks the S3 REST protocol the SDK uses:
 * SigV4-signed requests, path-style buckets, multipart uploads, ListObjectsV2 with
 * continuation tokens, ranged GET, DeleteObjects. Its continuation tokens use DES,
 * which OpenSSL 3 keeps in the legacy provider: hence --openssl-legacy-provider.
 * Tests may stop it (the store unreachable) and start it again on the same port and data.
 */
export class S3Server {
  process?: ChildProcess;
  readonly accessKey = 'S3RVER';
  readonly secretKey = 'S3RVER';

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly bucket: string,
  ) {}

  static async start(bucket = 'symbridge-test'): Promise<S3Server> {
    const s = new S3Server(await freePort(), mkdtempSync(join(tmpdir(), 'symbridge-s3-')), bucket);
    await s.restart();
    return s;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The service's environment for this bucket (STORE_BACKEND=s3), under a key prefix of the test's own. */
  env(prefix: string): Record<string, string> {
    return {
      STORE_BACKEND: 's3',
      S3_ENDPOINT: this.endpoint,
      S3_BUCKET: this.bucket,
      S3_PREFIX: prefix,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: this.accessKey,
      AWS_SECRET_ACCESS_KEY: this.secretKey,
    };
  }

  /** Start (again) on the same port and data; a no-op while it runs. */
  async restart(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) return;
    const bin = join(REPO, 'node_modules', 's3rver', 'bin', 's3rver.js');
    const args = ['--openssl-legacy-provider', bin, '-d', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '--configure-bucket', this.bucket, '-s'];
    this.process = spawn(process.execPath, args, { stdio: 'ignore' });
    await until(`s3rver on ${this.port}`, () => listening(this.port), 15_000, 50);
  }

  /** The endpoint goes away (connections refused) until restart(). */
  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
