import { RawFrame } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { Diagnostic, UnifiedStack } from '../model/unified-stack';
import { crashedGoroutine, faultIsNative, mergeGoStack } from '../merge/cgo.merger';
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
    const { report, detection, warnings } = parseInput(request);
    const diagnostics: Diagnostic[] = detection.map((message) => ({ level: 'info', code: 'format-detected', message }));
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
    const nativeFrames = [
      ...(faultFrame ? [faultFrame] : []),
      ...report.goroutines.flatMap((g) => g.frames.filter((f) => f.kind === 'native')),
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

    progress('normalize', 0, nativeFrames.length);
    const identifier = new ModuleIdentifier(this.store);
    const { pcs, modules, diagnostics: moduleDiagnostics } = await normalizeFrames(nativeFrames, report.mappings, request.modules ?? [], identifier);
    diagnostics.push(...moduleDiagnostics);

    const resolved = new Map<RawFrame, ResolvedFrame>();
    let done = 0;
    await Promise.all(
      pcs.map(async (n) => {
        const base: ResolvedFrame = {
          raw: n.frame,
          module: n.module,
          buildId: n.buildId,
          elfVaddr: n.elfVaddr,
          lookupAddress: n.lookupAddress,
          reason: n.reason,
        };
        if (n.symbolFile && n.lookupAddress !== undefined && n.buildId) {
          try {
            base.symbol = await this.resolver.resolve(n.buildId, n.symbolFile, n.lookupAddress);
            if (!base.symbol) base.reason = `no symbol covers 0x${n.lookupAddress.toString(16)} in build-id ${n.buildId}`;
          } catch (err) {
            base.reason = `symbolizer failed: ${(err as Error).message}`;
          }
        }
        resolved.set(n.frame, base);
        progress('resolve', ++done, pcs.length);
      }),
    );
    for (const n of pcs) {
      const r = resolved.get(n.frame)!;
      if (!r.symbol) {
        diagnostics.push({
          level: 'warning',
          code: 'frame-unresolved',
          message: `PC 0x${n.frame.pc?.toString(16) ?? '?'}${n.module ? ` in ${n.module}` : ''}: ${r.reason}`,
          input_line: n.frame.inputLine,
        });
      }
    }

    progress('merge', 0, 1);
    const threads = mergeGoStack(report, faultFrame, resolved, crashed);
    progress('render', 0, 1);
    return renderJson(report, threads, modules, diagnostics);
  }
}
