import { FileSource } from '../adapters/range-source.adapter';
import { ElfInfo, loadSegments } from '../elf/elf-types';
import { GoPclntab, readGoTable } from '../elf/gopclntab';
import { ElfSymbol, readFunctionSymbols } from '../elf/symbol-table';
import { Mapping } from '../model/mapping';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { basename } from './find-mapping';
import { EvidenceItem, pickByEvidence } from './build-evidence';
import { layoutFit } from './layout-fit';

/** A build-id the request pins to a mapped path (crash reporters read it from the live process). */
export interface ModuleHint {
  path: string;
  build_id: string;
}

export type ModuleIdentity =
  | { status: 'found'; buildId: string; layout: ElfInfo; symbolFile: string; how: string; loadBias?: bigint }
  | { status: 'missing' | 'mismatch' | 'ambiguous'; buildId?: string; reason: string; candidates?: string[] };

/**
 * Which stored file is the module mapped at `path`? In order (never a guess):
 *  1. a build-id the input itself gives for the frame (tombstones, hs_err where present);
 *  2. a build-id the request gives for the path (`modules: [{path, build_id}]`);
 *  3. the file name among stored files, narrowed to those whose PT_LOAD layout fits
 *     the mappings (layout-fit.ts). Several fit: ambiguous, nothing resolved, the
 *     candidates listed. None fits: a mismatch.
 * A build-id'd file whose layout does not fit the mappings is a mismatch too.
 */
export class ModuleIdentifier {
  private readonly layouts = new Map<string, Promise<ElfInfo | undefined>>();

  constructor(private readonly store: SymbolStore) {}

  async identify(path: string, mappings: Mapping[], hints: ModuleHint[], inputBuildId?: string, evidence: EvidenceItem[] = []): Promise<ModuleIdentity> {
    const name = basename(path);
    if (inputBuildId) return this.byBuildId(inputBuildId.toLowerCase(), name, mappings, `build-id given in the input for ${name}`);
    const hint = hints.find((h) => h.path === path) ?? hints.find((h) => basename(h.path) === name && !h.path.includes('/'));
    if (hint) return this.byBuildId(hint.build_id.toLowerCase(), name, mappings, `build-id given in the request's modules for ${path}`);

    const ids = await this.store.findByName(name);
    if (ids.length === 0) {
      return {
        status: 'missing',
        reason: `no uploaded file named ${name}; upload it with: npm run cli -- upload path/to/${name} (or curl -F files=@${name} $SYMBRIDGE_URL/v1/symbols), or pin its build-id in modules[]`,
      };
    }
    if (mappings.length === 0) {
      if (ids.length === 1) {
        const layout = await this.layout(ids[0]);
        if (layout) return this.found(ids[0], layout, `the only stored ${name} (no mappings to check its layout against)`);
      }
      // Without maps only what the text says relative to the module (hs_err lib+0x.., sym+0x..) can decide.
      const verdict = await pickByEvidence(name, ids.map((id) => ({ id })), evidence, this);
      if (verdict.picked !== undefined) return this.found(verdict.picked, (await this.layout(verdict.picked))!, verdict.how);
      return ambiguous(name, path, ids, `no mappings to narrow them by layout; ${verdict.why}`);
    }
    const fitting: { id: string; layout: ElfInfo; loadBias: bigint }[] = [];
    for (const id of ids) {
      const layout = await this.layout(id);
      const fit = layout ? layoutFit(mappings, loadSegments(layout)) : undefined;
      if (layout && fit?.fits) fitting.push({ id, layout, loadBias: fit.loadBias });
    }
    if (fitting.length === 1) {
      const f = fitting[0];
      return this.found(f.id, f.layout, `the only stored ${name} whose PT_LOAD layout fits the mappings`, f.loadBias);
    }
    if (fitting.length === 0) {
      return {
        status: 'mismatch',
        reason: `${ids.length} stored file(s) named ${name}, none with a PT_LOAD layout that fits the mappings (a build nobody uploaded was loaded)`,
        candidates: ids,
      };
    }
    const verdict = await pickByEvidence(name, fitting.map((f) => ({ id: f.id, loadBias: f.loadBias })), evidence, this);
    if (verdict.picked !== undefined) {
      const pick = fitting.find((f) => f.id === verdict.picked)!;
      return this.found(pick.id, pick.layout, verdict.how, pick.loadBias);
    }
    return ambiguous(name, path, fitting.map((f) => f.id), `all fit the mappings; ${verdict.why}`);
  }

  private async byBuildId(id: string, name: string, mappings: Mapping[], how: string): Promise<ModuleIdentity> {
    const layout = await this.layout(id);
    if (!layout) {
      return {
        status: 'missing',
        buildId: id,
        reason: `no debug file for build-id ${id} (${name}); upload it with: npm run cli -- upload path/to/${name} (or curl -F files=@${name} $SYMBRIDGE_URL/v1/symbols)`,
      };
    }
    if (mappings.length === 0) return this.found(id, layout, how);
    const fit = layoutFit(mappings, loadSegments(layout));
    if (!fit.fits) {
      return {
        status: 'mismatch',
        buildId: id,
        reason: `stored file for build-id ${id} (${name}) does not fit the process's mappings of it (${fit.why}): a different build was loaded`,
      };
    }
    return this.found(id, layout, how, fit.loadBias);
  }

  private async found(id: string, layout: ElfInfo, how: string, loadBias?: bigint): Promise<ModuleIdentity> {
    const symbolFile = await this.store.symbolFile(id);
    if (!symbolFile) return { status: 'missing', buildId: id, reason: `stored file for build-id ${id} disappeared` };
    return { status: 'found', buildId: id, layout, symbolFile, how, loadBias };
  }

  private readonly goTables = new Map<string, Promise<GoPclntab | undefined>>();

  /** Go's function table of a stored build-id (from its executable: a debug-only file has it as NOBITS), once per job. */
  goTable(id: string): Promise<GoPclntab | undefined> {
    let p = this.goTables.get(id);
    if (!p) {
      p = this.withFile(id, async (src, info) => readGoTable(info, (o, n) => src.read(o, n))).catch(() => undefined);
      this.goTables.set(id, p);
    }
    return p;
  }

  private readonly symbolTables = new Map<string, Promise<ElfSymbol[]>>();

  /** Function symbols (.symtab, else .dynsym) of a stored build-id, sorted, once per job. */
  symbolsOf(id: string): Promise<ElfSymbol[]> {
    let p = this.symbolTables.get(id);
    if (!p) {
      p = this.withFile(id, async (src, info) => {
        if (info.contents.symtab) return readFunctionSymbols(src, info, '.symtab');
        return info.contents.dynsym ? readFunctionSymbols(src, info, '.dynsym') : [];
      })
        .then((s) => s ?? [])
        .catch(() => []);
      this.symbolTables.set(id, p);
    }
    return p;
  }

  layoutOf(id: string): Promise<ElfInfo | undefined> {
    return this.layout(id);
  }

  /** `length` bytes of a stored build-id's loaded image at ELF address `vaddr` (from its PT_LOAD file bytes), or undefined. */
  async bytesAt(id: string, vaddr: bigint, length: number): Promise<Buffer | undefined> {
    const layout = await this.layout(id);
    const seg = layout && loadSegments(layout).find((s) => s.vaddr <= vaddr && vaddr + BigInt(length) <= s.vaddr + s.filesz);
    if (!seg) return undefined;
    const at = Number(vaddr - seg.vaddr + seg.offset);
    return this.withFile(id, (src) => src.read(at, length)).catch(() => undefined);
  }

  private async withFile<T>(id: string, use: (src: FileSource, info: ElfInfo) => Promise<T>): Promise<T | undefined> {
    const [file, info] = await Promise.all([this.store.layoutFile(id), this.layout(id)]);
    if (!file || !info) return undefined;
    const src = await FileSource.open(file);
    try {
      return await use(src, info);
    } finally {
      await src.close();
    }
  }

  /** Program headers of a stored build-id, read once per identifier (one job). */
  private layout(id: string): Promise<ElfInfo | undefined> {
    let p = this.layouts.get(id);
    if (!p) {
      p = this.store.layoutFile(id).then((f) => (f ? this.store.inspect(f) : undefined));
      this.layouts.set(id, p);
    }
    return p;
  }
}

function ambiguous(name: string, path: string, candidates: string[], why: string): ModuleIdentity {
  return {
    status: 'ambiguous',
    reason:
      `${candidates.length} stored builds of ${name} (${why}): ${candidates.join(', ')}; nothing resolved by guess: ` +
      `resend with modules: [{"path": "${path}", "build_id": "<one of them>"}]`,
    candidates,
  };
}
