import fc from 'fast-check';
import { fileName, MAX_KEY_BYTES, nameKey } from '../../../src/symbol-store/name-key';

describe('nameKey: a file name as one index path component', () => {
  it('keeps short names readable and reversible', () => {
    for (const n of ['libcrashy.so', 'libc.so.6', 'a b%c', 'ünïcode.so']) expect(decodeURIComponent(nameKey(n))).toBe(n);
    expect(nameKey('.')).toBe('%2E');
    expect(nameKey('..')).toBe('%2E%2E');
  });

  it('a lone surrogate (a JSON \\ud800 escape in a maps path) is a key, not a URIError', () => {
    expect(nameKey('lib\ud800.so')).toBe(nameKey('lib\ufffd.so'));
  });

  it('any name: at most MAX_KEY_BYTES of [A-Za-z0-9%~._!*()\'-], no separator, stable, and distinct names get distinct keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 400 }), (a, b) => {
        const k = nameKey(a);
        expect(Buffer.byteLength(k)).toBeLessThanOrEqual(MAX_KEY_BYTES);
        expect(k).toMatch(/^[A-Za-z0-9%~._!*()'-]*$/);
        expect(k).not.toMatch(/%.?$/); // never a cut escape
        expect(nameKey(a)).toBe(k);
        if (a !== b) expect(nameKey(b)).not.toBe(k);
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  it('long names that share a prefix stay apart', () => {
    const base = '€'.repeat(150);
    expect(nameKey(`${base}a`)).not.toBe(nameKey(`${base}b`));
    expect(nameKey('%'.repeat(100))).toMatch(/^(%25)+~[0-9a-f]{32}$/);
  });
});

describe('fileName: an upload name as stored', () => {
  it('is the base name, whole up to a real file name length, without control characters', () => {
    expect(fileName('../../etc/x.so')).toBe('x.so');
    expect(fileName(`lib${'x'.repeat(250)}.so`)).toHaveLength(256);
    expect(fileName('a\nb')).toBe('a_b');
    expect(fileName('')).toBe('unnamed');
    expect(Array.from(fileName('🦀'.repeat(2000)))).toHaveLength(1024);
  });
});
