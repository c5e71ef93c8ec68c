import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource } from '../../../src/adapters/range-source.adapter';
import { readElf } from '../../../src/elf/elf-file';
import { ElfInfo, loadSegments } from '../../../src/elf/elf-types';
import { FIXTURES } from '../../support/fixtures';

/**
 * Our reader against binutils' readelf (which knows every architecture) on real files
 * built by test/fixtures/elf-cases/build.sh: ELF32/ELF64, little/big endian, x86-64,
 * i686, aarch64, PowerPC (BE32), s390x (BE64), Go binaries, debug-file variants.
 */
const CASES = join(FIXTURES, 'elf-cases', 'build');
const CROSS = join(CASES, 'cross');
const FILES = [
  ...readdirSync(CROSS).map((f) => join(CROSS, f)),
  ...['main-exe', 'main-pie', 'libsep.so', 'libbase.so', 'gocase', 'libgocase.so'].map((f) => join(CASES, f)),
  join(FIXTURES, 'jni-crash', 'build', 'libjnicrash.so'),
];

const readelf = (args: string[], path: string) => execFileSync('readelf', [...args, path], { encoding: 'utf8' });

async function read(path: string): Promise<ElfInfo> {
  const src = await FileSource.open(path);
  try {
    return await readElf(src, path);
  } finally {
    await src.close();
  }
}

const MACHINE_WORDS: Record<string, RegExp> = {
  x86_64: /X86-64/, x86: /80386/, aarch64: /AArch64/, ppc: /^PowerPC$/, s390: /S\/390/,
};

describe.each(FILES.map((f) => [f.slice(FIXTURES.length + 1), f]))('%s agrees with readelf', (_name, path) => {
  it('header: class, byte order, type, machine, entry', async () => {
    const info = await read(path);
    const h = readelf(['-hW'], path);
    const field = (k: string) => new RegExp(`^\\s*${k}:\\s*(.*)$`, 'm').exec(h)![1].trim();
    expect(`ELF${info.header.bits}`).toBe(field('Class'));
    expect(field('Data')).toContain(`${info.header.endian} endian`);
    expect(field('Type')).toMatch(new RegExp(`^${info.header.typeName} `));
    expect(field('Machine')).toMatch(MACHINE_WORDS[info.header.machineName]);
    expect(info.header.entry).toBe(BigInt(field('Entry point address')));
  });

  it('PT_LOAD segments (offset, vaddr, sizes, flags)', async () => {
    const info = await read(path);
    const theirs = readelf(['-lW'], path)
      .split('\n')
      .filter((l) => /^\s+LOAD\s/.test(l))
      .map((l) => {
        const [, off, vaddr, , filesz, memsz, ...rest] = l.trim().split(/\s+/);
        const flags = rest.slice(0, -1).join('');
        return { offset: BigInt(off), vaddr: BigInt(vaddr), filesz: BigInt(filesz), memsz: BigInt(memsz), flags };
      });
    const flagText = (f: number) => `${f & 4 ? 'R' : ''}${f & 2 ? 'W' : ''}${f & 1 ? 'E' : ''}`;
    expect(loadSegments(info).map((s) => ({ offset: s.offset, vaddr: s.vaddr, filesz: s.filesz, memsz: s.memsz, flags: flagText(s.flags) }))).toEqual(theirs);
  });

  it('section names, offsets and sizes; build-ids', async () => {
    const info = await read(path);
    const theirs = readelf(['-SW'], path)
      .split('\n')
      .map((l) => /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && m[1] !== '0')
      .map((m) => ({ name: m[2], offset: parseInt(m[4], 16), size: parseInt(m[5], 16) }));
    expect(info.sections.slice(1).map(({ name, offset, size }) => ({ name, offset, size }))).toEqual(theirs);
    const notes = readelf(['-nW'], path);
    expect(info.gnuBuildId).toBe(/Build ID: ([0-9a-f]+)/.exec(notes)?.[1]);
  });
});

describe('what the files hold', () => {
  const at = (f: string) => read(join(CROSS, f));

  it('SHF_COMPRESSED and .zdebug DWARF are both seen as (compressed) debug info', async () => {
    expect((await at('tiny-aarch64-zlib.so')).contents).toMatchObject({ debugInfo: true, compressedDebugInfo: true });
    expect((await at('tiny-x86_64-zdebug.so')).contents).toMatchObject({ debugInfo: true, compressedDebugInfo: true });
    expect((await at('tiny-aarch64.so')).contents).toMatchObject({ debugInfo: true, compressedDebugInfo: false, symtab: true, dynsym: true });
  });

  it('a stripped file names its debug file in .gnu_debuglink, with the CRC32 of that file', async () => {
    const stripped = await at('tiny-x86_64-stripped.so');
    expect(stripped.contents.debugInfo).toBe(false);
    const crc = crc32(readFileSync(join(CROSS, 'tiny-x86_64.debug')));
    expect(stripped.debuglink).toEqual({ name: 'tiny-x86_64.debug', crc });
    const debug = await at('tiny-x86_64.debug');
    expect(debug.contents).toMatchObject({ debugInfo: true, text: false });
    expect(debug.gnuBuildId).toBe(stripped.gnuBuildId);
  });

  it('without section headers the build-id still comes from PT_NOTE', async () => {
    const bare = await at('tiny-x86_64-noshdr.so');
    expect(bare.sections).toEqual([]);
    expect(bare.gnuBuildId).toBe((await at('tiny-x86_64.so')).gnuBuildId);
  });

  it('Go: .gopclntab, Go build id note; the pure-Go binary has no GNU build-id', async () => {
    const go = await read(join(CASES, 'gocase'));
    expect(go.contents.gopclntab).toBe(true);
    expect(go.gnuBuildId).toBeUndefined();
    expect(go.goBuildId).toMatch(/^[\w-]+\/[\w-]+\/[\w-]+\/[\w-]+$/);
    expect(readFileSync(join(CASES, 'gocase')).includes(Buffer.from(go.goBuildId!))).toBe(true);
    const lib = await read(join(CASES, 'libgocase.so'));
    expect(lib.goBuildId).toBeDefined();
    expect(lib.gnuBuildId).toMatch(/^[0-9a-f]{40}$/);
  });
});

/** The CRC-32 (IEEE, reflected, as zlib and gdb compute it) .gnu_debuglink stores. */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
