import { TextLine } from '../text-lines';
import { ChangeLog } from './clean-lines';

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
  // Android Studio: `2022-06-02 17:30:39.689 9447-9447/? A/DEBUG: `; 1.x wrote a fullwidth `﹕` (U+FE55).
  { name: 'logcat (studio)', re: /^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\d+-\d+\/\S+ [VDIWEFA]\/[^:\uFE55]*[:\uFE55] ?/ },
  // Android Studio's logcat columns: `2023-01-10 15:05:28.927 10123-10123 DEBUG   crash_dump64   A  `.
  { name: 'logcat (Android Studio columns)', re: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\d+-\d+\s+\S+\s+\S+\s+[VDIWEFA]\s+/ },
  // ... the same with the time but no date: `17:41:32.233 DEBUG   pid-7355   A  `.
  { name: 'logcat (Android Studio columns)', re: /^\d\d:\d\d:\d\d\.\d{3}\s+\S+\s+\S+\s+[VDIWEFA]\s{2,}/ },
  // ... the same copied without its date: `DEBUG   pid-21182   A   `.
  { name: 'logcat (Android Studio columns)', re: /^\S+\s+pid-\d+\s+[VDIWEFA]\s+/ },
  // adb logcat -v time / brief, Eclipse/DDMS: `12-06 12:28:48.421 I/DEBUG   (141): `, `11-07 17:11:58.201: A/libc(29986): `.
  { name: 'logcat time', re: /^(?:(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}:? )?[VDIWEFA]\/[^(]*\(\s*\d+\): ?/ },
  // adb logcat -v brief without the pid (Android Studio's "tag only" copy): `I/DEBUG: `, `A/libc: `.
  { name: 'logcat brief', re: /^[VDIWEFA]\/[A-Za-z][\w.-]*: / },
  // Log viewers that spell the level out: `2021/11/15 17:53:41.599 20401 20620 Error CRASH   `.
  { name: 'logcat (level word)', re: /^\d{4}[-/]\d\d[-/]\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ +(?:Verbose|Debug|Info|Warn|Warning|Error|Fatal|Assert) +\S+ +/ },
  // Crash-reporter exports: `2026-05-23 21:48:15.212 10349 31024 31024 net.pkg DEBUG: `.
  { name: 'logcat (uid pid tid package)', re: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ \d+ \d+ \S+ [A-Z]+: ?/ },
  // syslog (RFC 3164) and journald's short form: `Mar 04 10:11:12 host unit[123]: `, with a priority `<13>` or not.
  { name: 'syslog/journald', re: /^(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ [^\s:[]+(?:\[\d+\])?: ?/ },
  // journalctl's short form with the host left out (`-o short` piped through some collectors): `May 03 16:11:34 containerd[19317]: `.
  // The [pid] is required: without a host, a bare `word: ` after the time could be the crash's own text.
  { name: 'journald (no host)', re: /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? [^\s:[]+\[\d+\]: ?/ },
  // syslog (RFC 5424): `<34>1 2003-10-11T22:14:15.003Z host app 1234 ID47 - `.
  { name: 'syslog (RFC 5424)', re: /^<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?/ },
  // journalctl -o short-iso: `2023-01-02T03:04:05+0000 host unit[123]: `.
  { name: 'journald (ISO time)', re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) \S+ [^\s:[]+\[\d+\]: ?/ },
  // CRI / containerd log files: `2023-01-02T03:04:05.678Z stderr F `.
  { name: 'container log (CRI)', re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) std(?:out|err) [FP] / },
  // kubectl logs --timestamps, docker logs -t, GitHub Actions: RFC 3339 then a space.
  { name: 'RFC 3339 timestamp', re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) / },
  // Go's log package and most loggers: `2019/04/30 12:14:40 ` or `2019-04-30 12:14:40.123 `.
  { name: 'timestamp', re: /^\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? / },
  // Jenkins and friends: `[2023-01-02T03:04:05.678Z] `, `[12:34:56] `.
  // Servers' loggers chain more bracketed fields after it: SRS `[2023-03-03 10:55:38.405][ERROR][1][a7557lwr][0] `.
  { name: 'bracketed timestamp', re: /^\[(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\](?:\[[\w.-]{1,40}\])* / },
  // Android's and glog's source location: `art/runtime/runtime.cc:366] `, `F0102 03:04:05.678901  1234 file.cc:42] `.
  // Logcat's continuation indent may come before it (Android Studio aligns wrapped messages).
  { name: 'source location (ART/glog)', re: /^\s*(?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ )?[\w/.+-]+\.(?:cc|cpp|cxx|c|h):\d+\](?:\s|$)/ },
  // docker compose: `service-1  | `.
  { name: 'docker compose', re: /^[A-Za-z0-9][\w.-]*\s+\| / },
  { name: 'stderr:/stdout:', re: /^(?:stderr|stdout|STDERR|STDOUT): ?/ },
  // Build tools that run the program: Maven `[INFO] `, Ant's task name `    [java] `, Gradle's `[ERROR] `.
  { name: 'build tool', re: /^\s*\[(?:INFO|WARNING|WARN|ERROR|DEBUG|java|junit|exec)\](?: |$)/ },
];

/** The longest head of a line a prefix is looked for in (the longest real one is ~120 characters). */
const PREFIX_HEAD = 512;
/** All of them in one test: most lines carry none, and pay one regex, not eighteen. */
const ANY_PREFIX = new RegExp(`^(?:${PREFIXES.map((p) => p.re.source.slice(1)).join('|')})`);

export interface StrippedLines {
  lines: TextLine[];
  /** Per line (same index): did it carry a prefix (a line among prefixed ones without one may be a logger's wrap). */
  prefixed: boolean[];
}

export function stripLogPrefixes(input: TextLine[], log: ChangeLog): StrippedLines {
  const prefixed: boolean[] = new Array(input.length).fill(false);
  const lines = input.map((line, i) => {
    let text = line.text;
    // A line may carry two prefixes (kubectl timestamp + `stderr:`): strip at most three.
    // Matched on the line's head only: a prefix is short, and a 5 MB line given whole to
    // these regexps overflows V8's backtracking stack.
    for (let round = 0; round < 3; round++) {
      const head = text.slice(0, PREFIX_HEAD);
      if (!ANY_PREFIX.test(head)) break;
      let length = 0;
      const hit = PREFIXES.find((p) => (length = p.re.exec(head)?.[0].length ?? 0) > 0);
      if (!hit) break;
      text = text.slice(length);
      prefixed[i] = true;
      log.note(`removed a ${hit.name} log prefix`, line.no);
    }
    return text === line.text ? line : { no: line.no, text };
  });
  return { lines, prefixed };
}
