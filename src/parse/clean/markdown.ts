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
