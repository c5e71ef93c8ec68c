import { TextLine } from '../text-lines';
import { ChangeLog } from './clean-lines';

/**
 * Line numbers a viewer copied with the text: GitHub Actions' log page (` 13043 2024-08-09T01:45:13Z ..`),
 * an editor's or a table's numbered column (`1\t#00 pc ..`), and a copy that glued them to a
 * logcat date (`20408-07 15:31:54.280 ..` is line 204 of 08-07). A number alone proves nothing
 * (a frame index, a count), so only a run of at least RUN lines that count up by one each is
 * taken for such a column (two suffice when each is plainly one: a tab after it, no crash line
 * starts `12<tab>`; glued to a logcat date; before a timestamp);
 * the number and one separator are removed, the rest is left whole.
 */
const SEPARATED = /^\s*(\d{1,7})(?:[\t ]|$)/;
/** Glued to a logcat date: the date is `MM-DD hh:mm:ss`, the digits before its month are the number. */
const GLUED = /^\s*(\d{1,7}?)(?=\d\d-\d\d \d\d:\d\d:\d\d)/;
const RUN = 3;
const TIMESTAMP = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/;

interface Numbered {
  value: number;
  length: number; // characters removed
  plain: boolean; // a tab after it, glued to a date, or a timestamp after it
}

function numberOf(text: string): Numbered | undefined {
  const sep = SEPARATED.exec(text);
  const m = sep ?? GLUED.exec(text);
  if (!m) return undefined;
  const plain = !sep || m[0].endsWith('\t') || TIMESTAMP.test(text.slice(m[0].length));
  return { value: Number(m[1]), length: m[0].length, plain };
}

/** `lines` without a copied line-number column, and per line whether it had one. */
export function stripLineNumbers(lines: TextLine[], log: ChangeLog): { lines: TextLine[]; stripped: boolean[] } {
  const stripped: boolean[] = new Array(lines.length).fill(false);
  const nums = lines.map((l) => numberOf(l.text));
  let out: TextLine[] | undefined;
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (nums[j] && nums[j + 1] && nums[j + 1]!.value === nums[j]!.value + 1) j++;
    const plain = nums.slice(i, j + 1).every((n) => n?.plain);
    if (nums[i] && j - i + 1 >= (plain ? 2 : RUN)) {
      out ??= [...lines];
      for (let k = i; k <= j; k++) {
        out[k] = { no: lines[k].no, text: lines[k].text.slice(nums[k]!.length) };
        stripped[k] = true;
        log.note('removed copied line numbers', lines[k].no);
      }
    }
    i = j + 1;
  }
  return { lines: out ?? lines, stripped };
}
