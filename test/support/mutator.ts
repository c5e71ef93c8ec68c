/** A small seeded PRNG (mulberry32) and text mutator for fuzz tests: reproducible by seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ' \t\n()[]{}:+=,.#/0123456789abcdefx-_|>*\'"panic goroutine SIGSEGV pc=0x ffffffffffffffffffff';

export function mutate(text: string, rnd: () => number, edits = 8): string {
  let s = text;
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = rnd();
    if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 40)); // delete a run
    else if (op < 0.6) s = s.slice(0, at) + ALPHABET[Math.floor(rnd() * ALPHABET.length)] + s.slice(at); // insert
    else if (op < 0.8) {
      const from = Math.floor(rnd() * s.length); // duplicate a slice elsewhere
      s = s.slice(0, at) + s.slice(from, from + Math.floor(rnd() * 200)) + s.slice(at);
    } else s = s.slice(0, at) + '\n' + s.slice(at); // split a line
  }
  return s;
}

export function randomText(rnd: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return s;
}
