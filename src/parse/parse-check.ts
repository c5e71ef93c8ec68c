import { CrashInput, parseInput } from './parse-input';

/** What the API learns of a text before it queues the job: it parses (else a ParseError with its line), and its size in frames. */
export interface ParseCheck {
  frames: number;
}

export function checkParse(input: CrashInput): ParseCheck {
  const { report } = parseInput(input);
  return { frames: [...report.goroutines, ...(report.threads ?? [])].reduce((n, t) => n + t.frames.length, 0) };
}
