import { TextLine } from '../text-lines';
import { ChangeLog } from './clean-lines';

/**
 * Escapes that tools put into a crash text, undone:
 * - a whole crash in one line of a JSON log (`"msg":"panic: x\n\ngoroutine 1 [running]:\n..."`);
 * - terminal colour codes (CI logs), HTML entities (copied from a web page's source);
 * - Markdown backslash escapes (`\#00 pc`, `\*\*\* \*\*\*`, `\_\_libc\_start\_main`) that
 *   rich-text editors add;
 * - syslog's octal escapes for control characters (rsyslog writes a tab as `#011`).
 */

/** A JSON string's newlines only count when there are several and they break crash-shaped lines. */
const ESCAPED_BREAKS = /\\n(?:\\t|\\n| {2}|#|goroutine |\w)/;

export function splitEscapedNewlines(lines: TextLine[], log: ChangeLog): TextLine[] {
  if (!lines.some((l) => l.text.includes('\\n'))) return lines;
  const out: TextLine[] = [];
  for (const line of lines) {
    const t = line.text;
    if (count(t, '\\n') < 3 || !ESCAPED_BREAKS.test(t)) {
      out.push(line);
      continue;
    }
    log.note('split a JSON-escaped text at its \\n escapes', line.no);
    // The whole line is one JSON string's content: undo its escapes in one pass.
    const decoded = t.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
      c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '' : c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c,
    );
    for (const part of decoded.split('\n')) out.push({ no: line.no, text: part });
  }
  return out;
}

function count(text: string, what: string): number {
  let n = 0;
  for (let i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length)) n++;
  return n;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d{1,6}|#x[0-9a-f]{1,6});/gi;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Markdown's escapable punctuation that crash texts use. */
const MD_ESCAPE = /\\([#*_[\]<>|`~])/g;
/** A `\#` where Markdown would have escaped it (a line's first `#`), or a run of escaped stars. */
const MD_EVIDENCE = /(?:^|\s)\\#|\\\*\\\*|\\_\\_|\\_\w/m;
const SYSLOG_OCTAL = /#(0[0-3][0-7])/g;

export function unescapeLines(lines: TextLine[], log: ChangeLog, which: 'markup' | 'syslog'): TextLine[] {
  if (which === 'syslog') {
    // The same array when nothing was decoded: the caller's second prefix pass runs only
    // after a decode (every tombstone `#00 pc` line holds a `#0`).
    if (!lines.some((l) => /#0[0-3][0-7]/.test(l.text))) return lines;
    return lines.map((line) => {
      if (!/#0[0-3][0-7]/.test(line.text)) return line;
      // rsyslog's escape of a control character: #011 is a tab (never a tombstone frame: those have two digits).
      const text = line.text.replace(SYSLOG_OCTAL, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
      log.note('decoded syslog #011-style escapes', line.no);
      return { no: line.no, text };
    });
  }
  const markdown = lines.some((l) => l.text.includes('\\') && MD_EVIDENCE.test(l.text));
  return lines.map((line) => {
    let text = line.text;
    if (text.includes('\x1b')) {
      const t = text.replace(ANSI, '');
      if (t !== text) log.note('removed terminal colour codes', line.no);
      text = t;
    }
    if (text.includes('&')) {
      const t = text.replace(ENTITY, (e) => {
        const name = e.slice(1, -1).toLowerCase();
        if (NAMED[name]) return NAMED[name];
        const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : e;
      });
      if (t !== text) log.note('decoded HTML entities (&gt; &amp; ...)', line.no);
      text = t;
    }
    // A Windows path keeps its backslashes (`C:\_build`): only lines without one are unescaped.
    if (markdown && text.includes('\\') && !/[A-Za-z]:\\|\\\\/.test(text)) {
      const t = text.replace(MD_ESCAPE, '$1');
      if (t !== text) log.note('removed Markdown backslash escapes (\\# \\* \\_)', line.no);
      text = t;
    }
    return text === line.text ? line : { no: line.no, text };
  });
}
