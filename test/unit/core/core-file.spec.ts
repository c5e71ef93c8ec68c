import { FileSource } from '../../../src/adapters/range-source.adapter';
import { CoreError, readCore } from '../../../src/core/core-file';
import { AT_ENTRY, AT_PHDR, AT_SYSINFO_EHDR } from '../../../src/core/core-notes';
import { BufferSource } from '../../../src/adapters/range-source.adapter';
import { captured, corePath, CORES } from '../../support/core-fixtures';

/**
 * The core reader against elfutils' eu-readelf -n on the same cores (kernel- and
 * gdb-written): every thread's pid and registers, the process info, the auxv and
 * every NT_FILE range, and each mapped file's build-id read from its first page.
 */
interface Truth {
  threads: { pid: number; cursig: number; regs: Record<string, bigint> }[];
  fname?: string;
  pid?: number;
  auxv: Map<string, bigint>;
  files: { start: bigint; end: bigint; offset: bigint; path: string }[];
}

function euReadelf(text: string): Truth {
  const t: Truth = { threads: [], auxv: new Map(), files: [] };
  let section = '';
  for (const line of text.split('\n')) {
    const note = /^\s+(CORE|LINUX)\s+\d+\s+(\S+)/.exec(line);
    if (note) {
      section = note[2];
      if (section === 'PRSTATUS') t.threads.push({ pid: 0, cursig: 0, regs: {} });
      continue;
    }
    const cur = t.threads[t.threads.length - 1];
    if (section === 'PRSTATUS') {
      const sig = /cursig: (\d+)/.exec(line);
      if (sig) cur.cursig = Number(sig[1]);
      const pid = /^\s+pid: (\d+),/.exec(line);
      if (pid) cur.pid = Number(pid[1]);
      for (const m of line.matchAll(/\b(r\d+|r[a-z]x|r[sb]p|r[sd]i|rip|rflags):\s+(0x[0-9a-f]+|-?\d+)/g)) {
        cur.regs[m[1] === 'rflags' ? 'eflags' : m[1]] = BigInt.asUintN(64, BigInt(m[2]));
      }
    } else if (section === 'PRPSINFO') {
      const f = /^\s+fname: (.*)$/.exec(line);
      if (f) t.fname = f[1];
      const p = /uid: \d+, gid: \d+, pid: (\d+)/.exec(line);
      if (p) t.pid = Number(p[1]);
    } else if (section === 'AUXV') {
      const a = /^\s+(PHDR|ENTRY|SYSINFO_EHDR|PAGESZ): (0x[0-9a-f]+|\d+)/.exec(line);
      if (a) t.auxv.set(a[1], BigInt(a[2]));
    } else if (section === 'FILE') {
      const f = /^\s+([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+) \d+\s+(.*)$/.exec(line);
      if (f) t.files.push({ start: BigInt(`0x${f[1]}`), end: BigInt(`0x${f[2]}`), offset: BigInt(`0x${f[3]}`), path: f[4] });
    }
  }
  return t;
}

describe.each(CORES.map((c) => [c]))('%s', (name) => {
  it('reads what eu-readelf reads: threads, registers, psinfo, auxv, NT_FILE', async () => {
    const truth = euReadelf(captured(`${name}.notes.txt`));
    const src = await FileSource.open(corePath(name));
    try {
      const core = await readCore(src, name);
      expect(core.problems).toEqual([]);
      expect(core.threads.map((x) => x.tid)).toEqual(truth.threads.map((x) => x.pid));
      core.threads.forEach((thread, i) => {
        expect(thread.signal).toBe(truth.threads[i].cursig);
        for (const [reg, v] of Object.entries(truth.threads[i].regs)) expect([reg, thread.registers[reg]]).toEqual([reg, v]);
      });
      expect(Object.keys(truth.threads[0].regs).length).toBeGreaterThanOrEqual(18);
      expect(core.psinfo?.fname).toBe(truth.fname);
      expect(core.psinfo?.pid).toBe(truth.pid);
      expect(core.auxv.get(AT_PHDR)).toBe(truth.auxv.get('PHDR'));
      expect(core.auxv.get(AT_ENTRY)).toBe(truth.auxv.get('ENTRY'));
      expect(core.vdso).toBe(truth.auxv.get('SYSINFO_EHDR'));
      expect(core.auxv.get(AT_SYSINFO_EHDR)).toBeDefined();
      const files = core.files.flatMap((f) => f.mappings.map((m) => ({ start: m.start, end: m.end, offset: m.offset, path: f.path })));
      const byStart = (a: { start: bigint }, b: { start: bigint }) => (a.start < b.start ? -1 : 1);
      expect(files.sort(byStart)).toEqual([...truth.files].sort(byStart));
      // Build-ids from the dumped first pages: every ELF the process mapped says who it is.
      for (const f of core.files) expect(f.gnuBuildId ?? f.goBuildId).toBeDefined();
    } finally {
      await src.close();
    }
  });
});

describe('cores that are not', () => {
  it.each([
    ['empty', Buffer.alloc(0), /not an ELF core file/],
    ['text', Buffer.from('hello world, this is not ELF at all'.repeat(4)), /bad magic/],
  ])('%s: CoreError', async (_n, bytes, msg) => {
    await expect(readCore(new BufferSource(bytes))).rejects.toThrow(CoreError);
    await expect(readCore(new BufferSource(bytes))).rejects.toThrow(msg);
  });
});
