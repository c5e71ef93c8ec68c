import { TextLine } from './text-lines';

/**
 * Crash texts arrive through log pipes that prefix every line. Each pattern below is
 * anchored at the start and needs a timestamp or a fixed tag, so it cannot eat a
 * line of the crash itself; the line numbers stay those of the paste.
 */
const PREFIXES: Array<{ name: string; re: RegExp }> = [
  // Android Studio copy: tab-separated date, time, pid, tid, level, tag.
  { name: 'logcat (tab-separated)', re: /^\d{4}-\d\d-\d\d\t[\d:.]+\t\s*\d+\t\s*\d+\t[VDIWEFA]\t+[^\t]*\t+/ },
  // adb logcat -v threadtime: `05-07 09:34:39.452 19923 19923 F DEBUG   : `.
  { name: 'logcat threadtime', re: /^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\d+\s+\d+ [VDIWEFA] [^:]*?\s*: ?/ },
  // Android Studio: `2022-06-02 17:30:39.689 9447-9447/? A/DEBUG: `.
  { name: 'logcat (studio)', re: /^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\d+-\d+\/\S+ [VDIWEFA]\/[^:]*: ?/ },
  // adb logcat -v time / brief: `12-06 12:28:48.421 I/DEBUG   (141): `.
  { name: 'logcat time', re: /^(?:(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} )?[VDIWEFA]\/[^(]*\(\s*\d+\): ?/ },
  // Crash-reporter exports: `2026-05-23 21:48:15.212 10349 31024 31024 net.pkg DEBUG: `.
  { name: 'logcat (uid pid tid package)', re: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ \d+ \d+ \S+ [A-Z]+: ?/ },
  // journald (short): `Mar 04 10:11:12 host unit[123]: `.
  { name: 'journald', re: /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s:[]+(?:\[\d+\])?: ?/ },
  // CRI / containerd log files: `2023-01-02T03:04:05.678Z stderr F `.
  { name: 'container log (CRI)', re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) std(?:out|err) [FP] / },
  // kubectl logs --timestamps, docker logs -t: RFC 3339 then a space.
  { name: 'RFC 3339 timestamp', re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) / },
  // Go's log package and most loggers: `2019/04/30 12:14:40 ` or `2019-04-30 12:14:40.123 `.
  { name: 'timestamp', re: /^\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? / },
  // docker compose: `service-1  | `.
  { name: 'docker compose', re: /^[A-Za-z0-9][\w.-]*\s+\| / },
  { name: 'stderr:/stdout:', re: /^(?:stderr|stdout|STDERR|STDOUT): ?/ },
];

export interface StrippedLines {
  lines: TextLine[];
  /** One sentence per prefix kind that was removed, with the lines it was seen on. */
  reasons: string[];
}

export function stripLogPrefixes(input: TextLine[]): StrippedLines {
  const seen = new Map<string, { first: number; last: number; count: number }>();
  const lines = input.map((line) => {
    let text = line.text;
    // A line may carry two prefixes (kubectl timestamp + `stderr:`): strip at most three.
    for (let round = 0; round < 3; round++) {
      const hit = PREFIXES.find((p) => p.re.test(text));
      if (!hit) break;
      const stripped = text.replace(hit.re, '');
      if (stripped === text) break;
      text = stripped;
      const s = seen.get(hit.name);
      if (s) {
        s.last = line.no;
        s.count++;
      } else seen.set(hit.name, { first: line.no, last: line.no, count: 1 });
    }
    return text === line.text ? line : { no: line.no, text };
  });
  const reasons = [...seen].map(
    ([name, s]) => `lines ${s.first}-${s.last}: removed a ${name} log prefix from ${s.count} line(s)`,
  );
  return { lines, reasons };
}
