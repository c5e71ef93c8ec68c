import { TextLine } from '../text-lines';
import { ChangeLog, ShapeOracle } from './clean-lines';

/**
 * Lines that a terminal, an editor or a logger broke in two, joined again:
 * - a logger's wrap: among prefixed lines, one without the prefix continues the line
 *   before it (logcat splits at ~4 KB, some agents at 16 KB), when the join reads as a
 *   line some reader knows or the piece alone does not;
 * - a hard wrap at a fixed width: the longest lines all have the same length (two or
 *   more, at least 60 columns); such a line and the next join when only the join reads
 *   as a line some reader knows (with or without the blank the wrap ate).
 * Only such candidates are tested, so a clean paste pays one length pass.
 */
const MIN_WIDTH = 60;

export function rejoinWrapped(lines: TextLine[], prefixed: boolean[], shapes: ShapeOracle, log: ChangeLog): TextLine[] {
  const width = wrapWidth(lines);
  const anyPrefixed = prefixed.some((p) => p);
  if (width === undefined && !anyPrefixed) return lines;
  const out: TextLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    // A logger's continuation: unprefixed, after a prefixed line, with prefixed lines going on after it.
    while (
      anyPrefixed &&
      prefixed[i] &&
      i + 1 < lines.length &&
      !prefixed[i + 1] &&
      lines[i + 1].text.trim() !== '' &&
      prefixedSoon(prefixed, lines, i + 2) &&
      continues(line.text, lines[i + 1].text)
    ) {
      const joined = line.text + lines[i + 1].text;
      if (shapes.recognizes(lines[i + 1].text) && !shapes.recognizes(joined)) break;
      log.note("re-joined a line the logger wrapped (continuation without the log prefix)", line.no);
      line = { no: line.no, text: joined };
      i++;
      prefixed[i] = true; // the joined piece is part of a prefixed line now
    }
    if (width !== undefined && line.text.length === width && i + 1 < lines.length) {
      const next = lines[i + 1].text;
      const whole = shapes.recognizes(line.text) && shapes.recognizes(next);
      const joined = whole ? undefined : [line.text + next, `${line.text} ${next.trimStart()}`].find((j) => shapes.recognizes(j));
      if (joined) {
        log.note(`re-joined a line hard-wrapped at ${width} columns`, line.no);
        line = { no: line.no, text: joined };
        i++;
      }
    }
    out.push(line);
  }
  return out;
}

/**
 * A logger splits a line at its size limit (syslog 1 KB, logcat 4 KB, docker 16 KB), or a message's own
 * newlines leave indented continuations (`Abort message: '..` then `        in call to ..`). A short line
 * followed by an unindented one is neither: another program's output between the logged lines
 * (`sh: 1: addr2line: not found` among a server's frames).
 */
const LOGGER_SPLIT = 1000;
function continues(text: string, piece: string): boolean {
  return /^\s/.test(piece) || text.length >= LOGGER_SPLIT;
}

function prefixedSoon(prefixed: boolean[], lines: TextLine[], from: number): boolean {
  for (let j = from; j < Math.min(lines.length, from + 3); j++) if (prefixed[j]) return true;
  return false;
}

/** The width a terminal or editor wrapped at: the maximum line length, when two or more lines have it. */
function wrapWidth(lines: TextLine[]): number | undefined {
  let max = 0;
  let count = 0;
  for (const l of lines) {
    const n = l.text.length;
    if (n > max) {
      max = n;
      count = 1;
    } else if (n === max) count++;
  }
  return max >= MIN_WIDTH && count >= 2 ? max : undefined;
}
