import { FormatReader, LineShape } from './format-reader';
import { clip, TextLine } from './text-lines';

/**
 * One paste can hold several crash texts one after the other, in any order, each
 * whole or cut: a Go traceback, a maps snapshot, an hs_err log, a tombstone, a
 * sanitizer report. Detection goes by the shape of each line (format-reader.ts):
 *
 *  1. a line the current section's reader knows as a head or strong line stays;
 *  2. another reader's head opens a section of that format;
 *  3. a line the current reader knows at all (weak) stays;
 *  4. another reader's strong line (a frame line only it prints) opens its section:
 *     this is how an excerpt without its header finds its reader;
 *  5. anything else stays where it is (readers skip what they do not know).
 *
 * A reader marked `strict` (maps) holds only its own lines: the first other line ends
 * its section and the text goes back to the section before. Lines before the first
 * section join it when they are its shapes, else form a section of the format their
 * shapes score highest. A section a refining reader scores higher (gccgo vs Go) is
 * read by it. Line numbers stay those of the request; `reasons` say what was decided.
 */
export interface PasteSection {
  reader: FormatReader;
  lines: TextLine[];
}

export interface PasteSections {
  sections: PasteSection[];
  reasons: string[];
}

/** The shapes of one reader compiled once: one regex per role, one for all. */
interface CompiledReader {
  reader: FormatReader;
  head?: Tester;
  headOrStrong?: Tester;
  strong?: Tester;
  any: Tester;
}

interface Tester {
  test(text: string): boolean;
}

/** Shapes joined into one alternation per case rule: most lines fail one test, not twenty. */
function combine(shapes: LineShape[]): Tester | undefined {
  if (shapes.length === 0) return undefined;
  const join = (list: LineShape[], flags: string) =>
    list.length === 0 ? undefined : new RegExp(list.map((s) => `(?:${s.re.source})`).join('|'), flags);
  const folded = join(shapes.filter((s) => s.re.flags.includes('i')), 'i');
  const exact = join(shapes.filter((s) => !s.re.flags.includes('i')), '');
  return { test: (text) => (exact?.test(text) ?? false) || (folded?.test(text) ?? false) };
}

export class SectionDetector {
  private readonly compiled: CompiledReader[];
  /** Every reader's heads (resp. strong lines, all shapes) in one test. */
  private readonly anyHead?: Tester;
  private readonly anyStrong?: Tester;
  private readonly anyShape?: Tester;
  /** Heads that start a report, anywhere in a line (a crash glued to prose). */
  private readonly glued?: RegExp;

  constructor(readers: FormatReader[]) {
    this.compiled = readers.map((reader) => {
      const of = (...roles: LineShape['role'][]) => combine(reader.shapes.filter((s) => roles.includes(s.role)));
      return { reader, head: of('head'), headOrStrong: of('head', 'strong'), strong: of('strong'), any: of('head', 'strong', 'weak')! };
    });
    const all = (role: LineShape['role']) => combine(readers.filter((r) => !r.refines).flatMap((r) => r.shapes.filter((s) => s.role === role)));
    this.anyHead = all('head');
    this.anyStrong = all('strong');
    this.anyShape = combine(readers.flatMap((r) => r.shapes));
    const glues = readers.flatMap((r) => r.shapes.filter((s) => s.glues));
    // Unanchored: drop each alternative's `^` (never one inside a class like `[^\]]`).
    if (glues.length > 0) this.glued = new RegExp(`(^|[\\s,;:.!?'"(])(?:${glues.map((s) => s.re.source.replace(/(^|\|)\^/g, '$1')).join('|')})`);
  }

  headAt(text: string): number {
    const m = this.glued?.exec(text);
    return m ? m.index + m[1].length : -1;
  }

  /** A head or strong line of any reader (cleaning: a crash line is never split as prose). */
  opens(text: string): boolean {
    const t = text.trim();
    return (this.anyHead?.test(t) ?? false) || (this.anyStrong?.test(t) ?? false);
  }

  /** Does any reader know this line (cleaning uses it to tell a wrapped line from a whole one)? */
  recognizes(text: string): boolean {
    return this.anyShape?.test(text.trim()) ?? false;
  }

  split(lines: TextLine[]): PasteSections {
    const sections: PasteSection[] = [];
    const reasons: string[] = [];
    let current: CompiledReader | undefined;
    let section: PasteSection | undefined;
    let resume: PasteSection | undefined; // the section a strict one interrupted
    let lead: TextLine[] = [];

    const open = (c: CompiledReader, line: TextLine, why: string) => {
      resume = c.reader.strict && section && !section.reader.strict ? section : undefined;
      current = c;
      section = { reader: c.reader, lines: [] };
      sections.push(section);
      reasons.push(`line ${line.no}: ${c.reader.description} starts (${why}: "${clip(line.text.trim(), 60)}")`);
    };

    for (const line of lines) {
      const t = line.text.trim();
      if (t === '') {
        (section?.lines ?? lead).push(line);
        continue;
      }
      if (current?.headOrStrong?.test(t)) {
        section!.lines.push(line);
        continue;
      }
      const head = this.anyHead?.test(t) ? this.owner(t, 'head') : undefined;
      if (head && head !== current) {
        open(head, line, 'its header');
        section!.lines.push(line);
        continue;
      }
      if (current?.any.test(t)) {
        section!.lines.push(line);
        continue;
      }
      const strong = this.anyStrong?.test(t) ? this.owner(t, 'strong') : undefined;
      if (strong && strong !== current) {
        open(strong, line, 'a line only it prints, no header before it');
        section!.lines.push(line);
        continue;
      }
      if (current?.reader.strict) {
        // maps lines are islands: the text around them goes on where it was.
        current = resume ? this.compiledOf(resume.reader) : undefined;
        section = resume;
        resume = undefined;
      }
      (section?.lines ?? lead).push(line);
    }

    if (lead.some((l) => l.text.trim() !== '')) this.placeLead(lead, sections, reasons);
    for (const s of sections) this.refine(s, reasons);
    return { sections, reasons };
  }

  /** Lines before the first section (a trace pasted from its middle, prose before it). */
  private placeLead(lead: TextLine[], sections: PasteSection[], reasons: string[]): void {
    const first = sections[0];
    const score = new Map<CompiledReader, number>();
    for (const l of lead) {
      const t = l.text.trim();
      if (t === '') continue;
      for (const c of this.compiled) if (!c.reader.refines && c.any.test(t)) score.set(c, (score.get(c) ?? 0) + 1);
    }
    const best = [...score].sort((a, b) => b[1] - a[1])[0];
    // Only weak shapes (a shell's `# go run a.go` is hs_err's `#` line) prove no section: prose before the first one.
    const proven = best !== undefined && lead.some((l) => best[0].headOrStrong?.test(l.text.trim()));
    if (first && (!best || best[0].reader === first.reader || !proven)) {
      first.lines.unshift(...lead);
      return;
    }
    if (!best) return;
    sections.unshift({ reader: best[0].reader, lines: lead });
    reasons.push(
      `lines ${lead[0].no}-${lead[lead.length - 1].no}: no header, read as part of a ${best[0].reader.description} ` +
        `(${best[1]} line(s) of its shapes)`,
    );
  }

  /** gccgo opens like Go: whichever reader's shapes score higher in the section reads it. */
  private refine(section: PasteSection, reasons: string[]): void {
    const refiners = this.compiled.filter((c) => c.reader.refines === section.reader.format);
    if (refiners.length === 0) return;
    const base = this.compiledOf(section.reader);
    // A sample is enough to tell them apart, and keeps a 10 MB paste linear.
    const sample = section.lines.filter((l) => l.text.trim() !== '').slice(0, 400);
    const score = (c: CompiledReader) =>
      sample.reduce((n, l) => {
        const t = l.text.trim();
        return n + (c.head?.test(t) ? 0 : c.strong?.test(t) ? 3 : c.any.test(t) ? 1 : 0);
      }, 0);
    const baseScore = score(base);
    for (const r of refiners) {
      const s = score(r);
      if (s > baseScore) {
        reasons.push(`line ${section.lines[0]?.no ?? 1}: read as a ${r.reader.description}, not a ${section.reader.description} (its line shapes score ${s} to ${baseScore})`);
        section.reader = r.reader;
        return;
      }
    }
  }

  /** Which reader a line that matched the combined regex belongs to (rare: heads and frames only). */
  private owner(text: string, role: 'head' | 'strong'): CompiledReader | undefined {
    for (const c of this.compiled) {
      if (c.reader.refines) continue;
      if ((role === 'head' ? c.head : c.strong)?.test(text)) return c;
    }
    return undefined;
  }

  private compiledOf(reader: FormatReader): CompiledReader {
    return this.compiled.find((c) => c.reader === reader)!;
  }
}
