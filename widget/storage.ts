/**
 * What the widget keeps in the browser, per site: the device credential the
 * server issued, and what the visitor typed in the pre-chat form. Nothing
 * else: sessions and history live on the server.
 */

/** What the pre-chat form collected. */
export interface PrechatData {
  name: string;
  email: string;
}

/** The widget's browser storage for one site. */
export interface WidgetStorage {
  device(): string | null;
  setDevice(credential: string): void;
  prechat(): PrechatData | null;
  setPrechat(data: PrechatData): void;
  /** Logout: forgets everything this site's widget kept on this browser. */
  forget(): void;
  /** Calls `listener` when another tab changes or forgets the device credential; returns how to stop. */
  onChange(listener: () => void): () => void;
}

/** Storage in `localStorage`, degrading to memory when the browser refuses it. */
export function localWidgetStorage(siteApiKey: string): WidgetStorage {
  const prefix = `setchat:${siteApiKey}:`;
  const memory = memoryOf(prefix);
  const get = (k: string) => {
    try {
      return localStorage.getItem(prefix + k);
    } catch {
      return memory.get(k) ?? null;
    }
  };
  const set = (k: string, v: string) => {
    try {
      localStorage.setItem(prefix + k, v);
    } catch {
      memory.set(k, v);
    }
  };
  return {
    device: () => get("device"),
    setDevice: (credential) => set("device", credential),
    prechat() {
      try {
        const data = JSON.parse(get("prechat") ?? "null");
        return data && typeof data.name === "string" && typeof data.email === "string" ? data : null;
      } catch {
        return null;
      }
    },
    setPrechat: (data) => set("prechat", JSON.stringify(data)),
    onChange(listener) {
      const handler = (e: StorageEvent) => {
        if (e.key === null || e.key === `${prefix}device`) listener();
      };
      addEventListener("storage", handler);
      return () => removeEventListener("storage", handler);
    },
    forget() {
      memory.clear();
      try {
        for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) localStorage.removeItem(key);
      } catch {
        // Storage refused: nothing was kept there.
      }
    },
  };
}

/** What the widget keeps when the browser refuses `localStorage`, by key prefix: an `init()` again finds it there. */
const memories = new Map<string, Map<string, string>>();

/** The page's memory for one site's keys. */
function memoryOf(prefix: string): Map<string, string> {
  const memory = memories.get(prefix) ?? new Map<string, string>();
  memories.set(prefix, memory);
  return memory;
}
