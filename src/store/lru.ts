/** A small least-recently-used map. */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  /** The value of `key`, now the most recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  /** Sets `key`, evicting the least recently used entry past the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
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
