import { loadSegments } from '../elf/elf-types';
import { RawFrame } from '../model/crash-report';
import { Mapping, unsymbolizableReason } from '../model/mapping';
import { ModuleReport } from '../model/unified-stack';
import { lookupAddress } from './address-kind';
import { basename, findMapping } from './find-mapping';
import { rebase } from './load-bias';
import { ModuleHint, ModuleIdentifier, ModuleIdentity } from './module-identity';

/** A native PC placed in its module: everything resolve needs, or why it cannot. */
export interface NormalizedPc {
  frame: RawFrame;
  mapping?: Mapping;
  module?: string;
  buildId?: string;
  symbolFile?: string;
  fileOffset?: bigint;
  elfVaddr?: bigint;
  lookupAddress?: bigint;
  reason?: string;
}

export interface NormalizeResult {
  pcs: NormalizedPc[];
  modules: ModuleReport[];
}

/** normalize stage: absolute PCs + maps + stored ELF layouts -> module, build-id, ELF vaddr, lookup address. */
export async function normalizeFrames(
  frames: RawFrame[],
  mappings: Mapping[],
  hints: ModuleHint[],
  identifier: ModuleIdentifier,
): Promise<NormalizeResult> {
  const identities = new Map<string, Promise<ModuleIdentity>>();
  const identityOf = (path: string) => {
    let p = identities.get(path);
    if (!p) {
      p = identifier.identify(path, mappings.filter((m) => m.path === path && !m.deleted), hints);
      identities.set(path, p);
    }
    return p;
  };
  const pcs: NormalizedPc[] = [];
  for (const frame of frames) {
    if (frame.pc === undefined) {
      pcs.push({ frame, reason: 'the input gives no PC for this frame' });
      continue;
    }
    if (mappings.length === 0) {
      pcs.push({ frame, reason: 'no /proc/PID/maps given: absolute PCs cannot be placed in a module' });
      continue;
    }
    const mapping = findMapping(mappings, frame.pc);
    if (!mapping) {
      pcs.push({ frame, reason: `PC 0x${frame.pc.toString(16)} is in no mapping of the maps given` });
      continue;
    }
    const why = unsymbolizableReason(mapping);
    if (why) {
      pcs.push({ frame, mapping, module: mapping.path || undefined, reason: `PC is in an ${why}` });
      continue;
    }
    const id = await identityOf(mapping.path);
    if (id.status !== 'found') {
      pcs.push({ frame, mapping, module: mapping.path, buildId: id.buildId, reason: id.reason });
      continue;
    }
    const r = rebase(frame.pc, mapping, loadSegments(id.layout));
    if (!r.ok) {
      pcs.push({ frame, mapping, module: mapping.path, buildId: id.buildId, fileOffset: r.fileOffset, reason: r.reason });
      continue;
    }
    pcs.push({
      frame,
      mapping,
      module: mapping.path,
      buildId: id.buildId,
      symbolFile: id.symbolFile,
      fileOffset: r.fileOffset,
      elfVaddr: r.elfVaddr,
      lookupAddress: lookupAddress(r.elfVaddr, frame.addressKind),
    });
  }
  const modules: ModuleReport[] = [];
  for (const [path, p] of identities) {
    const id = await p;
    const bias = pcs.find((n) => n.module === path && n.elfVaddr !== undefined);
    modules.push({
      path,
      build_id: id.buildId,
      status: id.status === 'ambiguous' ? 'missing' : id.status,
      load_bias: bias ? `0x${(bias.frame.pc! - bias.elfVaddr!).toString(16)}` : undefined,
      debug_file: id.status === 'found' ? basename(path) : undefined,
    });
  }
  return { pcs, modules };
}
