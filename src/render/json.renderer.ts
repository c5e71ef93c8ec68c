import { toHex } from '../model/address';
import { AddressKind, CrashReport, RawFrame } from '../model/crash-report';
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
    panics: report.panics && report.panics.length > 1 ? report.panics.map((p) => ({ text: p.text, recovered: p.recovered, input_line: p.inputLine })) : undefined,
    problematic_frame:
      report.hsErr?.problematicText && report.hsErr.problematicFrame
        ? { text: report.hsErr.problematicText, input_line: report.hsErr.problematicFrame.inputLine }
        : undefined,
    signal: s
      ? {
          name: s.name,
          description: s.description,
          code: s.code,
          addr: s.addr !== undefined ? toHex(s.addr) : undefined,
          pc: report.fault ? toHex(report.fault.pc) : s.pc !== undefined ? toHex(s.pc) : undefined,
          text: s.text,
          input_line: s.inputLine || undefined,
        }
      : undefined,
    threads: threads.map((t) => ({
      id: t.id,
      name: t.name,
      state: t.state,
      crashed: t.crashed,
      m: t.m,
      tid: t.tid,
      signal: t.signal
        ? { name: t.signal.name, description: t.signal.description, code: t.signal.code, pc: t.signal.pc !== undefined ? toHex(t.signal.pc) : undefined }
        : undefined,
      registers: t.registers ? Object.fromEntries(Object.entries(t.registers).map(([k, v]) => [k, toHex(v)])) : undefined,
      goroutine: t.goroutine,
      unwind_stopped: t.unwindStopped,
      created_by: t.createdBy
        ? {
            function: t.createdBy.function,
            goroutine: t.createdBy.goroutine,
            file: t.createdBy.file,
            line: t.createdBy.line,
            entry_offset: t.createdBy.entryOffset !== undefined ? toHex(t.createdBy.entryOffset) : undefined,
            input_line: t.createdBy.inputLine,
          }
        : undefined,
      frames_elided: t.framesElided,
      input_header: t.inputHeader,
      stack_unavailable: t.stackUnavailable,
      frames: t.frames.map(renderFrame),
    })),
    modules,
    diagnostics,
  };
}

export function renderFrame(f: ResolvedFrame): UnifiedFrame {
  const sym = f.symbol;
  const pc = f.raw.pc ?? f.computedPc;
  return {
    kind: f.raw.kind,
    function: sym?.function ?? f.raw.function,
    args: f.raw.args,
    linkage_name: sym?.linkageName,
    resolved_by: sym?.resolvedBy,
    function_offset: sym?.offset !== undefined ? toHex(sym.offset) : undefined,
    file: sym?.file ?? f.raw.file,
    line: sym?.line ?? f.raw.line,
    column: sym?.column,
    inlined: sym?.inlined ?? [],
    pc: pc !== undefined ? toHex(pc) : undefined,
    pc_origin: pc === undefined ? undefined : f.raw.pc !== undefined ? 'input' : 'computed',
    address_kind: f.raw.addressKind,
    lookup_address: f.lookupAddress !== undefined ? toHex(f.lookupAddress) : undefined,
    lookup_adjusted: f.lookupAddress !== undefined ? f.subtractedOne === true : undefined,
    lookup_reason: f.lookupAddress !== undefined ? lookupReason(f.raw.addressKind, f.subtractedOne === true) : undefined,
    java_method: f.javaMethod,
    frame_type: f.raw.frameType,
    input_function: inputFunction(f.raw),
    input_module_offset: f.raw.moduleOffset !== undefined ? toHex(f.raw.moduleOffset) : undefined,
    module: f.module ?? f.raw.module,
    build_id: f.buildId,
    module_offset: f.elfVaddr !== undefined ? toHex(f.elfVaddr) : undefined,
    file_offset: f.fileOffset !== undefined ? toHex(f.fileOffset) : undefined,
    source: sym?.source ?? 'unresolved',
    pclntab_check: f.goCheck,
    placed_by: f.placedBy,
    // A name the JVM gave (Java and VM frames) is not a lookup: say why one was not done.
    reason: sym && sym.source !== 'jvm' && sym.source !== 'hs-err' ? undefined : f.reason,
    input_line: f.raw.inputLine || undefined,
    entry_offset: f.raw.kind === 'go' && f.raw.entryOffset !== undefined ? toHex(f.raw.entryOffset) : undefined,
    fp: f.raw.fp !== undefined ? toHex(f.raw.fp) : undefined,
    frames_missing_after: f.framesMissingAfter,
    sp: f.raw.sp !== undefined ? toHex(f.raw.sp) : undefined,
    unwound_by: f.raw.unwind,
  };
}

/** Why the looked-up address is what it is (design.md: address kinds). */
function lookupReason(kind: AddressKind, subtractedOne: boolean): string {
  if (kind === 'exact') return 'faulting pc: looked up as is';
  if (kind === 'adjusted') return 'the producer already pointed it into the call: looked up as is';
  return subtractedOne ? 'return address: looked up at module_offset - 1, inside the call instruction' : 'return address at the module start: looked up as is';
}

/** hs_err `jni_inner+0x13` (hex), `Crash.main(..)V+23` (bytecode index), tombstone `jni_inner+19` (decimal): the name as the JVM or debuggerd printed it. */
function inputFunction(raw: RawFrame): string | undefined {
  if (!raw.function || (raw.frameType === undefined && raw.moduleOffsetBase === undefined)) return undefined;
  if (raw.entryOffset === undefined) return raw.function;
  // Tombstones print the offset and hs_err the bytecode index of a Java frame in decimal.
  const decimal = raw.moduleOffsetBase === 'elf-vaddr' || raw.kind === 'java';
  return `${raw.function}+${decimal ? raw.entryOffset.toString(10) : toHex(raw.entryOffset)}`;
}
