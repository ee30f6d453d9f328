/**
 * What this widget keeps on the browser, per site, in one `localStorage`
 * entry: the device credential the server issued and what the pre-chat form
 * collected. Every tab of the browser shares it.
 */

/** What the pre-chat form collected. */
export interface FormData {
  name: string;
  email: string;
}

interface Kept {
  device?: string;
  form?: FormData;
}

/** What is kept when the browser refuses `localStorage`, by key: the page's memory, for every `init()`. */
const fallbacks = new Map<string, Kept>();

/** The browser's memory for one site. */
export class Keeper {
  readonly key: string;

  constructor(siteApiKey: string) {
    this.key = "sc-independent/" + siteApiKey;
  }

  get #fallback(): Kept {
    return fallbacks.get(this.key) ?? {};
  }

  set #fallback(kept: Kept) {
    fallbacks.set(this.key, kept);
  }

  #read(): Kept {
    try {
      const raw = localStorage.getItem(this.key);
      return raw ? JSON.parse(raw) as Kept : {};
    } catch {
      return this.#fallback;
    }
  }

  #write(kept: Kept): void {
    try {
      if (kept.device === undefined && kept.form === undefined) localStorage.removeItem(this.key);
      else localStorage.setItem(this.key, JSON.stringify(kept));
    } catch {
      this.#fallback = kept;
    }
  }

  device(): string | undefined {
    return this.#read().device;
  }

  keepDevice(device: string): void {
    this.#write({ ...this.#read(), device });
  }

  forgetDevice(): void {
    const { form } = this.#read();
    this.#write(form ? { form } : {});
  }

  form(): FormData | undefined {
    const form = this.#read().form;
    return form && typeof form.name === "string" && typeof form.email === "string" ? form : undefined;
  }

  keepForm(form: FormData): void {
    this.#write({ ...this.#read(), form });
  }

  forgetForm(): void {
    const { device } = this.#read();
    this.#write(device ? { device } : {});
  }
}
