/**
 * The resolve cache: (build-id, object file, lookup address) -> answer, bounded.
 * Nested maps, so a probe builds no key string (build-id, then file, then the bigint
 * address). Two generations instead of a strict LRU: a hit in the young generation
 * costs three Map.get and nothing else (no delete + re-insert per hit); a hit in the
 * old one is copied to the young; when the young is full it becomes the old and the
 * previous old is dropped. So an entry used once per generation survives (second
 * chance) and at most `capacity` entries are held.
 */
type Table<V> = Map<string, Map<string, Map<bigint, V>>>;

export class SymbolCache<V> {
  private young: Table<V> = new Map();
  private old: Table<V> = new Map();
  private youngSize = 0;
  private oldSize = 0;
  private readonly generation: number;
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  /** The cached answer, or undefined when there is none (callers store misses as null). */
  get(buildId: string, object: string, address: bigint): V | undefined {
    const v = this.young.get(buildId)?.get(object)?.get(address);
    if (v !== undefined) {
      this.hits++;
      return v;
    }
    const o = this.old.get(buildId)?.get(object)?.get(address);
    if (o !== undefined) {
      this.hits++;
      this.set(buildId, object, address, o);
      return o;
    }
    this.misses++;
    return undefined;
  }

  set(buildId: string, object: string, address: bigint, value: V): void {
    let byObject = this.young.get(buildId);
    if (!byObject) this.young.set(buildId, (byObject = new Map()));
    let byAddress = byObject.get(object);
    if (!byAddress) byObject.set(object, (byAddress = new Map()));
    const before = byAddress.size;
    byAddress.set(address, value);
    if (byAddress.size > before && ++this.youngSize >= this.generation) {
      this.old = this.young;
      this.oldSize = this.youngSize;
      this.young = new Map();
      this.youngSize = 0;
    }
  }

  /** Entries held (an entry promoted from the old generation may be counted twice until it is dropped). */
  get size(): number {
    return this.youngSize + this.oldSize;
  }
}
