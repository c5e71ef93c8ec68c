/** A line of input with its 1-based number in the text the user sent. */
export interface TextLine {
  no: number;
  text: string;
}

/** Split text into numbered lines (\n, \r\n or \r), numbering from `firstLine`. */
export function toLines(text: string, firstLine = 1): TextLine[] {
  const parts = text.split(/\r\n|\n|\r/);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((t, i) => ({ no: firstLine + i, text: t }));
}

/** A line as quoted in an error message: at most `max` characters. */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * No crash line is this long (a demangled C++ frame of deep templates is a few KiB); a
 * longer one is pasted binary or a log joined into one line, and given whole to the
 * readers' regexps it can overflow V8's backtracking stack. Such a line is read up to here.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/** `lines` with each longer than MAX_LINE_CHARS cut to it, and what was cut (line number, original length). */
export function capLongLines(lines: TextLine[]): { lines: TextLine[]; cut: Array<{ no: number; length: number }> } {
  const cut: Array<{ no: number; length: number }> = [];
  const capped = lines.map((line) => {
    if (line.text.length <= MAX_LINE_CHARS) return line;
    cut.push({ no: line.no, length: line.text.length });
    return { no: line.no, text: line.text.slice(0, MAX_LINE_CHARS) };
  });
  return { lines: capped, cut };
}
