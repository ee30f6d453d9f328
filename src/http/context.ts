import type { SigningKeys } from "../identity/signing_keys.ts";
import type { CredentialRecord, SessionRecord, Store } from "../store/store.ts";
import type { Route } from "./router.ts";

/** Settings of the application that do not come from the store. */
export interface AppConfig {
  /** The `iss` of visitor tokens. */
  issuer: string;
  /** Lifetime of minted visitor tokens, in seconds (300 to 900). */
  visitorTokenLifetime: number;
}

/** Everything the handlers depend on; tests and other implementations pass their own. */
export interface AppDeps {
  store: Store;
  keys: SigningKeys;
  config: AppConfig;
  /** The clock, in milliseconds since the epoch. */
  now: () => number;
  /** The bundled widget script, when built. */
  widgetScript?: string | null;
}

/** Who a request is, by security scheme. */
export interface Principals {
  none: undefined;
  s2s: CredentialRecord;
  admin: CredentialRecord;
  session: SessionRecord;
}

/** A route of this application. */
export type AppRoute = Route<Principals>;
