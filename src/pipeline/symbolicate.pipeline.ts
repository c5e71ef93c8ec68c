import { RawFrame } from '../model/crash-report';
import { Diagnostic, UnifiedStack } from '../model/unified-stack';
import { crashedFirst, crashedGoroutine, faultIsNative, mergeGoStack } from '../merge/cgo.merger';
import { collectEvidence } from '../normalize/build-evidence';
import { mergeJvmThreads } from '../merge/jni.merger';
import { mergeTombstoneThreads } from '../merge/tombstone.merger';
import { findMapping } from '../normalize/find-mapping';
import { ModuleHint, ModuleIdentifier } from '../normalize/module-identity';
import { moduleTable, setAsideNonElf } from './module-table';
import { resolveFrames } from './resolve-frames';
import { CrashInput, parseInput } from '../parse/parse-input';
import { renderJson } from '../render/json.renderer';
import { FrameResolver } from '../resolve/frame-resolver';
import { SymbolStore } from '../symbol-store/symbol-store.service';

export interface SymbolicateRequest extends CrashInput {
  modules?: ModuleHint[];
  /** The API's notes on the input (how its bytes were decoded). */
  input_notes?: string[];
}

/** Frames of hs_err / tombstone threads that name a place in a file: a module offset or an absolute PC. */
function placeable(f: RawFrame): boolean {
  if (f.kind !== 'native' && f.kind !== 'jvm' && f.kind !== 'unknown') return false;
  return (f.module !== undefined && f.moduleOffset !== undefined) || f.pc !== undefined;
}

/** The API's notes on how it decoded the input's bytes, as the result's warnings (text and core jobs alike). */
export function inputNoteDiagnostics(notes: string[] | undefined): Diagnostic[] {
  return (notes ?? []).map((message) => ({ level: 'warning', code: 'text-decoded', message }));
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
      ...inputNoteDiagnostics(request.input_notes),
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
    // Mach-O and PE modules (hs_err on macOS/Windows, sanitizers on macOS) are said once each and kept as printed.
    const threadFrames = setAsideNonElf((report.threads ?? []).flatMap((t) => t.frames.filter(placeable)), diagnostics);
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
    const threadCount = report.goroutines.length + (report.threads?.length ?? 0);
    if (threadCount === 0 && report.mappings.length > 0) {
      diagnostics.push({
        level: 'info',
        code: 'no-pcs',
        message: `the text holds ${report.mappings.length} mapping(s) but no PCs (no frames, no fault PC): the modules list says which files were mapped where, and which uploaded builds fit them`,
      });
    } else if (!report.fault && nativeFrames.length === 0) {
      diagnostics.push({ level: 'info', code: 'no-native-pc', message: 'the traceback names no native PC (no PC=, signal pc= or rip)' });
    }

    // Go's physical frames too: each is tied to its module (the executable or a c-shared
    // library) and checked against that build's .gopclntab; ones Go could not name are looked up.
    const goFrames = report.goroutines.flatMap((g) => g.frames.filter((f) => f.kind === 'go'));
    const identifier = new ModuleIdentifier(this.store);
    const { resolved, modules: resolvedModules } = await resolveFrames([...nativeFrames, ...goFrames], report.mappings, request.modules ?? [], identifier, this.resolver, diagnostics, progress, collectEvidence(report));

    const modules = threadCount === 0 ? await moduleTable(report.mappings, request.modules ?? [], identifier) : resolvedModules;

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
