import { loadSegments } from '../elf/elf-types';
import { RawFrame } from '../model/crash-report';
import { Mapping } from '../model/mapping';
import { Diagnostic, ModuleReport } from '../model/unified-stack';
import { lookupFor } from './address-kind';
import { basename, findMapping } from './find-mapping';
import { rebase } from './load-bias';
import { mappingReason, MappingReasonCode } from './mapping-reason';
import { normalizeModuleRelative, RelativeTo } from './module-relative';
import { ModuleHint, ModuleIdentifier, ModuleIdentity } from './module-identity';

/**
 * Frames some inputs give relative to a module instead of as an absolute PC (hs_err
 * `[lib.so+0x1139]`, tombstone `#01 pc 0001a2b4 /lib/libfoo.so (BuildId: ..)`); the
 * parsers set these. `moduleOffsetBase` says what the offset is relative to
 * (module-relative.ts): hs_err's is the load base, a tombstone's the ELF vaddr.
 */
export interface ModuleRelativeFields {
  module?: string;
  moduleOffset?: bigint;
  buildId?: string;
  moduleOffsetBase?: RelativeTo;
}
export type NormalizeInput = RawFrame & ModuleRelativeFields;

/** A native PC placed in its module: everything resolve needs, or why it cannot. */
export interface NormalizedPc {
  frame: RawFrame;
  /** The absolute pc of a module-relative frame, when the module's base is known (normalize computes it). */
  computedPc?: bigint;
  mapping?: Mapping;
  module?: string;
  buildId?: string;
  symbolFile?: string;
  fileOffset?: bigint;
  elfVaddr?: bigint;
  lookupAddress?: bigint;
  /** 1 was subtracted from elfVaddr (a return address). */
  subtractedOne?: boolean;
  reason?: string;
  reasonCode?: MappingReasonCode | 'no-pc' | 'no-maps' | 'module-missing' | 'module-mismatch' | 'module-ambiguous' | 'not-in-segment';
}

export interface NormalizeResult {
  pcs: NormalizedPc[];
  modules: ModuleReport[];
  diagnostics: Diagnostic[];
}

/**
 * normalize stage: absolute PCs + maps + stored ELF layouts (or module-relative
 * offsets + stored ELF layouts) -> module, build-id, ELF vaddr, lookup address.
 * Pure apart from the identifier's store reads; a frame that cannot be placed gets a
 * reason and the rest of the stack still resolves.
 */
export async function normalizeFrames(
  frames: NormalizeInput[],
  mappings: Mapping[],
  hints: ModuleHint[],
  identifier: ModuleIdentifier,
): Promise<NormalizeResult> {
  const identities = new Map<string, { path: string; identity: Promise<ModuleIdentity> }>();
  const identityOf = (path: string, buildId?: string) => {
    const key = `${path}\0${buildId ?? ''}`;
    let entry = identities.get(key);
    if (!entry) {
      const own = mappings.filter((m) => m.path === path && !m.deleted);
      entry = { path, identity: identifier.identify(path, own, hints, buildId) };
      identities.set(key, entry);
    }
    return entry.identity;
  };
  const pcs: NormalizedPc[] = [];
  for (const frame of frames) {
    pcs.push(frame.moduleOffset !== undefined && frame.module ? await relative(frame, frame.module, frame.moduleOffset) : await absolute(frame));
  }

  async function relative(frame: NormalizeInput, module: string, offset: bigint): Promise<NormalizedPc> {
    // hs_err names the file by its base name; its maps (Dynamic libraries) hold the full path.
    const mapped = mappings.find((m) => m.path === module) ?? mappings.find((m) => !module.includes('/') && basename(m.path) === module);
    const path = mapped?.path ?? module;
    const base = frame.moduleOffsetBase ?? 'load-base';
    // hs_err's offset is from dladdr's base, the start of the file's first mapping (l_map_start).
    const first = mappings.filter((m) => m.path === path).reduce<Mapping | undefined>((a, m) => (!a || m.start < a.start ? m : a), undefined);
    const fromMaps = base === 'load-base' && first?.offset === 0n ? first.start + offset : undefined;
    const id = await identityOf(path, frame.buildId);
    if (id.status !== 'found') {
      return { frame, computedPc: fromMaps, module: path, buildId: id.buildId, reason: id.reason, reasonCode: `module-${id.status}` };
    }
    const r = normalizeModuleRelative(offset, base, loadSegments(id.layout));
    if (!r.ok) {
      return { frame, computedPc: fromMaps, module: path, buildId: id.buildId, elfVaddr: r.elfVaddr, reason: r.reason, reasonCode: 'not-in-segment' };
    }
    const computedPc = id.loadBias !== undefined ? id.loadBias + r.elfVaddr : fromMaps;
    return { ...placed(frame, path, id, r.fileOffset, r.elfVaddr), computedPc };
  }

  async function absolute(frame: NormalizeInput): Promise<NormalizedPc> {
    if (frame.pc === undefined) return { frame, reason: 'the input gives no PC for this frame', reasonCode: 'no-pc' };
    if (mappings.length === 0) {
      return { frame, reason: 'no /proc/PID/maps given: absolute PCs cannot be placed in a module', reasonCode: 'no-maps' };
    }
    const mapping = findMapping(mappings, frame.pc);
    const why = mappingReason(mapping, frame.pc);
    if (why || !mapping) return { frame, mapping, module: mapping?.path || undefined, reason: why?.message, reasonCode: why?.code };
    const id = await identityOf(mapping.path, frame.buildId);
    if (id.status !== 'found') {
      return { frame, mapping, module: mapping.path, buildId: id.buildId, reason: id.reason, reasonCode: `module-${id.status}` };
    }
    const r = rebase(frame.pc, mapping, loadSegments(id.layout));
    if (!r.ok) {
      return { frame, mapping, module: mapping.path, buildId: id.buildId, fileOffset: r.fileOffset, reason: r.reason, reasonCode: 'not-in-segment' };
    }
    return { ...placed(frame, mapping.path, id, r.fileOffset, r.elfVaddr), mapping };
  }

  const modules: ModuleReport[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { path, identity } of identities.values()) {
    const id = await identity;
    const sample = pcs.find((n) => n.module === path && n.elfVaddr !== undefined && n.mapping && n.frame.pc !== undefined);
    const bias = id.status === 'found' && id.loadBias !== undefined ? id.loadBias : sample ? sample.frame.pc! - sample.elfVaddr! : undefined;
    modules.push({
      path,
      build_id: id.buildId,
      status: id.status === 'ambiguous' ? 'missing' : id.status,
      load_bias: bias !== undefined ? `0x${bias.toString(16)}` : undefined,
      debug_file: id.status === 'found' ? basename(path) : undefined,
    });
    if (id.status === 'ambiguous') diagnostics.push({ level: 'warning', code: 'module-ambiguous', message: `${path}: ${id.reason}` });
    if (id.status === 'mismatch') diagnostics.push({ level: 'warning', code: 'module-mismatch', message: `${path}: ${id.reason}` });
  }
  return { pcs, modules, diagnostics };
}

function placed(
  frame: RawFrame,
  module: string,
  id: Extract<ModuleIdentity, { status: 'found' }>,
  fileOffset: bigint,
  elfVaddr: bigint,
): NormalizedPc {
  const { lookupAddress, subtractedOne } = lookupFor(elfVaddr, frame.addressKind);
  return { frame, module, buildId: id.buildId, symbolFile: id.symbolFile, fileOffset, elfVaddr, lookupAddress, subtractedOne };
}
