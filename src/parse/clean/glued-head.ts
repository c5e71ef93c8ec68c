import { TextLine } from '../text-lines';
import { ChangeLog, ShapeOracle } from './clean-lines';

/**
 * A crash's first line glued to the prose before it (`..., got fatal error: unexpected
 * signal`, `Output: panic: boom`): split where a reader's first line starts. Only lines
 * that start a paragraph are looked at (the first line, or one after a blank), which is
 * where a pasted text begins, and lines no reader knows right before one a reader knows
 * (a program's last log line with the crash's first glued to it, `... MH/s  SIGABRT:
 * abort` above `PC=0x..`): a large paste costs one test per paragraph and per such edge.
 */
export function splitGluedHeads(lines: TextLine[], shapes: ShapeOracle, log: ChangeLog): TextLine[] {
  const out: TextLine[] = [];
  let paragraphStart = true;
  for (const [i, line] of lines.entries()) {
    const blank = line.text.trim() === '';
    const next = lines[i + 1]?.text ?? '';
    const edge = !paragraphStart && !blank && next.trim() !== '' && shapes.recognizes(next);
    if ((paragraphStart || edge) && !blank && !shapes.recognizes(line.text)) {
      const at = shapes.headAt(line.text);
      if (at > 0) {
        log.note('split a crash head off the prose it was glued to', line.no);
        out.push({ no: line.no, text: line.text.slice(0, at).trimEnd() }, { no: line.no, text: line.text.slice(at) });
        paragraphStart = false;
        continue;
      }
    }
    out.push(line);
    paragraphStart = blank;
  }
  return out;
}
