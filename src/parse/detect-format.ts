import { isMapsLine } from './proc-maps.parser';
import { TextLine } from './text-lines';

/**
 * One paste can hold a Go traceback and a maps snapshot one after the other (or
 * interleaved with other text). Maps lines have a shape nothing else has, so every
 * such line goes to the maps section and the rest stays with the traceback; line
 * numbers stay those of the paste. `reasons` say what was decided and why.
 */
export interface PasteSections {
  traceback: TextLine[];
  maps: TextLine[];
  reasons: string[];
}

export function splitPaste(lines: TextLine[]): PasteSections {
  const traceback: TextLine[] = [];
  const maps: TextLine[] = [];
  for (const line of lines) (isMapsLine(line.text) ? maps : traceback).push(line);
  const reasons: string[] = [];
  if (maps.length > 0) {
    reasons.push(
      `lines ${maps[0].no}-${maps[maps.length - 1].no}: ${maps.length} /proc/PID/maps lines ("start-end perms offset dev inode path")`,
    );
  }
  const goStart = traceback.find((l) => /^(goroutine \d+|panic: |fatal error: |SIG[A-Z]+: )/.test(l.text));
  if (goStart) reasons.push(`line ${goStart.no}: Go traceback starts ("${goStart.text.slice(0, 60)}")`);
  return { traceback, maps, reasons };
}
