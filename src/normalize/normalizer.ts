import { loadSegments, PF_X } from '../elf/elf-types';
import { EvidenceItem, evidenceFor } from './build-evidence';
import { goFrameAgrees, goNamed, NamePlacement, placeByName } from './go-frames';
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
  /** How the frame was placed in its module when not by its pc in the maps: by Go's function name + offset in the module's .gopclntab. */
  placedBy?: 'go-name';
  /** A Go frame Go named: what the stored build's .gopclntab says at lookupAddress, against Go's print. */
  goCheck?: 'agrees' | 'differs';
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
  /** What the crash text says about the code (build-evidence.ts), for choosing among stored builds of one name. */
  evidence: EvidenceItem[] = [],
): Promise<NormalizeResult> {
  const identities = new Map<string, { path: string; identity: Promise<ModuleIdentity> }>();
  const identityOf = (path: string, buildId?: string) => {
    const key = `${path}\0${buildId ?? ''}`;
    let entry = identities.get(key);
    if (!entry) {
      const own = mappings.filter((m) => m.path === path && !m.deleted);
      entry = { path, identity: identifier.identify(path, own, hints, buildId, evidenceFor(evidence, path, mappings)) };
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
    // glibc's backtrace_symbols names the program as it was started (`./prog`): by base name too.
    const mapped =
      mappings.find((m) => m.path === module) ??
      mappings.find((m) => !module.startsWith('/') && basename(m.path) === basename(module));
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
      // The file offset needs only the maps; the ELF address needs the file's program headers.
      const fileOffset = frame.pc - mapping.start + mapping.offset;
      return { frame, mapping, module: mapping.path, buildId: id.buildId, fileOffset, reason: id.reason, reasonCode: `module-${id.status}` };
    }
    const r = rebase(frame.pc, mapping, loadSegments(id.layout));
    if (!r.ok) {
      return { frame, mapping, module: mapping.path, buildId: id.buildId, fileOffset: r.fileOffset, reason: r.reason, reasonCode: 'not-in-segment' };
    }
    return { ...placed(frame, mapping.path, id, r.fileOffset, r.elfVaddr), mapping };
  }

  const diagnostics: Diagnostic[] = [];
  await placeGoByName();
  const differs = await checkGoFrames();

  /**
   * Go frames the maps could not place (no maps, no pc, or another run's pcs in no mapping):
   * by function name + `+0x` in the .gopclntab of a Go binary this job already identified
   * (or the request pinned). The binary naming the most of them wins; frames whose pcs
   * disagree on one load bias rule a binary out. With a bias, the native pcs in no mapping
   * that land in that binary's code are placed too (C code linked into the Go binary).
   */
  async function placeGoByName(): Promise<void> {
    const unplaced = pcs.filter((n) => n.frame.kind === 'go' && n.elfVaddr === undefined && UNPLACED.has(n.reasonCode!));
    if (unplaced.length === 0) return;
    for (const h of hints) identityOf(h.path, h.build_id);
    let best: { path: string; id: FoundIdentity; placement: NamePlacement } | undefined;
    let tie = false;
    for (const { path, identity } of identities.values()) {
      const id = await identity;
      if (id.status !== 'found') continue;
      const table = await identifier.goTable(id.buildId);
      const placement = table ? placeByName(unplaced.map((n) => n.frame), table) : undefined;
      if (!placement || placement.conflicting || placement.vaddrs.size === 0) continue;
      if (best && placement.vaddrs.size === best.placement.vaddrs.size) tie = true;
      if (!best || placement.vaddrs.size > best.placement.vaddrs.size) [best, tie] = [{ path, id, placement }, false];
    }
    if (!best || tie) return;
    const { path, id, placement } = best;
    const loads = loadSegments(id.layout);
    const place = (n: NormalizedPc, vaddr: bigint) => {
      const seg = loads.find((x) => x.vaddr <= vaddr && vaddr < x.vaddr + x.filesz);
      if (!seg) return;
      const computedPc = n.frame.pc === undefined && id.loadBias !== undefined ? id.loadBias + vaddr : undefined;
      Object.assign(n, { ...placed(n.frame, path, id, vaddr - seg.vaddr + seg.offset, vaddr), computedPc, placedBy: 'go-name', reason: undefined, reasonCode: undefined });
    };
    for (const n of unplaced) {
      const vaddr = placement.vaddrs.get(n.frame);
      if (vaddr !== undefined) place(n, vaddr);
    }
    if (placement.bias !== undefined) {
      for (const n of pcs.filter((x) => x.frame.kind !== 'go' && x.frame.pc !== undefined && x.reasonCode === 'no-mapping')) {
        const vaddr = n.frame.pc! - placement.bias;
        if (loads.some((x) => (x.flags & PF_X) !== 0 && x.vaddr <= vaddr && vaddr < x.vaddr + x.filesz)) place(n, vaddr);
      }
    }
    const count = pcs.filter((n) => n.placedBy === 'go-name').length;
    diagnostics.push({
      level: 'info',
      code: 'go-placed-by-name',
      message:
        `${count} frame(s) placed in ${basename(path)} (build-id ${id.buildId}) by Go's function name + offset in its .gopclntab` +
        (placement.bias !== undefined ? `; their pcs, in no mapping given, share one load bias 0x${placement.bias.toString(16)} (another run's addresses)` : ''),
    });
  }

  /** Each placed Go frame Go named, against the stored build's .gopclntab at its lookup address: per module, how many disagree. */
  async function checkGoFrames(): Promise<Map<string, NormalizedPc[]>> {
    const out = new Map<string, NormalizedPc[]>();
    for (const n of pcs) {
      if (!goNamed(n.frame) || !n.buildId || n.lookupAddress === undefined || !n.module) continue;
      const table = await identifier.goTable(n.buildId);
      if (!table) continue;
      n.goCheck = goFrameAgrees(n.frame, table.lookup(n.lookupAddress)) ? 'agrees' : 'differs';
      if (n.goCheck === 'differs') out.set(n.module, [...(out.get(n.module) ?? []), n]);
    }
    return out;
  }

  const modules: ModuleReport[] = [];
  for (const { path, identity } of identities.values()) {
    const id = await identity;
    if (!pcs.some((n) => n.module === path)) continue; // a pinned module no frame landed in
    const sample = pcs.find((n) => n.module === path && n.elfVaddr !== undefined && n.mapping && n.frame.pc !== undefined);
    const bias = id.status === 'found' && id.loadBias !== undefined ? id.loadBias : sample ? sample.frame.pc! - sample.elfVaddr! : undefined;
    const wrong = differs.get(path) ?? [];
    // Go printed other functions or lines than this build's table holds: not the build that crashed (unless a build-id said so).
    const goMismatch = wrong.length > 0 && id.status === 'found' && !/build-id given/.test(id.how);
    // A frame at a file offset no PT_LOAD of the stored build holds: that build is not what was loaded.
    const outside = pcs.filter((n) => n.module === path && n.reasonCode === 'not-in-segment');
    modules.push({
      path,
      build_id: id.buildId,
      status: goMismatch || outside.length > 0 ? 'mismatch' : id.status === 'ambiguous' ? 'missing' : id.status,
      load_bias: bias !== undefined ? `0x${bias.toString(16)}` : undefined,
      debug_file: id.status === 'found' ? basename(path) : undefined,
      identified_by: id.status === 'found' ? id.how : undefined,
    });
    if (id.status === 'ambiguous') diagnostics.push({ level: 'warning', code: 'module-ambiguous', message: `${path}: ${id.reason}` });
    if (id.status === 'mismatch') diagnostics.push({ level: 'warning', code: 'module-mismatch', message: `${path}: ${id.reason}` });
    if (outside.length > 0) {
      diagnostics.push({
        level: 'warning',
        code: 'module-mismatch',
        message: `${path}: ${outside.length} frame(s) lie outside every PT_LOAD segment of the stored build ${id.buildId} (first: ${outside[0].reason}): the uploaded build is not the one that was loaded`,
        input_line: outside[0].frame.inputLine,
      });
    }
    if (wrong.length > 0) {
      const checked = pcs.filter((n) => n.module === path && n.goCheck !== undefined).length;
      const f = wrong[0].frame;
      diagnostics.push({
        level: 'warning',
        code: 'go-frame-mismatch',
        message:
          `${path}: ${wrong.length} of ${checked} Go frame(s) disagree with the .gopclntab of the stored build ${id.buildId} ` +
          `(first: Go printed ${f.function} at ${f.file}:${f.line}): the uploaded build is not the one that crashed`,
        input_line: f.inputLine,
      });
    }
    const goOnly = pcs.filter((n) => n.module === path).every((n) => n.frame.kind === 'go');
    if (id.status === 'missing' && goOnly) {
      diagnostics.push({
        level: 'info',
        code: 'go-module-missing',
        message: `${path}: Go frames keep the names Go printed; upload ${basename(path)} to check them against its .gopclntab and to name the frames Go could not (${id.reason})`,
      });
    }
  }
  return { pcs, modules, diagnostics };
}

type FoundIdentity = Extract<ModuleIdentity, { status: 'found' }>;
const UNPLACED = new Set<string>(['no-pc', 'no-maps', 'no-mapping']);

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
