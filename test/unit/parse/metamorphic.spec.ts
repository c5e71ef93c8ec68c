import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { RawFrame, ThreadTrace } from '../../../src/model/crash-report';
import { cleanText, parseInput } from '../../../src/parse/parse-input';

/**
 * Metamorphic tests over the whole corpus (test/fixtures/corpus): what log pipes, chat
 * tools and Markdown do to a crash text must not change the frames read from it. Each
 * text is damaged one way at a time (a log prefix of each layout on every line, `> `
 * quoting, `#` escaped as `\#`, indentation stripped, code fences around it, cut down to
 * one stack) and its frames (and mappings) compared with those of the text as stored.
 * Line numbers are not compared (a fence adds a line); everything a frame says is.
 */
const ROOT = join(__dirname, '../../fixtures/corpus');
const files = readdirSync(ROOT)
  .flatMap((dir) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.txt')).map((f) => `${dir}/${f.slice(0, -4)}`))
  .sort();

const lines = (text: string) => text.replace(/\n$/, '').split('\n');
const perLine = (f: (l: string, i: number) => string) => (text: string) => `${lines(text).map(f).join('\n')}\n`;

/** Each damage as real tools do it; `prefix` ones put the same text before every line. */
const DAMAGE: Record<string, (text: string) => string> = {
  'logcat threadtime': perLine((l) => `05-07 09:34:39.452 19923 19923 F DEBUG   : ${l}`),
  'Eclipse/DDMS logcat': perLine((l) => `11-07 17:11:58.201: A/libc(29986): ${l}`),
  'Android Studio columns': perLine((l) => `2023-01-10 15:05:28.927 10123-10123 DEBUG                   crash_dump64                         A  ${l}`),
  // rsyslog writes a tab as #011.
  'journald/syslog with #011': perLine((l) => `Jan 15 05:40:45 host containerd[501]: ${l.replace(/\t/g, '#011')}`),
  'kubectl/docker --timestamps': perLine((l, i) => `2023-01-02T03:04:${String(5 + (i % 50)).padStart(2, '0')}.678901234Z ${l}`),
  'ISO CI prefix': perLine((l) => `[2023-01-02T03:04:05.678Z] ${l}`),
  '"> " quoting': perLine((l) => `> ${l}`),
  '"#" escaped as "\\#"': perLine((l) => l.replace(/(^|\s)#/g, '$1\\#')),
  'indentation stripped': perLine((l) => l.trimStart()),
  'code fences': (text) => `\`\`\`\n${text}\`\`\`\n`,
};

interface Read {
  frames: string[];
  mappings: string[];
}

/**
 * What a frame says, without where it said it. Given the text's lines, a pc is kept only
 * when the frame's own lines print it (hs_err's header lends its pc= to the top frame:
 * a cut without the header cannot know it).
 */
function sig(f: RawFrame, text?: string[]): string {
  const inl = (f.inlined ?? []).map((c) => `${c.function}@${c.file}:${c.line}`).join(';');
  const h = (v: bigint | undefined) => (v === undefined ? '' : v.toString(16));
  const own = text ? `${text[f.inputLine - 1]} ${text[f.inputLine] ?? ''}`.toLowerCase() : undefined;
  const pc = f.pc !== undefined && (!own || own.includes(h(f.pc))) ? h(f.pc) : '';
  return [f.kind, pc, f.module ?? '', h(f.moduleOffset), f.function ?? '', f.file ?? '', f.line ?? '', h(f.entryOffset), f.buildId ?? '', inl].join('|');
}

function read(text: string, own?: string[]): Read | Error {
  try {
    const { report } = parseInput({ paste: text });
    const threads: ThreadTrace[] = [...report.goroutines, ...(report.threads ?? [])];
    return {
      frames: threads.flatMap((t) => t.frames.map((f) => sig(f, own))),
      mappings: report.mappings.map((m) => `${m.start.toString(16)}-${m.end.toString(16)} ${m.path}`),
    };
  } catch (e) {
    return e as Error;
  }
}

const readable = files.filter((f) => !(read(readFileSync(join(ROOT, `${f}.txt`), 'utf8')) instanceof Error));

it('the corpus is read before it is damaged (and has the texts of every category)', () => {
  expect(readable.length).toBeGreaterThanOrEqual(90);
  expect(new Set(readable.map((f) => f.split('/')[0])).size).toBeGreaterThanOrEqual(9);
});

describe.each(Object.keys(DAMAGE))('%s', (damage) => {
  it.each(readable)('%s: same frames', (name) => {
    const text = readFileSync(join(ROOT, `${name}.txt`), 'utf8');
    const clean = read(text) as Read;
    const damaged = read(DAMAGE[damage](text));
    expect(damaged).not.toBeInstanceOf(Error);
    expect((damaged as Read).frames).toEqual(clean.frames);
    expect((damaged as Read).mappings).toEqual(clean.mappings);
  });
});

/**
 * Cut to a section: each stack alone, from its first frame line to its last (its
 * header, the text around it and the other stacks gone), reads the same frames.
 */
describe('cut to one stack', () => {
  it.each(readable)('%s: each stack alone reads its own frames', (name) => {
    const text = readFileSync(join(ROOT, `${name}.txt`), 'utf8');
    const { report } = parseInput({ paste: text });
    const all = lines(text);
    const cleaned = new Map(cleanText(text).map((l) => [l.no, l.text.trim()]));
    for (const t of [...report.goroutines, ...(report.threads ?? [])]) {
      // hs_err's header names the problematic frame in a `#` line: a header, not a stack to cut.
      if (t.frames.length === 0 || t.frames.every((f) => cleaned.get(f.inputLine)?.startsWith('#'))) continue;
      // A Go call line without its file line (`runtime.throw(...)` cut short) is no frame out of context.
      const lead = t.frames.findIndex((f) => !(f.kind === 'go' && f.file === undefined && f.pc === undefined));
      const frames = t.frames.slice(Math.max(lead, 0));
      if (frames.length === 0) continue;
      // Inlined calls are printed above the frame that owns them; a Go frame's file line follows its function line.
      const first = Math.min(...frames.flatMap((f) => [f.inputLine, ...(f.inlined ?? []).map((c) => c.inputLine)]));
      const last = Math.max(...frames.map((f) => f.inputLine + (f.file !== undefined && f.kind === 'go' ? 1 : 0)));
      if (last === first) continue; // one line alone is not a section
      const cut = `${all.slice(first - 1, last).join('\n')}\n`;
      const got = read(cut, all.slice(first - 1, last));
      const want = frames.map((f) => sig(f, all));
      expect([t.name, got instanceof Error ? got.message : got.frames]).toEqual([t.name, want]);
    }
  });
});

it('a Go trace pasted from a "created by" line on reads the goroutines after it', () => {
  const text = readFileSync(join(ROOT, 'excerpts/goloader116-starts-at-frame-created-by.txt'), 'utf8');
  const all = lines(text);
  const from = all.findIndex((l) => l.startsWith('created by '));
  const { report } = parseInput({ paste: `${all.slice(from).join('\n')}\n` });
  const whole = parseInput({ paste: text }).report;
  expect(report.goroutines.map((g) => [g.name, g.frames.map((f) => sig(f))])).toEqual(
    whole.goroutines.filter((g) => g.name === 'goroutine 19').map((g) => [g.name, g.frames.map((f) => sig(f))]),
  );
});
