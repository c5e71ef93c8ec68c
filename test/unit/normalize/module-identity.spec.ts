import { join } from 'node:path';
import { loadSegments } from '../../../src/elf/elf-types';
import { layoutFit } from '../../../src/normalize/layout-fit';
import { ModuleIdentifier } from '../../../src/normalize/module-identity';
import { normalizeFrames } from '../../../src/normalize/normalizer';
import { SymbolStore } from '../../../src/symbol-store/symbol-store.service';
import { parseProcMaps } from '../../../src/parse/readers/proc-maps.parser';
import { toLines } from '../../../src/parse/text-lines';
import { caseText, caseTruth, ELF_CASES, elfOf } from './native-fixtures.support';
import { storeWith } from './store.support';

/**
 * One store, three builds of libfoo.so (test/fixtures/elf-cases): foo1 was loaded by
 * the captured process; foo2 has the same layout (another constant, another build-id);
 * foo3 has 8 KiB more rodata, so its segments sit elsewhere.
 */
const FOO = [1, 2, 3].map((n) => join(ELF_CASES, 'build', `foo${n}`, 'libfoo.so'));
const maps = parseProcMaps(toLines(caseText('captured/pie.maps.txt')));
const fooMaps = maps.filter((m) => m.path.endsWith('/foo1/libfoo.so'));
const fooPath = fooMaps[0].path;
const truth = caseTruth('pie').modules.find((m) => m.module === 'libfoo.so')!;

describe('layout fit tells builds of one library apart by offsets, sizes and permissions', () => {
  it('foo1 and foo2 fit the mappings foo1 made; foo3 does not', async () => {
    const fits = await Promise.all(FOO.map(async (f) => layoutFit(fooMaps, loadSegments(await elfOf(f))).fits));
    expect(fits).toEqual([true, true, false]);
    expect(fooMaps).toHaveLength(5);
  });

  it('the mappings of another library do not fit; the same shape at another p_vaddr does, at another bias', async () => {
    const sep = maps.filter((m) => m.path.endsWith('/libsep.so'));
    const golib = loadSegments(await elfOf(join(ELF_CASES, 'build/libgocase.so')));
    expect(layoutFit(sep, golib).fits).toBe(false);
    const base = loadSegments(await elfOf(join(ELF_CASES, 'build/libbase.so')));
    const sepOwn = layoutFit(sep, loadSegments(await elfOf(join(ELF_CASES, 'build/libsep.so'))));
    const sepAsBase = layoutFit(sep, base);
    expect(sepOwn.fits && sepAsBase.fits && sepOwn.loadBias - sepAsBase.loadBias).toBe(0x200000n);
  });
});

describe('ModuleIdentifier against a real store', () => {
  let ids: string[];
  let identifier: ModuleIdentifier;
  let store: SymbolStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const s = await storeWith(FOO);
    ids = s.ids;
    dispose = s.dispose;
    store = s.store;
    identifier = new ModuleIdentifier(s.store);
  });
  afterAll(() => dispose());

  it('three distinct build-ids under one name', () => {
    expect(new Set(ids).size).toBe(3);
  });

  it('by name only: foo3 is ruled out by layout, foo1/foo2 are ambiguous -> nothing resolved, candidates listed', async () => {
    const id = await identifier.identify(fooPath, fooMaps, []);
    expect(id.status).toBe('ambiguous');
    if (id.status === 'found') return;
    expect([...id.candidates!].sort()).toEqual([ids[0], ids[1]].sort());
    expect(id.reason).toContain(ids[0]);
    expect(id.reason).toContain('build_id');
  });

  it('a build-id in the request (modules[]) picks the build', async () => {
    const id = await identifier.identify(fooPath, fooMaps, [{ path: fooPath, build_id: ids[0].toUpperCase() }]);
    expect(id).toMatchObject({ status: 'found', buildId: ids[0], loadBias: BigInt(truth.load_bias) });
  });

  it('a build-id in the input frame wins over the request', async () => {
    const id = await identifier.identify(fooPath, fooMaps, [{ path: fooPath, build_id: ids[0] }], ids[1]);
    expect(id).toMatchObject({ status: 'found', buildId: ids[1] });
    expect(id.status === 'found' && id.how).toMatch(/in the input/);
  });

  it('a pinned build whose layout does not fit is a mismatch, not a wrong answer', async () => {
    const id = await identifier.identify(fooPath, fooMaps, [{ path: fooPath, build_id: ids[2] }]);
    expect(id).toMatchObject({ status: 'mismatch', buildId: ids[2] });
  });

  it('an unknown build-id is missing', async () => {
    const id = await identifier.identify(fooPath, fooMaps, [], 'deadbeef'.repeat(5));
    expect(id.status).toBe('missing');
  });

  it('through normalizeFrames: the ambiguous module resolves nothing and says why in a diagnostic', async () => {
    const frame = { kind: 'native' as const, pc: BigInt(truth.func_pc), addressKind: 'exact' as const, inputLine: 1 };
    const r = await normalizeFrames([frame], maps, [], identifier);
    expect(r.pcs[0]).toMatchObject({ reasonCode: 'module-ambiguous', module: fooPath });
    expect(r.pcs[0].lookupAddress).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain('module-ambiguous');
    const pinned = await normalizeFrames([frame], maps, [{ path: fooPath, build_id: ids[1] }], new ModuleIdentifier(store));
    expect(pinned.pcs[0].elfVaddr?.toString(16)).toBe(truth.func_vaddr.slice(2));
  });
});

describe('by name with a single fitting build', () => {
  it('foo1 + foo3 stored: the name narrows to foo1 by layout', async () => {
    const s = await storeWith([FOO[0], FOO[2]]);
    try {
      const id = await new ModuleIdentifier(s.store).identify(fooPath, fooMaps, []);
      expect(id).toMatchObject({ status: 'found', buildId: s.ids[0] });
    } finally {
      await s.dispose();
    }
  });

  it('only foo3 stored: a mismatch naming the stored candidate', async () => {
    const s = await storeWith([FOO[2]]);
    try {
      const id = await new ModuleIdentifier(s.store).identify(fooPath, fooMaps, []);
      expect(id).toMatchObject({ status: 'mismatch', candidates: [s.ids[0]] });
    } finally {
      await s.dispose();
    }
  });
});
