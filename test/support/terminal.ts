/**
 * What a terminal makes of the output, for the controls cli-progress writes: ESC[1G (column 1)
 * starts each redraw, ESC[0K clears to the end of the line, ESC 7 / ESC 8 save and restore the
 * cursor, \r and \n. Returns the screen's lines, the widest column any character was put in,
 * and the redraws (the text of each frame).
 */
export function screen(out: string): { lines: string[]; frames: string[]; widest: number } {
  const lines: string[] = [''];
  const frames: string[] = [];
  let row = 0;
  let col = 0;
  let saved = { row: 0, col: 0 };
  let widest = 0;
  for (let i = 0; i < out.length; ) {
    const control = /^(\x1b\[(\d*)G|\x1b\[0?K|\x1b7|\x1b8|\r|\n)/.exec(out.slice(i));
    if (control) {
      const c = control[1];
      if (c.endsWith('G')) {
        col = Number(control[2] || 1) - 1;
        frames.push('');
      } else if (c.endsWith('K')) lines[row] = lines[row].slice(0, col);
      else if (c === '\x1b7') saved = { row, col };
      else if (c === '\x1b8') ({ row, col } = saved);
      else if (c === '\r') col = 0;
      else {
        row++;
        col = 0;
        lines[row] ??= '';
      }
      i += c.length;
      continue;
    }
    // A control this emulator does not know would count as text: the test must learn it first.
    if (out[i] === '\x1b') throw new Error(`unknown control at ${i}: ${JSON.stringify(out.slice(i, i + 8))}`);
    lines[row] = lines[row].padEnd(col).slice(0, col) + out[i] + lines[row].slice(col + 1);
    if (frames.length > 0) frames[frames.length - 1] += out[i];
    col++;
    widest = Math.max(widest, col);
    i++;
  }
  return { lines, frames, widest };
}

