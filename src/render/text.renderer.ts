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
    for (const f of t.frames) out.push(...renderFrameLines(f));
  }
  const missing = stack.modules.filter((m) => m.status !== 'found' && m.status !== 'unused');
  if (missing.length > 0 || stack.diagnostics.length > 0) {
    out.push('', 'diagnostics:');
    for (const d of stack.diagnostics) out.push(`  ${d.level}: ${d.message}${d.input_line ? ` (input line ${d.input_line})` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

function renderFrameLines(f: UnifiedFrame): string[] {
  const where = (file?: string, line?: number, column?: number) =>
    file ? `${file}${line ? `:${line}` : ''}${column ? `:${column}` : ''}` : undefined;
  if (f.kind === 'go' && f.source === 'go-traceback') {
    return [`${f.function ?? '??'}${f.args ?? '(...)'}`, `\t${where(f.file, f.line) ?? '??'}${f.pc ? ` pc=${f.pc}` : ''}`];
  }
  // A completed native line: `function (file:line)`, the frames inlined at its pc indented above it
  // (innermost first, as a stack reads), then where it came from.
  const lines = f.inlined.map((i) => `    ${i.function} (${where(i.file, i.line, i.column) ?? '??'})  [inlined]`);
  const name = f.function ? `${f.function}${f.function_offset ? `+${f.function_offset}` : ''}` : '??';
  const loc = where(f.file, f.line, f.column);
  lines.push(f.function ? `${name}${loc ? ` (${loc})` : ''}` : `?? (unresolved: ${f.reason ?? 'unknown'})`);
  const module = f.module ? `${basename(f.module)}${f.module_offset ? `+${f.module_offset}` : ''} ` : '';
  lines.push(`\t${f.kind} ${module}pc=${f.pc ?? '?'} (${f.source})`);
  return lines;
}
