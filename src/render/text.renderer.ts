import { CreatedBy, UnifiedFrame, UnifiedStack, UnifiedThread } from '../model/unified-stack';
import { basename } from '../normalize/find-mapping';

/**
 * render stage, for people: the traceback as the engineer knows it. Go's own lines as Go
 * printed them (`\tfile:line +0x5c fp=.. sp=.. pc=..`, `created by X in goroutine N`, the
 * signal lines, each M's SIGQUIT block), native frames filled in with the same two-line
 * shape (function, then a tab-indented `file:line` editors jump to, then module+offset),
 * inlined callees as Go prints them (`f(...)` + `\tfile:line`), and one line where the
 * input is known to lack frames. hs_err and tombstone lines stay as those producers print them.
 */
export function renderText(stack: UnifiedStack): string {
  const out: string[] = [];
  // Nested panics as Go prints them: `panic: a [recovered]` then `\tpanic: b`.
  if (stack.panics?.length && stack.headline?.startsWith('panic: ')) out.push(...stack.panics.map((p, i) => `${i > 0 ? '\t' : ''}panic: ${p.text}${p.recovered ? ' [recovered]' : ''}`));
  else if (stack.headline && !(stack.signal?.text?.[0] === stack.headline)) out.push(stack.headline);
  if (stack.signal) out.push(...signalLines(stack.signal));
  for (const t of stack.threads) {
    if (out.length > 0) out.push('');
    if (t.signal && !t.crashed) out.push('-----', '', ...threadSignalLines(t), '');
    out.push(threadHeader(t));
    if (t.stack_unavailable) out.push('\tgoroutine running on other thread; stack unavailable');
    t.frames.forEach((f, i) => {
      out.push(...renderFrameLines(f, i));
      if (f.frames_missing_after) out.push(`\t... ${f.frames_missing_after}`);
    });
    if (t.frames_elided) out.push('...additional frames elided...');
    if (t.created_by) out.push(...createdByLines(t.created_by));
    if (t.registers && t.signal && !isJvmOrTombstone(t)) {
      // Go prints the crash block's registers after all its goroutines (a blank line before), an M's right under its g0.
      if (t.crashed) out.push('');
      for (const [name, value] of Object.entries(t.registers)) out.push(`${name.padEnd(6)} ${value}`);
    }
  }
  if (stack.diagnostics.length > 0) {
    out.push('', 'diagnostics:');
    for (const d of stack.diagnostics) out.push(`  ${d.level}: ${d.message}${d.input_line ? ` (input line ${d.input_line})` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

/** As printed when the parser kept the lines; else rebuilt in Go's `[signal ..]` shape. */
function signalLines(s: NonNullable<UnifiedStack['signal']>): string[] {
  if (s.text?.length) return s.text;
  const fields = [s.code ? ` code=${s.code}` : '', s.addr ? ` addr=${s.addr}` : '', s.pc ? ` pc=${s.pc}` : ''].join('');
  return [`[signal ${s.name}${s.description ? `: ${s.description}` : ''}${fields}]`];
}

/** An M's own block under GOTRACEBACK=crash: `SIGQUIT: quit` / `PC=0x.. m=2 sigcode=0`. */
function threadSignalLines(t: UnifiedThread): string[] {
  const s = t.signal!;
  const pc = s.pc ? [`PC=${s.pc}${t.m !== undefined ? ` m=${t.m}` : ''}${s.code ? ` sigcode=${s.code}` : ''}`] : [];
  return [`${s.name}${s.description ? `: ${s.description}` : ''}`, ...pc];
}

/** `goroutine 1 [syscall]:`, `runtime stack:`, an M's g0 as `goroutine 0 [idle]:`; other producers' threads named and marked. */
function threadHeader(t: UnifiedThread): string {
  if (t.id === 'runtime stack') return 'runtime stack:';
  if (t.input_header) return t.input_header;
  if (/^goroutine \d+$/.test(t.id)) return `${t.id} [${t.state ?? 'unknown'}]:`;
  if (/^m \d+$/.test(t.id) && t.name?.startsWith('goroutine 0')) return `goroutine 0 [${t.state ?? 'idle'}]:`;
  if (t.id === t.state) return `${t.id}:`;
  return `${t.id}${t.state ? ` [${t.state}]` : ''}${t.crashed ? ' (crashed)' : ''}:`;
}

function isJvmOrTombstone(t: UnifiedThread): boolean {
  return t.frames.some((f) => f.frame_type !== undefined || f.input_module_offset !== undefined);
}

function createdByLines(c: CreatedBy): string[] {
  const head = `created by ${c.function}${c.goroutine !== undefined ? ` in goroutine ${c.goroutine}` : ''}`;
  return c.file ? [head, `\t${c.file}:${c.line ?? 0}${c.entry_offset ? ` +${c.entry_offset}` : ''}`] : [head];
}

const where = (file?: string, line?: number, column?: number) =>
  file ? `${file}${line ? `:${line}` : ''}${line && column ? `:${column}` : ''}` : undefined;

/** Go's file line: `\tfile:line +0x5c fp=.. sp=.. pc=..`, each part only when Go printed it. */
function goFileLine(f: UnifiedFrame): string {
  // `?:0` / `??:0` (a pc Go could not place) is printed as is, line 0 included.
  const parts = [`\t${f.file !== undefined ? `${f.file}${f.line !== undefined ? `:${f.line}` : ''}` : '?'}`];
  if (f.entry_offset) parts.push(`+${f.entry_offset}`);
  if (f.fp && f.sp) parts.push(`fp=${f.fp}`, `sp=${f.sp}`);
  if (f.pc && f.pc_origin === 'input') parts.push(`pc=${f.pc}`);
  return parts.join(' ');
}

/** Inlined callees as Go prints them: `f(...)` then `\tfile:line`, innermost first (native ones with their column, for editors). */
function inlinedLines(f: UnifiedFrame): string[] {
  if (f.kind === 'go') return goInlinedLines(f);
  return f.inlined.flatMap((i) => [`${i.function}${i.args ?? (i.function.endsWith(')') ? '' : '(...)')}`, `\t${where(i.file, i.line, i.column) ?? '?'}`]);
}

function renderFrameLines(f: UnifiedFrame, index: number): string[] {
  if (f.kind === 'go' && f.source === 'go-traceback') return [...inlinedLines(f), `${f.function ?? '??'}${f.args ?? ''}`, goFileLine(f)];
  if (f.frame_type !== undefined) return completed(f, hsErrLine(f));
  if (f.input_module_offset !== undefined && f.kind === 'native') return completed(f, tombstoneLine(f, index));
  return [...inlinedLines(f), ...filledIn(f)];
}

/**
 * A frame we filled in (native, or a Go frame Go could not name), in Go's two-line shape:
 * the function (`+0x1f` when only a symbol table named it), then `\tfile:line` when known,
 * the module+offset and pc, and [kind source] (or why it is unresolved, first clause only:
 * what to do about it is in the diagnostics).
 */
function filledIn(f: UnifiedFrame): string[] {
  const name = f.function
    ? `${f.function}${f.kind === 'go' ? (f.args ?? '') : ''}${f.function_offset && !f.file ? `+${f.function_offset}` : ''}`
    : f.kind === 'native'
      ? `non-Go function${f.pc ? ` at pc=${f.pc}` : ''}`
      : '??';
  const offset = f.module_offset ? `+${f.module_offset}` : f.file_offset ? ` (file offset ${f.file_offset})` : '';
  const module = f.module ? `${basename(f.module)}${offset}` : undefined;
  const why = f.source === 'unresolved' ? `${f.kind}, unresolved: ${(f.reason ?? 'unknown').split(';')[0]}` : `${f.kind}, ${f.source}`;
  const second = [where(f.file, f.line, f.column), module, f.pc ? `pc=${f.pc}` : undefined, `[${why}]`].filter((p) => p);
  return [name, `\t${second.join(' ')}`];
}

/**
 * A Go frame's inlined calls as Go prints them, whichever source named them (Go's own
 * text, or DWARF / .gopclntab for a core or a frame Go could not name): `pkg.f(...)` then
 * the tab-indented file:line, innermost first, above the physical frame that owns the pc.
 */
function goInlinedLines(f: UnifiedFrame): string[] {
  return f.inlined.flatMap((i) => [`${i.function}${i.args ?? '(...)'}`, `\t${where(i.file, i.line) ?? '??'}`]);
}

/**
 * An hs_err or tombstone line as the input printed it, then ` -> function (file:line)`
 * when we know more than it said; inlined frames indented above it (innermost first).
 * Java and VM frames are the JVM's own words, unchanged.
 */
function completed(f: UnifiedFrame, original: string): string[] {
  const jni = f.java_method ? `  [${f.java_method}]` : '';
  if (f.source === 'jvm' || f.source === 'go-traceback') return [`${original}${jni}`];
  // The first clause says why; what to do about it is in the diagnostics, once per line.
  // hs_err named it and nothing better is known: its line as printed, and why not more.
  if (f.source === 'hs-err') return [`${original}  (${(f.reason ?? 'not looked up').split(';')[0]})${jni}`];
  if (f.source === 'unresolved') return [`${original}  -> ?? (${(f.reason ?? 'unresolved').split(';')[0]})${jni}`];
  const lines = f.inlined.map((i) => `      ${i.function} (${where(i.file, i.line, i.column) ?? '??'})  [inlined]`);
  const name = `${f.function ?? '??'}${f.function_offset ? `+${f.function_offset}` : ''}`;
  const loc = where(f.file, f.line, f.column);
  lines.push(`${original}  -> ${name}${loc ? ` (${loc})` : ''}${jni}`);
  return lines;
}

/** `C  [libjnicrash.so+0x1153]  jni_inner+0x13`, `j  Crash.run(I)I+0`, `v  ~StubRoutines::call_stub`. */
function hsErrLine(f: UnifiedFrame): string {
  const input = f.input_function ?? (f.source === 'jvm' ? f.function : undefined);
  const place = f.input_module_offset && f.module ? `[${basename(f.module)}+${f.input_module_offset}]` : f.pc && f.kind !== 'java' ? f.pc : undefined;
  return [`${f.frame_type}  ${place ?? ''}`.trimEnd(), input].filter((p) => p).join('  ');
}

/** `#01 pc 000000000000116a  /data/app/lib/arm64/libfoo.so (sym+12) (BuildId: ..)`. */
function tombstoneLine(f: UnifiedFrame, index: number): string {
  const off = BigInt(f.input_module_offset!).toString(16).padStart(16, '0');
  const input = f.input_function ? ` (${f.input_function})` : '';
  return `#${String(index).padStart(2, '0')} pc ${off}  ${f.module ?? '<unknown>'}${input}${f.build_id ? ` (BuildId: ${f.build_id})` : ''}`;
}
