import { join } from 'node:path';
import { RawFrame } from '../../../src/model/crash-report';
import { Mapping } from '../../../src/model/mapping';
import { mappingReason } from '../../../src/normalize/mapping-reason';
import { ModuleIdentifier } from '../../../src/normalize/module-identity';
import { normalizeFrames } from '../../../src/normalize/normalizer';
import { parseMapsLine, parseProcMaps } from '../../../src/parse/readers/proc-maps.parser';
import { toLines } from '../../../src/parse/text-lines';
import { caseText, caseTruth, ELF_CASES } from './native-fixtures.support';
import { storeWith } from './store.support';

/**
 * PCs that cannot be symbolized from a stored file each get a reason, and the rest of
 * the stack still resolves. The maps are main-pie's real ones (test/fixtures/elf-cases):
 * they hold a library loaded then deleted, [heap], [stack], [vdso] and anonymous memory.
 */
const maps = parseProcMaps(toLines(caseText('captured/pie.maps.txt')));
const sep = caseTruth('pie').modules.find((m) => m.module === 'libsep.so')!;
const at = (pred: (m: Mapping) => boolean) => {
  const m = maps.find(pred);
  if (!m) throw new Error('fixture maps lack the mapping');
  return m.start + 0x10n;
};
const frame = (pc: bigint, inputLine: number): RawFrame => ({ kind: 'native', pc, addressKind: 'return', inputLine });

describe('frame reasons on real maps', () => {
  it('each unsymbolizable PC gets its reason, the libsep.so frames between them still resolve', async () => {
    const s = await storeWith([join(ELF_CASES, 'build/libsep.so')]);
    try {
      const frames = [
        frame(BigInt(sep.ret_pc), 1),
        frame(at((m) => m.deleted && m.perms === 'r-xp'), 2),
        frame(at((m) => m.path === '[vdso]'), 3),
        frame(at((m) => m.path === '[heap]' || m.path === '[stack]'), 4),
        frame(at((m) => m.path === '' && m.perms[2] !== 'x'), 5),
        frame(0x10n, 6), // below every mapping
        { kind: 'native', addressKind: 'exact', inputLine: 7 } as RawFrame, // no pc at all
        frame(BigInt(sep.ret_pc), 8),
      ];
      const r = await normalizeFrames(frames, maps, [], new ModuleIdentifier(s.store));
      expect(r.pcs.map((p) => p.reasonCode)).toEqual([undefined, 'deleted', 'vdso', 'pseudo', 'anonymous', 'no-mapping', 'no-pc', undefined]);
      for (const i of [0, 7]) {
        expect(`0x${r.pcs[i].elfVaddr!.toString(16)}`).toBe(sep.ret_vaddr);
        expect(r.pcs[i]).toMatchObject({ subtractedOne: true, lookupAddress: BigInt(sep.ret_vaddr) - 1n });
      }
      expect(r.pcs[1].reason).toMatch(/deleted.*build-id/);
      // The deleted file is not even looked up in the store.
      expect(r.modules.map((m) => m.path)).toEqual([maps.find((m) => m.path.endsWith('/libsep.so'))!.path]);
    } finally {
      await s.dispose();
    }
  });

  it('the deleted library is reported by the maps parser as deleted, with its path', () => {
    const gone = maps.filter((m) => m.deleted);
    expect(gone.length).toBe(5);
    expect(new Set(gone.map((m) => m.path))).toEqual(new Set(['/tmp/elf-cases-libgone.so']));
  });

  it('[anon:name] (Android, or Linux with CONFIG_ANON_VMA_NAME) and memfd mappings', () => {
    // This machine's kernel has no anonymous VMA names, so these two lines follow the kernel's format.
    const anon = parseMapsLine({ text: '7a1c000000-7a1c100000 r-xp 00000000 00:00 0    [anon:dalvik-jit-code-cache]', no: 1 })!;
    const memfd = parseMapsLine({ text: '7f00000000-7f00001000 r-xp 00000000 00:01 77   /memfd:jit (deleted)', no: 2 })!;
    expect(mappingReason(anon, anon.start)?.code).toBe('anon-named');
    expect(mappingReason(memfd, memfd.start)?.code).toBe('memfd');
    expect(mappingReason(maps.find((m) => m.path.endsWith('/libsep.so')), 0n)).toBeUndefined();
  });
});
