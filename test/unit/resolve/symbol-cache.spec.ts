import { SymbolCache } from '../../../src/resolve/symbol-cache';

describe('SymbolCache (two generations, keyed by build-id, object, address)', () => {
  it('answers what was stored, per build-id and object file; counts hits and misses', () => {
    const c = new SymbolCache<string | null>(100);
    c.set('aa', '/s/aa/debuginfo', 0x10n, 'f');
    c.set('aa', '/s/aa/executable', 0x10n, null); // a miss is cached as null
    expect(c.get('aa', '/s/aa/debuginfo', 0x10n)).toBe('f');
    expect(c.get('aa', '/s/aa/executable', 0x10n)).toBeNull();
    expect(c.get('bb', '/s/aa/debuginfo', 0x10n)).toBeUndefined();
    expect(c.get('aa', '/s/aa/debuginfo', 0x11n)).toBeUndefined();
    expect([c.hits, c.misses]).toEqual([2, 2]);
    expect(c.size).toBe(2);
  });

  it('stays bounded: never more than capacity entries held', () => {
    const c = new SymbolCache<number>(10);
    for (let i = 0; i < 1000; i++) {
      c.set('id', 'f', BigInt(i), i);
      expect(c.size).toBeLessThanOrEqual(10);
    }
    expect(c.get('id', 'f', 999n)).toBe(999);
    expect(c.get('id', 'f', 0n)).toBeUndefined();
  });

  it('second chance: an entry used within a generation survives the next rotation; an unused one does not', () => {
    const c = new SymbolCache<number>(8); // generations of 4
    for (let i = 0; i < 4; i++) c.set('id', 'f', BigInt(i), i); // 0..3 rotate to the old generation
    expect(c.get('id', 'f', 1n)).toBe(1); // promoted back to the young one
    for (let i = 4; i < 7; i++) c.set('id', 'f', BigInt(i), i); // young: 1,4,5,6 -> rotates; 0,2,3 dropped
    expect(c.get('id', 'f', 1n)).toBe(1);
    expect(c.get('id', 'f', 0n)).toBeUndefined();
    expect(c.get('id', 'f', 2n)).toBeUndefined();
    expect(c.get('id', 'f', 6n)).toBe(6);
  });

  it('re-setting a held key does not count twice', () => {
    const c = new SymbolCache<number>(100);
    c.set('id', 'f', 1n, 1);
    c.set('id', 'f', 1n, 2);
    expect(c.size).toBe(1);
    expect(c.get('id', 'f', 1n)).toBe(2);
  });
});
