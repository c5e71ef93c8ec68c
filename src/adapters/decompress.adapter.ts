import { Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { killTree, spawnTool } from './process.adapter';

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

/** Told apart by their magic bytes, never by a file name. */
export function compressionOf(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

/**
 * A streaming decompressor: gzip in-process (zlib); xz and zstd through the system
 * `xz -dc` / `zstd -dc` (Debian xz-utils, zstd; Node 20's zlib has neither). Corrupt
 * input fails the stream with the tool's own words.
 */
export function decompressor(kind: Exclude<Compression, 'none'>): Duplex {
  if (kind === 'gzip') return createGunzip();
  const child = spawnTool(kind, ['-dc', '-q']);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-400)));
  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else duplex.destroy(new Error(`not valid ${kind} data (${kind}: ${stderr.trim().split('\n').pop() || `exit ${code}`})`));
  });
  child.on('error', (err) => duplex.destroy(new Error(`${kind} could not be started: ${err.message}`)));
  child.stdin.on('error', () => undefined); // the tool exiting early (corrupt input) is reported on close
  duplex.on('close', () => killTree(child, 'SIGKILL'));
  return duplex;
}
