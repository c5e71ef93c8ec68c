/**
 * The result of a job (design.md "UnifiedStack"): wire-ready, addresses as hex
 * strings, so it can travel through Redis as JSON unchanged.
 */
import { AddressKind, FrameKind } from './crash-report';

export type FrameSource = 'dwarf' | 'symtab' | 'dynsym' | 'gopclntab' | 'go-traceback' | 'jvm' | 'hs-err' | 'unresolved';

/**
 * A call inlined into a physical frame: from DWARF's inlined subroutines, the Go
 * pclntab's inline tree, or the input (Go's printed `f(...)` lines). Innermost first.
 */
export interface InlinedFrame {
  function: string;
  file?: string;
  line?: number;
  column?: number;
  /** Go prints inlined calls with `(...)` for arguments. */
  args?: string;
  /** A JNI native method among them (a Go `Java_..` export inlined into cgo's wrapper), as Java names it. */
  java_method?: string;
  /** The input line that printed this call, when the input printed it. */
  input_line?: number;
}

/** Where a frame's absolute pc came from: printed in the input, or module base (maps, hs_err Dynamic libraries) + module offset. */
export type PcOrigin = 'input' | 'computed';

export interface UnifiedFrame {
  kind: FrameKind;
  function?: string;
  /** Go's argument words as the traceback printed them, e.g. `(0xc000010000, 0x1)`. */
  args?: string;
  /** The mangled name, when `function` was demangled from it. */
  linkage_name?: string;
  /** Offset of the looked-up address from the function's start (symbol-table answers). */
  function_offset?: string;
  file?: string;
  line?: number;
  column?: number;
  /** Frames inlined into this one at the looked-up address, innermost first. */
  inlined: InlinedFrame[];
  /** The absolute PC: as the input gave it, or computed from the module's base and the printed offset (pc_origin). */
  pc?: string;
  pc_origin?: PcOrigin;
  address_kind: AddressKind;
  /** The ELF virtual address handed to the symbolizer (pc rebased, minus 1 for return addresses). */
  lookup_address?: string;
  /** 1 was subtracted from module_offset to get lookup_address (a return address: the call site). */
  lookup_adjusted?: boolean;
  /** Why lookup_address is what it is, in words (`return address: module_offset - 1, the call instruction`). */
  lookup_reason?: string;
  /** hs_err / tombstone frames: the name as the input printed it, with its offset (`jni_inner+0x13`, `sym+19`). */
  input_function?: string;
  /** hs_err frame type letter as printed: C native, j interpreted, J compiled, V/v VM. */
  frame_type?: string;
  /** The module-relative offset as the input printed it (hs_err: from the load base; tombstone: ELF-relative). */
  input_module_offset?: string;
  /** A JNI native method (`Java_pkg_Cls_m`) as Java names it: `pkg.Cls.m(sig)`. */
  java_method?: string;
  module?: string;
  build_id?: string;
  /** Offset of the PC in the module's ELF address space (rebased, before any -1). */
  module_offset?: string;
  /** Offset of the PC in the module's file (pc - mapping start + mapping offset). */
  file_offset?: string;
  source: FrameSource;
  /** A Go frame checked against the stored build's .gopclntab at lookup_address: does it say what Go printed? */
  pclntab_check?: 'agrees' | 'differs';
  /** How the frame was placed in its module when not by its pc in the maps: Go's function name + offset in .gopclntab. */
  placed_by?: 'go-name';
  /** Why this frame is unresolved, when it is. */
  reason?: string;
  input_line?: number;
  /** Go frames: the `+0x5c` after file:line as printed (pc - function entry), hex. */
  entry_offset?: string;
  /** Go frames: the printed `fp=` (GOTRACEBACK=system/crash), hex. */
  fp?: string;
  /**
   * The input is known to lack frames right below this one (its callers), and why: Go prints
   * none between the C fault and runtime.cgocall; a frame-pointer walker skips a frameless leaf's caller.
   */
  frames_missing_after?: string;
  /** The stack pointer: Go's printed `sp=`, or for frames unwound from a core the unwinder's; unwound_by says how the frame was found (context, cfi, go-pcsp, signal-frame, cgo-switch, systemstack-switch, go-sched, frame-pointer). */
  sp?: string;
  unwound_by?: string;
  /** What answered the lookup: symcache (in-process, from the file built at upload), llvm-symbolizer, or symbol-table (files without DWARF, in-process). */
  resolved_by?: 'symcache' | 'llvm-symbolizer' | 'symbol-table';
}

export interface UnifiedThread {
  id: string;
  name?: string;
  /** The goroutine id, for a goroutine or a thread that was running one (cores). */
  goroutine?: number;
  /** Cores: why the walk of this stack ended, when it ended early or in a way worth saying. */
  unwind_stopped?: string;
  state?: string;
  crashed: boolean;
  /** The OS thread it ran on: Go's M number (`m=2`), a tid (hs_err, tombstone, core). */
  m?: number;
  tid?: number;
  /** The signal this thread reported itself (Go prints one block per M under GOTRACEBACK=crash: the crash, then SIGQUIT). */
  signal?: { name: string; description?: string; code?: string; pc?: string };
  /** Its registers when the input dumped them (hex). */
  registers?: Record<string, string>;
  /** Go's `created by X in goroutine N` + `\tfile:line +0x25` under the stack, as printed. */
  created_by?: CreatedBy;
  /** A goroutine's header as printed (`goroutine 7 [chan receive, 3 minutes, locked to thread]:`): state keeps only its first part. */
  input_header?: string;
  /** Go printed `goroutine running on other thread; stack unavailable` (and no M block printed it later). */
  stack_unavailable?: boolean;
  /** Go printed `...additional frames elided...` (more than 100 frames). */
  frames_elided?: boolean;
  frames: UnifiedFrame[];
}

export interface CreatedBy {
  function: string;
  goroutine?: number;
  file?: string;
  line?: number;
  /** `+0x25` as printed, hex. */
  entry_offset?: string;
  input_line?: number;
}

export type ModuleStatus = 'found' | 'missing' | 'mismatch' | 'unused';

export interface ModuleReport {
  path: string;
  build_id?: string;
  status: ModuleStatus;
  load_bias?: string;
  debug_file?: string;
  /** How the stored file was chosen: a build-id, the only fitting build, or the evidence that decided. */
  identified_by?: string;
  /** The address ranges the text maps it at (a module table without PCs: a maps snapshot alone). */
  ranges?: string[];
}

export interface Diagnostic {
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
  input_line?: number;
}

export interface UnifiedStack {
  headline?: string;
  /** Go's `panic:` lines when there are more than one (nested, `[recovered]`), in input order; headline is the first. */
  panics?: { text: string; recovered: boolean; input_line: number }[];
  /** hs_err's `# Problematic frame:` line as printed, and where. */
  problematic_frame?: { text: string; input_line: number };
  /** text: the lines that reported the signal, as printed (Go's `[signal ..]` line, or `SIGILL: ..` + `PC=..`), and where. */
  signal?: { name: string; description?: string; code?: string; addr?: string; pc?: string; text?: string[]; input_line?: number };
  threads: UnifiedThread[];
  modules: ModuleReport[];
  diagnostics: Diagnostic[];
}
