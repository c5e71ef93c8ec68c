import { parseMapsLine, parseProcMaps } from '../../../../src/parse/readers/proc-maps.parser';
import { toLines } from '../../../../src/parse/text-lines';
import { mappingReason } from '../../../../src/normalize/mapping-reason';
import { captured } from '../../../support/fixtures';

describe('/proc/PID/maps', () => {
  it('reads the captured maps of the fixture, sorted, every line', () => {
    const text = captured('pie', 'maps');
    const maps = parseProcMaps(toLines(text));
    expect(maps).toHaveLength(text.split('\n').filter((l) => l.trim()).length);
    const lib = maps.filter((m) => m.path.endsWith('/libcrashy.so'));
    expect(lib.map((m) => m.perms)).toEqual(['r--p', 'r-xp', 'r--p', 'r--p', 'rw-p']);
    expect(lib[1].offset).toBe(0x1000n);
    for (let i = 1; i < maps.length; i++) expect(maps[i].start > maps[i - 1].start).toBe(true);
  });

  it.each([
    ['7f0000000000-7f0000001000 r-xp 00000000 00:00 0 ', '', 'jit'],
    ['7f0000000000-7f0000001000 rw-p 00000000 00:00 0                          [heap]', '[heap]', 'pseudo'],
    ['7ffd1000-7ffd3000 r-xp 00000000 00:00 0                  [vdso]', '[vdso]', 'vdso'],
    ['7f0000000000-7f0000001000 r-xp 00000000 00:00 0 [anon:dalvik-jit-code-cache]', '[anon:dalvik-jit-code-cache]', 'anon-named'],
    ['7f0000000000-7f0000001000 r-xp 00000000 00:05 1234 /memfd:jit (deleted)', '/memfd:jit', 'memfd'],
    ['7f0000000000-7f0000001000 r-xp 00001000 fd:01 99 /opt/my app/lib foo.so', '/opt/my app/lib foo.so', undefined],
    ['  7f0000000000-7f0000001000 r-xp 00001000 fd:01 99 /lib/x.so (deleted)', '/lib/x.so', 'deleted'],
  ])('%s', (line, path, why) => {
    const m = parseMapsLine({ no: 7, text: line })!;
    expect(m.path).toBe(path);
    expect(m.inputLine).toBe(7);
    // What normalize will say of a PC in it (mapping-reason.ts), by reason code.
    expect(mappingReason(m, m.start)?.code).toBe(why);
  });

  it('refuses a line that is not a mapping, naming it', () => {
    expect(() => parseProcMaps(toLines('00400000-00401000 r-xp 00000000 08:01 1 /bin/x\nnot a mapping\n'))).toThrow(/maps line 2 is not/);
  });
});
