/**
 * Interns fixed-width tuples of u32 (a source location: function, file, line, column,
 * parent) to dense ids, in flat typed arrays with open addressing: millions of them
 * without a JS object or a string key each.
 */
export class TupleInterner {
  private data: Uint32Array;
  private table: Int32Array;
  private mask: number;
  count = 0;

  constructor(
    readonly width: number,
    capacity = 1 << 16,
  ) {
    this.data = new Uint32Array(capacity * width);
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.table = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  /** The id of `t` (its first `width` values), adding it when new. */
  intern(t: ArrayLike<number>): number {
    const w = this.width;
    let h = 0x811c9dc5;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ (t[i] >>> 0), 0x01000193);
    h ^= h >>> 15;
    let slot = h & this.mask;
    const data = this.data;
    for (;;) {
      const id = this.table[slot];
      if (id < 0) break;
      let same = true;
      const at = id * w;
      for (let i = 0; i < w; i++) {
        if (data[at + i] !== t[i] >>> 0) {
          same = false;
          break;
        }
      }
      if (same) return id;
      slot = (slot + 1) & this.mask;
    }
    const id = this.count++;
    if ((id + 1) * w > this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    for (let i = 0; i < w; i++) this.data[id * w + i] = t[i] >>> 0;
    this.table[slot] = id;
    if (this.count * 2 > this.table.length) this.rehash();
    return id;
  }

  /** The id of `t` if it was interned, else -1. */
  find(t: ArrayLike<number>): number {
    const w = this.width;
    let h = 0x811c9dc5;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ (t[i] >>> 0), 0x01000193);
    h ^= h >>> 15;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const id = this.table[slot];
      if (id < 0) return -1;
      let i = 0;
      while (i < w && this.data[id * w + i] === t[i] >>> 0) i++;
      if (i === w) return id;
    }
  }

  /** Field `field` of tuple `id`. */
  get(id: number, field: number): number {
    return this.data[id * this.width + field];
  }

  /** The tuples, `count * width` values. */
  values(): Uint32Array {
    return this.data.subarray(0, this.count * this.width);
  }

  private rehash(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const w = this.width;
    for (let id = 0; id < this.count; id++) {
      let h = 0x811c9dc5;
      for (let i = 0; i < w; i++) h = Math.imul(h ^ this.data[id * w + i], 0x01000193);
      h ^= h >>> 15;
      let slot = h & mask;
      while (table[slot] >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** Strings to dense ids (id 0 is the empty string: "no name"). */
export class StringInterner {
  private readonly ids = new Map<string, number>([['', 0]]);
  readonly list: string[] = [''];

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
}

/** A growable column of numbers (Float64 holds any address below 2^53). */
export class GrowableF64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const b = new Float64Array(this.data.length * 2);
      b.set(this.data);
      this.data = b;
    }
    this.data[this.length++] = v;
  }
}

export class GrowableU32 {
  data = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const b = new Uint32Array(this.data.length * 2);
      b.set(this.data);
      this.data = b;
    }
    this.data[this.length++] = v;
  }
}
