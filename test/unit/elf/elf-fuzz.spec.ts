import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BufferSource } from '../../../src/adapters/range-source.adapter';
import { readElf } from '../../../src/elf/elf-file';
import { ElfError } from '../../../src/model/errors';
import { FIXTURES } from '../../support/fixtures';
import { prng } from '../../support/mutator';

/**
 * Mutated real binaries (ELF32/64, LE/BE): whatever the damage, readElf either returns
 * or rejects with an ElfError carrying a non-negative offset; nothing else escapes and
 * nothing hangs. Seeded, so a failure names a reproducible case.
 */
const SEED = 0x5eed1234;
const CASES_PER_FILE = 700;
const FILES = ['cross/tiny-x86_64.so', 'cross/tiny-i686.so', 'cross/tiny-powerpc.so', 'cross/tiny-s390x.so', 'cross/tiny-aarch64-zlib.so', 'libsep.so'].map(
  (f) => join(FIXTURES, 'elf-cases', 'build', f),
);


/** Offsets worth hitting: the ELF header, the program and section header tables. */
function hotRanges(b: Buffer): Array<[number, number]> {
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const rd = (o: number, n: 2 | 4 | 8) =>
    Number(n === 8 ? (le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : n === 4 ? (le ? b.readUInt32LE(o) : b.readUInt32BE(o)) : le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const phoff = is64 ? rd(32, 8) : rd(28, 4);
  const shoff = is64 ? rd(40, 8) : rd(32, 4);
  const phsize = (is64 ? rd(54, 2) : rd(42, 2)) * (is64 ? rd(56, 2) : rd(44, 2));
  const shsize = (is64 ? rd(58, 2) : rd(46, 2)) * (is64 ? rd(60, 2) : rd(48, 2));
  return [[0, is64 ? 64 : 52], [phoff, phsize], [shoff, shsize]];
}

function mutate(orig: Buffer, next: () => number): Buffer {
  const hot = hotRanges(orig);
  let b: Buffer = Buffer.from(orig);
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) {
    const pick = next();
    const [start, len] = pick < 0.75 ? hot[Math.floor(next() * hot.length)] : [0, b.length];
    const at = Math.min(b.length - 1, start + Math.floor(next() * Math.max(1, len)));
    const how = next();
    if (how < 0.35) b[at] = Math.floor(next() * 256);
    else if (how < 0.5) b[at] = next() < 0.5 ? 0 : 0xff;
    else if (how < 0.7 && at + 4 <= b.length) b.writeUInt32LE(Math.floor(next() * 2 ** 32), at);
    else if (how < 0.8 && at + 8 <= b.length) b.fill(0xff, at, at + 8);
    else if (how < 0.9) b = b.subarray(0, Math.floor(next() * b.length));
    else b[at] ^= 1 << Math.floor(next() * 8);
  }
  return b;
}

describe('readElf on mutated real binaries', () => {
  it.each(FILES.map((f) => [f.split('/').pop()!, f]))('%s: only ElfError escapes, nothing hangs', async (_name, path) => {
    const orig = readFileSync(path);
    const next = prng(SEED ^ orig.length);
    const outcomes = { ok: 0, elfError: 0 };
    let slowest = 0;
    for (let i = 0; i < CASES_PER_FILE; i++) {
      const input = mutate(orig, next);
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), 2000)));
      const result = await Promise.race([readElf(new BufferSource(input)).then(() => 'ok' as const, (e: unknown) => e), hang]);
      clearTimeout(timer);
      slowest = Math.max(slowest, performance.now() - t0);
      if (result === 'hang') throw new Error(`case ${i} hung (seed ${SEED})`);
      if (result === 'ok') outcomes.ok++;
      else if (result instanceof ElfError && Number.isInteger(result.context.offset) && (result.context.offset ?? -1) >= 0) outcomes.elfError++;
      else throw new Error(`case ${i} (seed ${SEED}) threw ${String(result)}`);
    }
    // Both kinds happen: the mutations are neither all harmless nor all fatal.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.elfError).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(1000);
  });
});
