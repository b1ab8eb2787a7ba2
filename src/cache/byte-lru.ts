/**
 * A map bounded by the bytes of its values, least recently used first out, each entry kept at most `ttlMs` after
 * it was set. Pure: the clock is given. A Map keeps insertion order, so the first key is the least recently used
 * one (a hit moves its key to the end).
 */
export interface ByteLruOptions {
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly now: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
  readonly expiresAt: number;
}

export class ByteLru<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private used = 0;
  /** Entries dropped to make room (not expiries). */
  evictions = 0;

  constructor(private readonly o: ByteLruOptions) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value under `key` if it has not expired; a hit becomes the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.o.now()) {
      this.used -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` (of `bytes`), dropping the least recently used until it fits; one larger than the bound is not kept. */
  set(key: string, value: V, bytes: number, ttlMs = this.o.ttlMs): void {
    this.delete(key);
    if (bytes > this.o.maxBytes) return;
    while (this.used + bytes > this.o.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
      this.evictions++;
    }
    this.entries.set(key, { value, bytes, expiresAt: this.o.now() + ttlMs });
    this.used += bytes;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
