/**
 * The `.expect` file beside a corpus text: what a person reads in the text, written down
 * frame by frame, so the corpus spec can assert every frame exactly (not only counts).
 *
 *   signal SIGSEGV            the signal the text names
 *   fault 0x7f..              the faulting PC (Go `PC=` / `[signal .. pc=]`)
 *   registers 16              how many registers the text prints
 *   error 1                   the text is refused with a ParseError at this line
 *   thread goroutine 7        a thread, in input order; frames follow, indented:
 *     L12 pc=0x4a1 module=libc.so offset=0x1f inlined=a,b fn=main.main
 *
 * A key left out of a frame line means the text does not give it (the frame must not have it).
 * `fn=` runs to the end of the line (C++ names hold spaces); blank lines and `//` lines are skipped.
 */
export interface ExpectedFrame {
  inputLine: number;
  pc?: bigint;
  module?: string;
  moduleOffset?: bigint;
  function?: string;
  inlined?: string[];
}
export interface CorpusExpect {
  threads: Array<[string, number]>;
  frames: ExpectedFrame[][];
  signal?: string;
  fault?: bigint;
  registers?: number;
  error?: number;
}

export function parseExpect(text: string, where: string): CorpusExpect {
  const out: CorpusExpect = { threads: [], frames: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line.trim() === '' || line.trim().startsWith('//')) return;
    const bad = () => new Error(`${where}:${i + 1}: cannot read "${line}"`);
    if (/^\s/.test(line)) {
      const m = /^\s+L(\d+)((?: (?:pc|module|offset|inlined)=\S+)*)(?: fn=(.+))?$/.exec(line);
      if (!m || out.frames.length === 0) throw bad();
      const f: ExpectedFrame = { inputLine: Number(m[1]) };
      for (const kv of m[2].trim().split(' ').filter(Boolean)) {
        const [k, v] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
        if (k === 'pc') f.pc = BigInt(v);
        else if (k === 'offset') f.moduleOffset = BigInt(v);
        else if (k === 'module') f.module = v;
        else f.inlined = v.split(',');
      }
      if (m[3] !== undefined) f.function = m[3];
      out.frames[out.frames.length - 1].push(f);
      return;
    }
    const [key, ...rest] = line.split(' ');
    const value = rest.join(' ');
    if (key === 'thread') {
      out.threads.push([value, 0]);
      out.frames.push([]);
    } else if (key === 'signal') out.signal = value;
    else if (key === 'fault') out.fault = BigInt(value);
    else if (key === 'registers') out.registers = Number(value);
    else if (key === 'error') out.error = Number(value);
    else throw bad();
  });
  out.frames.forEach((fs, t) => (out.threads[t][1] = fs.length));
  return out;
}
