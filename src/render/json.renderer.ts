import { toHex } from '../model/address';
import { CrashReport, RawFrame } from '../model/crash-report';
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
    threads: threads.map((t) => ({
      id: t.id,
      name: t.name,
      tid: t.tid,
      goroutine: t.goroutine,
      state: t.state,
      crashed: t.crashed,
      unwind_stopped: t.unwindStopped,
      frames: t.frames.map(renderFrame),
    })),
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
    lookup_adjusted: f.lookupAddress !== undefined ? f.subtractedOne === true : undefined,
    java_method: f.javaMethod,
    frame_type: f.raw.frameType,
    input_function: inputFunction(f.raw),
    input_module_offset: f.raw.moduleOffset !== undefined ? toHex(f.raw.moduleOffset) : undefined,
    module: f.module ?? f.raw.module,
    build_id: f.buildId,
    module_offset: f.elfVaddr !== undefined ? toHex(f.elfVaddr) : undefined,
    source: sym?.source ?? 'unresolved',
    // A name the JVM gave (Java and VM frames) is not a lookup: say why one was not done.
    reason: sym && sym.source !== 'jvm' ? undefined : f.reason,
    input_line: f.raw.inputLine || undefined,
    sp: f.raw.sp !== undefined ? toHex(f.raw.sp) : undefined,
    unwound_by: f.raw.unwind,
  };
}

/** hs_err `jni_inner+0x13` (hex), `Crash.main(..)V+23` (bytecode index), tombstone `jni_inner+19` (decimal): the name as the JVM or debuggerd printed it. */
function inputFunction(raw: RawFrame): string | undefined {
  if (!raw.function || (raw.frameType === undefined && raw.moduleOffsetBase === undefined)) return undefined;
  if (raw.entryOffset === undefined) return raw.function;
  // Tombstones print the offset and hs_err the bytecode index of a Java frame in decimal.
  const decimal = raw.moduleOffsetBase === 'elf-vaddr' || raw.kind === 'java';
  return `${raw.function}+${decimal ? raw.entryOffset.toString(10) : toHex(raw.entryOffset)}`;
}
