import { ElfInfo, loadSegments } from '../elf/elf-types';
import { Mapping } from '../model/mapping';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { basename } from './find-mapping';
import { layoutFits } from './load-bias';

/** A build-id the request pins to a mapped path (crash reporters read it from the live process). */
export interface ModuleHint {
  path: string;
  build_id: string;
}

export type ModuleIdentity =
  | { status: 'found'; buildId: string; layout: ElfInfo; symbolFile: string; how: string }
  | { status: 'missing' | 'mismatch' | 'ambiguous'; buildId?: string; reason: string; candidates?: string[] };

/**
 * Which stored file is the module mapped at `path`? In order: a build-id the request
 * gives for the path, then the file name among stored files narrowed by whether the
 * file's PT_LOAD layout fits the mappings. Never a guess: an ambiguous name resolves
 * nothing and lists the candidates.
 */
export class ModuleIdentifier {
  private readonly layouts = new Map<string, Promise<ElfInfo | undefined>>();

  constructor(private readonly store: SymbolStore) {}

  async identify(path: string, mappings: Mapping[], hints: ModuleHint[]): Promise<ModuleIdentity> {
    const name = basename(path);
    const hint = hints.find((h) => h.path === path) ?? hints.find((h) => basename(h.path) === name && !h.path.includes('/'));
    if (hint) {
      const id = hint.build_id.toLowerCase();
      const layout = await this.layout(id);
      if (!layout) {
        return {
          status: 'missing',
          buildId: id,
          reason: `no debug file for build-id ${id} (${name}); upload it with: curl -F files=@${name} $SYMBRIDGE_URL/v1/symbols`,
        };
      }
      if (!layoutFits(mappings, loadSegments(layout))) {
        return { status: 'mismatch', buildId: id, reason: mismatch(name, id) };
      }
      return this.found(id, layout, `build-id given in the request's modules for ${path}`);
    }
    const ids = await this.store.findByName(name);
    if (ids.length === 0) {
      return {
        status: 'missing',
        reason: `no uploaded file named ${name}; upload it (curl -F files=@${name} $SYMBRIDGE_URL/v1/symbols) or give its build-id in modules[]`,
      };
    }
    const fitting: { id: string; layout: ElfInfo }[] = [];
    for (const id of ids) {
      const layout = await this.layout(id);
      if (layout && layoutFits(mappings, loadSegments(layout))) fitting.push({ id, layout });
    }
    if (fitting.length === 1) return this.found(fitting[0].id, fitting[0].layout, `the only stored ${name} whose layout fits the mappings`);
    if (fitting.length === 0) {
      return { status: 'mismatch', reason: `${ids.length} stored file(s) named ${name}, none with a PT_LOAD layout that fits the mappings`, candidates: ids };
    }
    return {
      status: 'ambiguous',
      reason: `${fitting.length} stored builds of ${name} fit the mappings; resend with modules: [{"path": "${path}", "build_id": "..."}] naming one`,
      candidates: fitting.map((f) => f.id),
    };
  }

  private async found(id: string, layout: ElfInfo, how: string): Promise<ModuleIdentity> {
    const symbolFile = await this.store.symbolFile(id);
    if (!symbolFile) return { status: 'missing', buildId: id, reason: `stored file for build-id ${id} disappeared` };
    return { status: 'found', buildId: id, layout, symbolFile, how };
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

function mismatch(name: string, id: string): string {
  return `stored file for build-id ${id} (${name}) does not fit the process's mappings of it (other segment offsets or permissions): a different build was loaded`;
}
