import { UnifiedFrame, UnifiedStack } from '../model/unified-stack';
import { basename } from '../normalize/find-mapping';

/**
 * render stage, for people: the traceback as the engineer knows it (Go's layout:
 * function line, then tab file:line), with native frames filled in and marked, and
 * inlined frames shown as their own lines.
 */
export function renderText(stack: UnifiedStack): string {
  const out: string[] = [];
  if (stack.headline) out.push(stack.headline);
  if (stack.signal) {
    const s = stack.signal;
    out.push(
      `${s.name}${s.description ? `: ${s.description}` : ''}${s.pc ? ` pc=${s.pc}` : ''}${s.addr ? ` addr=${s.addr}` : ''}`,
    );
  }
  for (const t of stack.threads) {
    if (out.length > 0) out.push('');
    out.push(t.id === t.state ? `${t.id}:` : `${t.id} [${t.state}]${t.crashed ? ' (crashed)' : ''}:`);
    t.frames.forEach((f, i) => out.push(...renderFrameLines(f, i)));
  }
  const missing = stack.modules.filter((m) => m.status !== 'found' && m.status !== 'unused');
  if (missing.length > 0 || stack.diagnostics.length > 0) {
    out.push('', 'diagnostics:');
    for (const d of stack.diagnostics) out.push(`  ${d.level}: ${d.message}${d.input_line ? ` (input line ${d.input_line})` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

const where = (file?: string, line?: number, column?: number) =>
  file ? `${file}${line ? `:${line}` : ''}${column ? `:${column}` : ''}` : undefined;

function renderFrameLines(f: UnifiedFrame, index: number): string[] {
  if (f.kind === 'go' && f.source === 'go-traceback') {
    return [...goInlinedLines(f), `${f.function ?? '??'}${f.args ?? '(...)'}`, `\t${where(f.file, f.line) ?? '??'}${f.pc ? ` pc=${f.pc}` : ''}`];
  }
  if (f.frame_type !== undefined) return completed(f, hsErrLine(f));
  if (f.input_module_offset !== undefined && f.kind === 'native') return completed(f, tombstoneLine(f, index));
  // A completed native line: `function (file:line)`, the frames inlined at its pc indented above it
  // (innermost first, as a stack reads), then where it came from.
  const lines = f.kind === 'go' ? goInlinedLines(f) : f.inlined.map((i) => `    ${i.function} (${where(i.file, i.line, i.column) ?? '??'})  [inlined]`);
  const name = f.function ? `${f.function}${f.function_offset ? `+${f.function_offset}` : ''}` : '??';
  const loc = where(f.file, f.line, f.column);
  lines.push(f.function ? `${name}${loc ? ` (${loc})` : ''}` : `?? (unresolved: ${f.reason ?? 'unknown'})`);
  const module = f.module ? `${basename(f.module)}${f.module_offset ? `+${f.module_offset}` : ''} ` : '';
  lines.push(`\t${f.kind} ${module}pc=${f.pc ?? '?'} (${f.source})`);
  return lines;
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
