import { TextLine } from '../text-lines';
import { ChangeLog, ShapeOracle } from './clean-lines';

/**
 * A crash's first line glued to the prose before it (`..., got fatal error: unexpected
 * signal`, `Output: panic: boom`): split where a reader's first line starts. Only lines
 * that start a paragraph are looked at (the first line, or one after a blank), which is
 * where a pasted text begins, and keeps a large paste to one test per paragraph.
 */
export function splitGluedHeads(lines: TextLine[], shapes: ShapeOracle, log: ChangeLog): TextLine[] {
  const out: TextLine[] = [];
  let paragraphStart = true;
  for (const line of lines) {
    const blank = line.text.trim() === '';
    // Weak shapes do not count: `` ` ==1==ERROR: ..(pc .. T5)`` looks like a Go call line.
    if (paragraphStart && !blank && !shapes.opens(line.text)) {
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
