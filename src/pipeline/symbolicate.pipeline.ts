import { RawFrame } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { Diagnostic, UnifiedStack } from '../model/unified-stack';
import { crashedFirst, crashedGoroutine, faultIsNative, goTracebackSymbol, mergeGoStack } from '../merge/cgo.merger';
import { goNamed } from '../normalize/go-frames';
import { mergeJvmThreads } from '../merge/jni.merger';
import { mergeTombstoneThreads } from '../merge/tombstone.merger';
import { findMapping } from '../normalize/find-mapping';
import { ModuleHint, ModuleIdentifier } from '../normalize/module-identity';
import { normalizeFrames } from '../normalize/normalizer';
import { CrashInput, parseInput } from '../parse/parse-input';
import { renderJson } from '../render/json.renderer';
import { FrameResolver } from '../resolve/frame-resolver';
import { SymbolStore } from '../symbol-store/symbol-store.service';

export interface SymbolicateRequest extends CrashInput {
  modules?: ModuleHint[];
}

/** Frames of hs_err / tombstone threads that name a place in a file: a module offset or an absolute PC. */
function placeable(f: RawFrame): boolean {
  if (f.kind !== 'native' && f.kind !== 'jvm' && f.kind !== 'unknown') return false;
  return (f.module !== undefined && f.moduleOffset !== undefined) || f.pc !== undefined;
}

export type Progress = (stage: 'parse' | 'normalize' | 'resolve' | 'merge' | 'render', done: number, total: number) => void;

/**
 * The whole pipeline for one request, in one place: parse -> normalize -> resolve ->
 * merge -> render. Everything that could not be done becomes a diagnostic.
 */
export class SymbolicatePipeline {
  constructor(
    private readonly store: SymbolStore,
    private readonly resolver: FrameResolver,
  ) {}

  async run(request: SymbolicateRequest, progress: Progress = () => undefined): Promise<UnifiedStack> {
    progress('parse', 0, 1);
    const { report, cleaning, detection, warnings } = parseInput(request);
    const diagnostics: Diagnostic[] = [
      ...cleaning.map((message): Diagnostic => ({ level: 'info', code: 'text-cleaned', message })),
      ...detection.map((message): Diagnostic => ({ level: 'info', code: 'format-detected', message })),
    ];
    for (const message of warnings) diagnostics.push({ level: 'warning', code: 'parse-partial', message });

    // Which PCs are native: the fault (when it is not in Go code) and any non-Go frames.
    const goPcs = report.goroutines.flatMap((g) => g.frames.filter((f) => f.kind === 'go' && f.pc !== undefined));
    const goPaths = new Set(goPcs.map((f) => findMapping(report.mappings, f.pc!)?.path).filter((p) => p));
    const native = faultIsNative(report, (pc) => {
      const m = findMapping(report.mappings, pc);
      return m && goPaths.size > 0 ? goPaths.has(m.path) : undefined;
    });
    const faultFrame: RawFrame | undefined =
      native && report.fault
        ? { kind: 'native', pc: report.fault.pc, addressKind: 'exact', inputLine: report.fault.inputLine }
        : undefined;
    const crashed = crashedGoroutine(report, native);
    // hs_err and tombstone threads: their native frames (and VM frames in a library) too,
    // module-relative ones placed by their module, absolute ones through the input's maps.
    const threadFrames = (report.threads ?? []).flatMap((t) => t.frames.filter(placeable));
    const nativeFrames = [
      ...(faultFrame ? [faultFrame] : []),
      ...report.goroutines.flatMap((g) => g.frames.filter((f) => f.kind === 'native')),
      ...threadFrames,
    ];
    if (report.fault && !native) {
      diagnostics.push({
        level: 'info',
        code: 'fault-in-go',
        message: `the fault PC 0x${report.fault.pc.toString(16)} is in Go code; Go's own frames name it`,
        input_line: report.fault.inputLine,
      });
    }
    if (!report.fault && nativeFrames.length === 0) {
      diagnostics.push({ level: 'info', code: 'no-native-pc', message: 'the traceback names no native PC (no PC=, signal pc= or rip)' });
    }

    // Go's physical frames too: each is tied to its module (the executable or a c-shared
    // library) and checked against that build's .gopclntab; ones Go could not name are looked up.
    const goFrames = report.goroutines.flatMap((g) => g.frames.filter((f) => f.kind === 'go'));
    progress('normalize', 0, nativeFrames.length + goFrames.length);
    const identifier = new ModuleIdentifier(this.store);
    const { pcs, modules, diagnostics: moduleDiagnostics } = await normalizeFrames(
      [...nativeFrames, ...goFrames],
      report.mappings,
      request.modules ?? [],
      identifier,
    );
    diagnostics.push(...moduleDiagnostics);

    // One batch for the whole job: frames already in the worker's cache are answered
    // without a round trip; only the rest wait on a module load or a symbolizer.
    progress('resolve', 0, pcs.length);
    const lookups = pcs.filter((n) => n.symbolFile && n.lookupAddress !== undefined && n.buildId && !goNamed(n.frame));
    const answers = await this.resolver.resolveMany(
      lookups.map((n) => ({ buildId: n.buildId!, objectPath: n.symbolFile!, address: n.lookupAddress! })),
    );
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
      // Go named it (and the check above says whether the stored build agrees): Go's words stay.
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
      resolved.set(n.frame, r);
      if (!r.symbol) {
        const where = n.frame.pc !== undefined ? `PC 0x${n.frame.pc.toString(16)}` : `${n.frame.module ?? '?'}+0x${n.frame.moduleOffset?.toString(16) ?? '?'}`;
        diagnostics.push({
          // A frame the input already named (hs_err, tombstone) keeps that name: less to worry about.
          level: n.frame.function ? 'info' : 'warning',
          code: 'frame-unresolved',
          message: `${where}${n.module && n.frame.pc !== undefined ? ` in ${n.module}` : ''}${n.frame.function ? ` (${n.frame.function} in the input)` : ''}: ${r.reason}`,
          input_line: n.frame.inputLine,
        });
      }
    }
    progress('resolve', pcs.length, pcs.length);

    progress('merge', 0, 1);
    const goThreads = mergeGoStack(report, faultFrame, resolved, crashed);
    const hsErrThreads = (report.threads ?? []).filter((t) => t.format !== 'tombstone');
    const { jvm, spliced } = mergeJvmThreads(report, hsErrThreads, resolved, report.hsErr ? goThreads : [], diagnostics);
    const tombstone = mergeTombstoneThreads((report.threads ?? []).filter((t) => t.format === 'tombstone'), resolved);
    const threads = crashedFirst([...goThreads.filter((g) => g !== spliced), ...jvm, ...tombstone]);
    progress('render', 0, 1);
    return renderJson(report, threads, modules, diagnostics);
  }
}
