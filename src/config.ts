import { parseArgs } from "node:util";
import { checkVisitorTokenLifetime, VISITOR_TOKEN_LIFETIME } from "./domain/lifetime.ts";

/** How the reference server is started. */
export interface ServerConfig {
  hostname: string;
  port: number;
  /** Directory of the store and of `dev.env`, or `":memory:"` for a store that dies with the process. */
  dataDir: string;
  issuer: string;
  visitorTokenLifetime: number;
  /** The URL written to `dev.env` and shown at start-up; defaults to `http://localhost:<port>`. */
  publicUrl: string | undefined;
}

/** The issuer used when `SETCHAT_ISSUER` is not set. */
export const DEFAULT_ISSUER = "setchat-reference";

/** Reads the server configuration from flags first, then environment variables, then defaults. */
export function parseServerConfig(args: string[], env: (name: string) => string | undefined): ServerConfig {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      data: { type: "string" },
    },
    strict: true,
  });
  const portText = values.port ?? env("PORT") ?? "8787";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot use port "${portText}": it must be a whole number from 0 to 65535`);
  }
  const ttlText = env("SETCHAT_VISITOR_TOKEN_TTL");
  return {
    hostname: values.host ?? env("HOST") ?? "127.0.0.1",
    port,
    dataDir: values.data ?? env("SETCHAT_DATA_DIR") ?? ".setchat",
    issuer: env("SETCHAT_ISSUER") ?? DEFAULT_ISSUER,
    visitorTokenLifetime: ttlText === undefined
      ? VISITOR_TOKEN_LIFETIME.default
      : checkVisitorTokenLifetime(Number(ttlText)),
    publicUrl: env("SETCHAT_PUBLIC_URL"),
  };
}
