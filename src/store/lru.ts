/** A small least-recently-used map. */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  /** The most recently used key, while it is in the map: reading it again moves nothing. */
  #newest: K | undefined;
  #hasNewest = false;
  constructor(max: number) {
    this.#max = max;
  }
  /** The value of `key`, now the most recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined && !(this.#hasNewest && this.#newest === key)) {
      this.#map.delete(key);
      this.#map.set(key, v);
      this.#newest = key;
      this.#hasNewest = true;
    }
    return v;
  }
  /** Sets `key`, evicting the least recently used entry past the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    this.#hasNewest = true;
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
  /** Forgets `key`. */
  delete(key: K): void {
    if (this.#hasNewest && this.#newest === key) this.#forgetNewest();
    this.#map.delete(key);
  }
  /** Forgets every key. */
  clear(): void {
    this.#forgetNewest();
    this.#map.clear();
  }
  #forgetNewest(): void {
    this.#newest = undefined;
    this.#hasNewest = false;
  }
}
