import type { VisitorTokenClaims } from "../contract/s2s.ts";
import type { HistoryIndex, Owner, Viewer } from "../domain/visibility.ts";
import type { SigningKeys } from "../identity/signing_keys.ts";
import type { TestClock } from "../domain/test_clock.ts";
import type { VerifyOptions } from "../identity/visitor_token.ts";
import type { CredentialRecord, SessionRecord, Store } from "../store/store.ts";
import type { Route } from "./router.ts";

/** Settings of the application that do not come from the store. */
export interface AppConfig {
  /** The `iss` of visitor tokens. */
  issuer: string;
  /** Lifetime of minted visitor tokens, in seconds (300 to 900). */
  visitorTokenLifetime: number;
  /** How long a request body may take to arrive, in milliseconds; `LIMITS.bodyReadMs` when absent. */
  bodyReadTimeoutMs?: number;
}

/** Checks a visitor token for a site; throws an `AppError` when it must be refused. */
export type VisitorTokenVerifier = (token: string, options: VerifyOptions) => Promise<VisitorTokenClaims>;

/** The visibility rules: which conversations a session may see, and where its history is filed. */
export interface VisibilityPolicy {
  canSee(viewer: Viewer, owner: Owner): boolean;
  historyOf(viewer: Viewer): HistoryIndex;
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
  /** The visitor token verifier; by default the contract's, with `keys`. */
  verifyVisitorToken?: VisitorTokenVerifier;
  /** The visibility rules; by default the contract's (`src/domain/visibility.ts`). */
  visibility?: VisibilityPolicy;
  /** The clock tests move (`--test-clock`): `now` reads it, and `/api/test/clock` is served. */
  testClock?: TestClock;
}

/** Who a request is, by security scheme. */
export interface Principals {
  none: undefined;
  s2s: CredentialRecord;
  admin: CredentialRecord;
  session: SessionRecord;
  /** A widget session, expired ones included: for logging out. */
  endingSession: SessionRecord;
}

/** A route of this application. */
export type AppRoute = Route<Principals>;
