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
