import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response schemas for the OpenAPI document (the runtime shapes live in model/). */
export class InlinedFrameDto {
  @ApiProperty() function!: string;
  @ApiPropertyOptional() file?: string;
  @ApiPropertyOptional() line?: number;
  @ApiPropertyOptional() column?: number;
  @ApiPropertyOptional({ description: "Go prints inlined calls' arguments as `(...)`" }) args?: string;
  @ApiPropertyOptional({ description: 'A JNI native method in the chain (a Go Java_.. export inlined into its cgo wrapper), as Java names it' })
  java_method?: string;
  @ApiPropertyOptional({ description: '1-based input line that printed this call (Go inlined lines)' }) input_line?: number;
}

export class FrameDto {
  @ApiProperty({ enum: ['go', 'native', 'java', 'jvm', 'unknown'] }) kind!: string;
  @ApiPropertyOptional() function?: string;
  @ApiPropertyOptional({ description: "Go's argument words as printed", example: '(0xc000010000, 0x1)' }) args?: string;
  @ApiPropertyOptional({ description: 'Mangled name, when function was demangled from it' }) linkage_name?: string;
  @ApiPropertyOptional({ description: 'Offset from the function start (symbol-table answers), hex' }) function_offset?: string;
  @ApiPropertyOptional() file?: string;
  @ApiPropertyOptional() line?: number;
  @ApiPropertyOptional() column?: number;
  @ApiProperty({ type: [InlinedFrameDto], description: 'Frames inlined at this address, innermost first' }) inlined!: InlinedFrameDto[];
  @ApiPropertyOptional({ description: 'Absolute PC (hex): as the input gave it, or computed from the module base (maps, hs_err Dynamic libraries) + the printed module offset' })
  pc?: string;
  @ApiPropertyOptional({ enum: ['input', 'computed'], description: 'Where pc came from' }) pc_origin?: string;
  @ApiProperty({ enum: ['exact', 'return', 'adjusted'], description: 'return: looked up at PC-1 (call site)' }) address_kind!: string;
  @ApiPropertyOptional({ description: 'ELF virtual address handed to the symbolizer (hex)' }) lookup_address?: string;
  @ApiPropertyOptional({ description: 'Whether 1 was subtracted from module_offset to get lookup_address (a return address: the call site)' })
  lookup_adjusted?: boolean;
  @ApiPropertyOptional({ description: 'Why lookup_address is what it is', example: 'return address: looked up at module_offset - 1, inside the call instruction' })
  lookup_reason?: string;
  @ApiPropertyOptional({ description: 'JNI native method (Java_pkg_Cls_m) as Java names it', example: 'pkg.Cls.m(I)I' }) java_method?: string;
  @ApiPropertyOptional({ description: 'hs_err / tombstone frames: the name as the input printed it, with its offset', example: 'jni_inner+0x13' })
  input_function?: string;
  @ApiPropertyOptional({ description: 'hs_err frame type letter as printed (C native, j interpreted, J compiled, V/v VM)' }) frame_type?: string;
  @ApiPropertyOptional({ description: 'Module-relative offset as the input printed it (hs_err: from the load base; tombstone: ELF-relative), hex' })
  input_module_offset?: string;
  @ApiPropertyOptional() module?: string;
  @ApiPropertyOptional() build_id?: string;
  @ApiPropertyOptional({ description: 'Rebased ELF virtual address of the PC (hex)' }) module_offset?: string;
  @ApiPropertyOptional({ description: 'Offset of the PC in the module file (hex)' }) file_offset?: string;
  @ApiProperty({ enum: ['dwarf', 'symtab', 'dynsym', 'gopclntab', 'go-traceback', 'jvm', 'hs-err', 'unresolved'], description: 'Where the answer came from; hs-err: the name hs_err printed, kept because no file was uploaded to look it up in (reason says why)' })
  source!: string;
  @ApiPropertyOptional({ enum: ['agrees', 'differs'], description: "A Go frame checked against the stored build's .gopclntab at lookup_address (differs: not the build that crashed)" })
  pclntab_check?: string;
  @ApiPropertyOptional({ enum: ['go-name'], description: "Placed in its module by Go's function name + offset in .gopclntab (no maps, or a pc in no mapping)" })
  placed_by?: string;
  @ApiPropertyOptional({ description: 'Why the frame is unresolved' }) reason?: string;
  @ApiPropertyOptional({ description: '1-based line of the input this frame came from (absent for frames unwound from a core)' }) input_line?: number;
  @ApiPropertyOptional({ description: "Go frames: the `+0x5c` after file:line as printed (pc - function entry), hex" }) entry_offset?: string;
  @ApiPropertyOptional({ description: 'Go frames: the printed fp= (GOTRACEBACK=system/crash), hex' }) fp?: string;
  @ApiPropertyOptional({
    description:
      "The input is known to lack this frame's callers, and why: Go prints no frames between the C fault and runtime.cgocall; a frame-pointer walker skips a frameless leaf's caller",
  })
  frames_missing_after?: string;
  @ApiPropertyOptional({ description: "The frame's stack pointer (hex): Go's printed sp=, or for core files the unwinder's" }) sp?: string;
  @ApiPropertyOptional({
    description: 'Core files: how the frame was found: context (thread registers), cfi (DWARF CFI), go-pcsp (Go frame size table), signal-frame (saved ucontext), cgo-switch (g0 <-> goroutine stack at asmcgocall/cgocallback), systemstack-switch, go-sched (a goroutine\'s saved pc/sp), frame-pointer (fallback)',
    enum: ['context', 'cfi', 'go-pcsp', 'signal-frame', 'cgo-switch', 'systemstack-switch', 'go-sched', 'frame-pointer'],
  })
  unwound_by?: string;
  @ApiPropertyOptional({
    description: 'What answered the lookup: symcache (in-process, from the table built at upload), llvm-symbolizer (DWARF, while the symcache is building or failed, or where it cannot answer), symbol-table (files without DWARF, in-process)',
    enum: ['symcache', 'llvm-symbolizer', 'symbol-table'],
  })
  resolved_by?: string;
}

export class ThreadSignalDto {
  @ApiProperty({ example: 'SIGQUIT' }) name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional() code?: string;
  @ApiPropertyOptional({ description: 'PC= of this thread (hex)' }) pc?: string;
}

export class CreatedByDto {
  @ApiProperty({ example: 'main.startWorkers' }) function!: string;
  @ApiPropertyOptional({ description: 'in goroutine N (Go 1.21+)' }) goroutine?: number;
  @ApiPropertyOptional() file?: string;
  @ApiPropertyOptional() line?: number;
  @ApiPropertyOptional({ description: '`+0x25` as printed, hex' }) entry_offset?: string;
  @ApiPropertyOptional() input_line?: number;
}

export class ThreadDto {
  @ApiProperty({ example: 'goroutine 1', description: 'goroutine N, runtime stack, m N (an M\'s g0 in its SIGQUIT block), or the JVM / tombstone thread name' })
  id!: string;
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional({ description: 'The goroutine id (a goroutine, or a core thread that was running one)' }) goroutine?: number;
  @ApiPropertyOptional({ description: 'Core files: why the walk of this stack ended early (missing module, no unwind data)' }) unwind_stopped?: string;
  @ApiPropertyOptional() state?: string;
  @ApiProperty() crashed!: boolean;
  @ApiPropertyOptional({ description: "Go's M number (m=N) of the thread this stack ran on" }) m?: number;
  @ApiPropertyOptional({ description: 'OS thread id, when the input gives it' }) tid?: number;
  @ApiPropertyOptional({ type: ThreadSignalDto, description: 'The signal this thread reported (Go prints a SIGQUIT block per other M under GOTRACEBACK=crash)' })
  signal?: ThreadSignalDto;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Registers as dumped (hex)', example: { rip: '0x7f3a1c0011f2' } })
  registers?: Record<string, string>;
  @ApiPropertyOptional({ type: CreatedByDto, description: "Go's `created by X in goroutine N` + `file:line +0x25` under the stack, as printed" })
  created_by?: CreatedByDto;
  @ApiPropertyOptional({ description: 'Go printed `...additional frames elided...`' }) frames_elided?: boolean;
  @ApiPropertyOptional({ description: "A goroutine's header line as printed (state keeps only its first part)", example: 'goroutine 7 [chan receive, 3 minutes]:' })
  input_header?: string;
  @ApiPropertyOptional({ description: 'Go printed `goroutine running on other thread; stack unavailable`' }) stack_unavailable?: boolean;
  @ApiProperty({ type: [FrameDto] }) frames!: FrameDto[];
}


export class ModuleReportDto {
  @ApiProperty() path!: string;
  @ApiPropertyOptional() build_id?: string;
  @ApiProperty({ enum: ['found', 'missing', 'mismatch', 'unused'] }) status!: string;
  @ApiPropertyOptional() load_bias?: string;
  @ApiPropertyOptional() debug_file?: string;
  @ApiPropertyOptional({ description: 'How the stored file was chosen: a build-id, the only build whose layout fits, or the evidence in the crash text that decided' })
  identified_by?: string;
  @ApiPropertyOptional({ type: [String], description: 'Address ranges the text maps the file at ("0x..-0x.."), given when the text holds mappings but no PCs', example: ['0x7f3a1c000000-0x7f3a1c021000'] })
  ranges?: string[];
}

export class DiagnosticDto {
  @ApiProperty({ enum: ['info', 'warning', 'error'] }) level!: string;
  @ApiProperty() code!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional() input_line?: number;
}

export class SignalDto {
  @ApiProperty() name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional({ description: "How it came: Go's code=/sigcode=, hs_err's si_code by name (SEGV_MAPERR), a tombstone's code", example: 'SEGV_MAPERR' })
  code?: string;
  @ApiPropertyOptional({ description: 'Faulting address (hs_err si_addr, Go addr=), hex' }) addr?: string;
  @ApiPropertyOptional() pc?: string;
  @ApiPropertyOptional({
    type: [String],
    description: "The lines that reported the signal, as printed: Go's `[signal ..]` line or `SIGILL: ..` + `PC=..` + .., hs_err's header and siginfo, a tombstone's signal line",
    example: ['[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7fd0945dc13e]'],
  })
  text?: string[];
  @ApiPropertyOptional() input_line?: number;
}

export class ProblematicFrameDto {
  @ApiProperty({ example: 'C  [libjnicrash.so+0x112e]  jni_inner+0xe' }) text!: string;
  @ApiProperty() input_line!: number;
}

export class PanicLineDto {
  @ApiProperty({ example: 'first failure' }) text!: string;
  @ApiProperty() recovered!: boolean;
  @ApiProperty() input_line!: number;
}

export class UnifiedStackDto {
  @ApiPropertyOptional() headline?: string;
  @ApiPropertyOptional({ type: [PanicLineDto], description: "Go's `panic:` lines when there are more than one (nested, `[recovered]`), in input order" })
  panics?: PanicLineDto[];
  @ApiPropertyOptional({ type: ProblematicFrameDto, description: "hs_err's `# Problematic frame:` as printed" }) problematic_frame?: ProblematicFrameDto;
  @ApiPropertyOptional({ type: SignalDto }) signal?: SignalDto;
  @ApiProperty({ type: [ThreadDto] }) threads!: ThreadDto[];
  @ApiProperty({ type: [ModuleReportDto] }) modules!: ModuleReportDto[];
  @ApiProperty({ type: [DiagnosticDto] }) diagnostics!: DiagnosticDto[];
}

export class JobProgressDto {
  @ApiProperty() stage!: string;
  @ApiProperty() done!: number;
  @ApiProperty() total!: number;
}

export class JobDto {
  @ApiProperty({ example: 'q3VxA0mZ8s2cXb1e9TfQ4w' }) id!: string;
  @ApiProperty({ enum: ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children', 'unknown'] })
  state!: string;
  @ApiPropertyOptional({ type: JobProgressDto }) progress?: JobProgressDto;
  @ApiPropertyOptional({ type: UnifiedStackDto }) result?: UnifiedStackDto;
  @ApiPropertyOptional() error?: string;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional() finished_at?: string;
}

export class JobAcceptedDto {
  @ApiProperty({ example: 'q3VxA0mZ8s2cXb1e9TfQ4w', description: '128 random bits, base64url: unguessable' }) id!: string;
  @ApiProperty({ example: 'waiting' }) state!: string;
  @ApiProperty({ example: '/v1/jobs/q3VxA0mZ8s2cXb1e9TfQ4w' }) location!: string;
}

export class ErrorDto {
  @ApiProperty({ example: 422 }) status!: number;
  @ApiProperty({ example: 'PARSE_ERROR' }) code!: string;
  @ApiProperty({ example: 'traceback holds no Go stack frames: expected a goroutine header ...' }) message!: string;
  @ApiPropertyOptional({ description: 'Input line the error is about (1-based)' }) line?: number;
  @ApiPropertyOptional({ description: 'Request field the error is about' }) field?: string;
  @ApiPropertyOptional({ type: [String] }) details?: string[];
}

export class HealthDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiPropertyOptional({ example: { redis: 'ok', storage: 'ok' } }) checks?: Record<string, string>;
}
