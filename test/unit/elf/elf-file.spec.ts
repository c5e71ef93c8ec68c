import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BufferSource, FileSource } from '../../../src/adapters/range-source.adapter';
import { readElf } from '../../../src/elf/elf-file';
import { loadSegments, primaryBuildId } from '../../../src/elf/elf-types';
import { ElfError } from '../../../src/model/errors';
import { CGO, LIBCRASHY } from '../../support/fixtures';

/** Our reader against binutils' readelf on the same real files. */
function readelfLoads(path: string) {
  const out = execFileSync('readelf', ['-lW', path], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => /^\s+LOAD\s/.test(l))
    .map((l) => {
      const [, off, vaddr, , filesz, memsz] = l.trim().split(/\s+/);
      return { offset: BigInt(off), vaddr: BigInt(vaddr), filesz: BigInt(filesz), memsz: BigInt(memsz) };
    });
}

function readelfBuildIds(path: string): { gnu?: string; go?: string } {
  const out = execFileSync('readelf', ['-nW', path], { encoding: 'utf8' });
  return { gnu: /Build ID: ([0-9a-f]+)/.exec(out)?.[1] };
}

const FILES = ['libcrashy.so', 'crashy-exe', 'crashy-pie'].map((f) => join(CGO, 'build', f));

describe.each(FILES)('readElf(%s) agrees with readelf', (path) => {
  it('PT_LOAD segments and the GNU build-id', async () => {
    const src = await FileSource.open(path);
    const info = await readElf(src, path);
    await src.close();
    expect(loadSegments(info).map(({ offset, vaddr, filesz, memsz }) => ({ offset, vaddr, filesz, memsz }))).toEqual(readelfLoads(path));
    expect(info.gnuBuildId).toBe(readelfBuildIds(path).gnu);
    expect(primaryBuildId(info)).toBe(info.gnuBuildId);
    expect(info.header).toMatchObject({ bits: 64, endian: 'little', machineName: 'x86_64' });
  });
});

describe('what the fixture files hold', () => {
  it('libcrashy.so: DYN with DWARF and symbols; the Go executables carry Go build ids', async () => {
    const lib = await readElf(new BufferSource(readFileSync(LIBCRASHY)));
    expect(lib.header.typeName).toBe('DYN');
    expect(lib.contents).toMatchObject({ debugInfo: true, symtab: true, dynsym: true, gopclntab: false, text: true });
    const exe = await readElf(new BufferSource(readFileSync(join(CGO, 'build', 'crashy-exe'))));
    expect(exe.header.typeName).toBe('EXEC');
    expect(exe.contents.gopclntab).toBe(true);
    expect(exe.goBuildId).toMatch(/^[\w-]+\/[\w-]+/);
    const pie = await readElf(new BufferSource(readFileSync(join(CGO, 'build', 'crashy-pie'))));
    expect(pie.header.typeName).toBe('DYN');
  });
});

describe('malformed input is an ElfError with the offset, never a crash', () => {
  const good = readFileSync(LIBCRASHY);

  it('not ELF', async () => {
    await expect(readElf(new BufferSource(Buffer.from('#!/bin/sh\necho hi\n')))).rejects.toThrow(/bad magic.*offset 0/);
  });

  it.each([10, 40, 64, 200, 1000, good.length - 100])('truncated at %i bytes', async (n) => {
    const err = await readElf(new BufferSource(good.subarray(0, n))).catch((e: unknown) => e);
    // A cut after the headers may still read (notes are optional); a cut inside them must be an ElfError.
    if (!(err instanceof ElfError)) expect(err).toHaveProperty('header');
    else expect(err.context.offset).toBeGreaterThanOrEqual(0);
  });

  it('section header offset past the end', async () => {
    const bad = Buffer.from(good);
    bad.writeBigUInt64LE(BigInt(good.length + 4096), 40); // e_shoff
    await expect(readElf(new BufferSource(bad))).rejects.toThrow(ElfError);
  });

  it('absurd program header count', async () => {
    const bad = Buffer.from(good);
    bad.writeUInt16LE(0xffff, 56); // e_phnum
    await expect(readElf(new BufferSource(bad))).rejects.toThrow(/outside the file|absurd/);
  });

  it('extended numbering with a bogus section 0 size (e_shnum 0, sh_size 2^64-1)', async () => {
    const bad = Buffer.from(good);
    const shoff = Number(bad.readBigUInt64LE(40));
    bad.writeUInt16LE(0, 60); // e_shnum = 0: the count lives in section header 0
    bad.writeBigUInt64LE(0xffffffffffffffffn, shoff + 32);
    const err = await readElf(new BufferSource(bad)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ElfError);
    expect((err as ElfError).context.offset).toBe(shoff);
  });

  it('a note section whose sizes overflow stops at the bad record instead of reading past it', async () => {
    const { parseNotes } = await import('../../../src/elf/notes');
    const buf = Buffer.alloc(24);
    buf.writeUInt32LE(0xfffffffd, 0); // namesz near 2^32
    buf.writeUInt32LE(4, 4);
    expect(parseNotes(buf, 'little')).toEqual([]);
  });
});
