import { TextLine } from '../text-lines';
import { ChangeLog } from './clean-lines';

/**
 * What pasting into an issue or a chat does to a crash text: code fences around it
 * (```` ``` ````, `~~~`, with or without a language) and `> ` quoting on every line
 * (nested quotes too). A fence line becomes blank, so line numbers stay.
 */
const FENCE = /^\s*(?:>\s?)*(?:`{3,}|~{3,})[\w+-]*\s*$/;
/** `> ` quoting, nested, with the blank after `>` optional; not a tombstone's `>>> name <<<`. */
const QUOTE = /^[ \t]{0,3}(?:>[ \t]?)+/;

export function removeFences(lines: TextLine[], log: ChangeLog): TextLine[] {
  return lines.map((line) => {
    if ((!line.text.includes('``') && !line.text.includes('~~')) || !FENCE.test(line.text)) return line;
    log.note('removed code fence lines', line.no);
    return { no: line.no, text: '' };
  });
}

export function unquote(lines: TextLine[], log: ChangeLog): TextLine[] {
  return lines.map((line) => {
    const t = line.text;
    if (!(t.startsWith('>') || (t.startsWith(' ') && t.trimStart().startsWith('>'))) || /^>>> \S+ <<<$/.test(t)) return line;
    const text = t.replace(QUOTE, '');
    if (text === t) return line;
    log.note('removed "> " quoting', line.no);
    return { no: line.no, text };
  });
}

/**
 * Bold markers a reporter put around part of a paste (`**Problematic frame:` ... `**`):
 * `**` opening a line before a word, closing one after a word, or standing alone. Never
 * a run of three or more (a tombstone's `*** *** ***` banner).
 */
const BOLD_OPEN = /^(\s*)\*\*(?=[^*\s])/;
const BOLD_CLOSE = /(?<=[^*\s])\*\*(\s*)$/;
const BOLD_ALONE = /^\s*\*\*\s*$/;

export function unbold(lines: TextLine[], log: ChangeLog): TextLine[] {
  return lines.map((line) => {
    const t = line.text;
    if (!t.includes('**')) return line;
    const text = BOLD_ALONE.test(t) ? '' : t.replace(BOLD_OPEN, '$1').replace(BOLD_CLOSE, '$1');
    if (text === t) return line;
    log.note('removed Markdown bold markers', line.no);
    return { no: line.no, text };
  });
}
