/** A small least-recently-used map. */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  /**
   * The key last read or set. While it is in the map it is the most recent
   * entry (a delete takes it out, and only `set` puts it back, which makes it
   * the newest again): reading it again moves nothing.
   */
  #newest: K | undefined;
  constructor(max: number) {
    this.#max = max;
  }
  /** The value of `key`, now the most recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined && key !== this.#newest) {
      this.#map.delete(key);
      this.#map.set(key, v);
      this.#newest = key;
    }
    return v;
  }
  /** Sets `key`, evicting the least recently used entry past the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
  /** Forgets `key`. */
  delete(key: K): void {
    this.#map.delete(key);
  }
  /** Forgets every key. */
  clear(): void {
    this.#map.clear();
  }
}
