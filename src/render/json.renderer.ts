import { toHex } from '../model/address';
import { CrashReport } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { Diagnostic, ModuleReport, UnifiedFrame, UnifiedStack } from '../model/unified-stack';
import { MergedThread } from '../merge/cgo.merger';

/** render stage: the merged model -> the API's JSON (hex strings for addresses). */
export function renderJson(
  report: CrashReport,
  threads: MergedThread[],
  modules: ModuleReport[],
  diagnostics: Diagnostic[],
): UnifiedStack {
  const s = report.signal;
  return {
    headline: report.headline?.text,
    signal: s
      ? {
          name: s.name,
          description: s.description,
          code: s.code,
          addr: s.addr !== undefined ? toHex(s.addr) : undefined,
          pc: report.fault ? toHex(report.fault.pc) : s.pc !== undefined ? toHex(s.pc) : undefined,
        }
      : undefined,
    threads: threads.map((t) => ({ id: t.id, state: t.state, crashed: t.crashed, frames: t.frames.map(renderFrame) })),
    modules,
    diagnostics,
  };
}

export function renderFrame(f: ResolvedFrame): UnifiedFrame {
  const sym = f.symbol;
  return {
    kind: f.raw.kind,
    function: sym?.function ?? f.raw.function,
    args: f.raw.args,
    linkage_name: sym?.linkageName,
    function_offset: sym?.offset !== undefined ? toHex(sym.offset) : undefined,
    file: sym?.file ?? f.raw.file,
    line: sym?.line ?? f.raw.line,
    column: sym?.column,
    inlined: sym?.inlined ?? [],
    pc: f.raw.pc !== undefined ? toHex(f.raw.pc) : undefined,
    address_kind: f.raw.addressKind,
    lookup_address: f.lookupAddress !== undefined ? toHex(f.lookupAddress) : undefined,
    module: f.module,
    build_id: f.buildId,
    module_offset: f.elfVaddr !== undefined ? toHex(f.elfVaddr) : undefined,
    source: sym?.source ?? 'unresolved',
    reason: sym ? undefined : f.reason,
    input_line: f.raw.inputLine,
  };
}
