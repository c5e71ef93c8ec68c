import { RawFrame } from '../model/crash-report';
import { Mapping } from '../model/mapping';
import { ResolvedFrame } from '../model/resolved-frame';
import { Diagnostic, ModuleReport } from '../model/unified-stack';
import { ModuleHint, ModuleIdentifier } from '../normalize/module-identity';
import { EvidenceItem } from '../normalize/build-evidence';
import { NormalizeInput, normalizeFrames } from '../normalize/normalizer';
import { FrameResolver } from '../resolve/frame-resolver';
import { goTracebackSymbol } from '../merge/cgo.merger';
import { goNamed } from '../normalize/go-frames';
import { unresolvedDiagnostics } from './unresolved-diagnostics';

export interface ResolvedFrames {
  resolved: Map<RawFrame, ResolvedFrame>;
  modules: ModuleReport[];
}

/**
 * normalize + resolve for a batch of frames that name a place in a file, shared by
 * the text and the core pipelines. One batch for the whole job: frames already in
 * the worker's cache are answered without a round trip; only the rest wait on a
 * module load or a symbolizer. Every frame left unresolved becomes a diagnostic.
 */
export async function resolveFrames(
  frames: NormalizeInput[],
  mappings: Mapping[],
  hints: ModuleHint[],
  identifier: ModuleIdentifier,
  resolver: FrameResolver,
  diagnostics: Diagnostic[],
  progress: (stage: 'normalize' | 'resolve', done: number, total: number) => void,
  /** What the crash text says about the code, for choosing among stored builds of one name (build-evidence.ts). */
  evidence: EvidenceItem[] = [],
): Promise<ResolvedFrames> {
  progress('normalize', 0, frames.length);
  const { pcs, modules, diagnostics: moduleDiagnostics } = await normalizeFrames(frames, mappings, hints, identifier, evidence);
  diagnostics.push(...moduleDiagnostics);
  progress('resolve', 0, pcs.length);
  const lookups = pcs.filter((n) => n.symbolFile && n.lookupAddress !== undefined && n.buildId && !goNamed(n.frame));
  const answers = await resolver.resolveMany(lookups.map((n) => ({ buildId: n.buildId!, objectPath: n.symbolFile!, address: n.lookupAddress! })));
  const answerOf = new Map(lookups.map((n, i) => [n, answers[i]]));
  const resolved = new Map<RawFrame, ResolvedFrame>();
  for (const n of pcs) {
    const r: ResolvedFrame = {
      raw: n.frame,
      computedPc: n.frame.pc === undefined ? n.computedPc : undefined,
      module: n.module,
      buildId: n.buildId,
      fileOffset: n.fileOffset,
      elfVaddr: n.elfVaddr,
      lookupAddress: n.lookupAddress,
      subtractedOne: n.subtractedOne,
      goCheck: n.goCheck,
      placedBy: n.placedBy,
      reason: n.reason,
    };
    // Go named it (and normalize's check says whether the stored build agrees): Go's words stay.
    if (goNamed(n.frame)) {
      resolved.set(n.frame, { ...r, symbol: goTracebackSymbol(n.frame), reason: undefined });
      continue;
    }
    const a = answerOf.get(n);
    if (a?.error) r.reason = `symbolizer failed: ${a.error.message}`;
    else if (a) {
      r.symbol = a.symbol;
      if (!a.symbol) r.reason = `no symbol covers 0x${n.lookupAddress!.toString(16)} in build-id ${n.buildId}`;
    }
    // The name hs_err printed (`jni_inner+0xe`, from the JVM's own symbol lookup) stays when we have no file to do better.
    if (!r.symbol && n.frame.frameType !== undefined && n.frame.function) {
      r.symbol = { function: n.frame.function, offset: n.frame.entryOffset, inlined: [], source: 'hs-err' };
    }
    resolved.set(n.frame, r);
  }
  diagnostics.push(...unresolvedDiagnostics(pcs, resolved));
  progress('resolve', pcs.length, pcs.length);
  return { resolved, modules };
}
