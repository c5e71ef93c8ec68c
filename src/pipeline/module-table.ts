import { RawFrame } from '../model/crash-report';
import { Mapping } from '../model/mapping';
import { Diagnostic, ModuleReport } from '../model/unified-stack';
import { basename } from '../normalize/find-mapping';
import { ModuleHint, ModuleIdentifier } from '../normalize/module-identity';

/**
 * Two things the pipeline says about modules beyond the frames it resolves:
 *  - a text that holds mappings but no PC (a maps snapshot, hs_err `Dynamic
 *    libraries:`, a tombstone's memory map alone) still gets its module table: each
 *    mapped file with its ranges, and what the store knows of it (the build that fits);
 *  - frames in Mach-O (.dylib, .framework) or PE (.dll, .exe) modules are kept as the
 *    text printed them, with one diagnostic per module saying why they are not resolved:
 *    the store and the symbolizer path here are ELF only.
 */

/** Mach-O or PE by its name (hs_err and sanitizers name modules by file name or path). */
export function nonElfFormat(module: string | undefined): 'Mach-O' | 'PE' | undefined {
  if (!module) return undefined;
  if (/\.(?:dll|exe|sys|ocx)$/i.test(module) || /^[A-Za-z]:\\/.test(module)) return 'PE';
  if (/\.dylib$/i.test(module) || /\.framework\//.test(module) || /^\/System\/Library\//.test(module)) return 'Mach-O';
  return undefined;
}

/** One diagnostic per non-ELF module the frames name; returns the frames left to resolve. */
export function setAsideNonElf<T extends RawFrame>(frames: T[], diagnostics: Diagnostic[]): T[] {
  const seen = new Map<string, { format: string; frames: T[] }>();
  const keep: T[] = [];
  for (const f of frames) {
    const format = nonElfFormat(f.module);
    if (!format) {
      keep.push(f);
      continue;
    }
    const entry = seen.get(f.module!) ?? { format, frames: [] };
    entry.frames.push(f);
    seen.set(f.module!, entry);
  }
  for (const [module, { format, frames: list }] of seen) {
    diagnostics.push({
      level: 'info',
      code: 'module-format-unsupported',
      message: `${list.length} frame(s) in ${basename(module)}: a ${format} module (${format === 'PE' ? 'Windows' : 'macOS'}), which symbridge does not resolve (ELF only); the frames keep what the text printed`,
      input_line: list[0].inputLine,
    });
  }
  return keep;
}

/** The module table of a text without PCs: every file-backed mapping's file, as the store knows it. */
export async function moduleTable(mappings: Mapping[], hints: ModuleHint[], identifier: ModuleIdentifier): Promise<ModuleReport[]> {
  const byPath = new Map<string, Mapping[]>();
  for (const m of mappings) {
    if (m.path === '' || m.path.startsWith('[') || m.path.startsWith('anon:') || m.deleted) continue;
    byPath.set(m.path, [...(byPath.get(m.path) ?? []), m]);
  }
  const out: ModuleReport[] = [];
  for (const [path, own] of byPath) {
    const ranges = own.map((m) => `0x${m.start.toString(16)}-0x${m.end.toString(16)}`);
    if (nonElfFormat(path)) {
      out.push({ path, status: 'missing', ranges, identified_by: undefined });
      continue;
    }
    const id = await identifier.identify(path, own, hints);
    out.push({
      path,
      build_id: id.buildId,
      status: id.status === 'ambiguous' ? 'missing' : id.status,
      load_bias: id.status === 'found' && id.loadBias !== undefined ? `0x${id.loadBias.toString(16)}` : undefined,
      debug_file: id.status === 'found' ? basename(path) : undefined,
      identified_by: id.status === 'found' ? id.how : undefined,
      ranges,
    });
  }
  return out;
}
