/// <reference lib="deno.ns" />
/**
 * The published declaration file (`widget.d.ts`) says exactly what the
 * widget's own code does: each type is checked both ways against the source,
 * so that one cannot change without the other. A mismatch fails the type check.
 */
import assert from "node:assert/strict";
import type * as Published from "./widget.d.ts";
import type { SetChatApi, SetChatConfig, SetChatEvents } from "./mod.ts";
import type { Phase } from "./session.ts";

/** `true` when `A` and `B` are assignable both ways, else `never`. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;

const checks: true[] = [
  true satisfies Same<Published.SetChatConfig, SetChatConfig>,
  true satisfies Same<Published.SetChatEvents, SetChatEvents>,
  true satisfies Same<Published.SetChatPhase, Phase>,
  true satisfies Same<ReturnType<Published.SetChatApi["state"]>, ReturnType<SetChatApi["state"]>>,
  true satisfies Same<Parameters<Published.SetChatApi["init"]>, Parameters<SetChatApi["init"]>>,
  true satisfies Same<Omit<Published.SetChatApi, "on" | "off">, Omit<SetChatApi, "on" | "off">>,
];

Deno.test("widget.d.ts types the public API as the widget's source does", () => {
  assert.equal(checks.length, 6);
});

Deno.test("widget.d.ts catches an integration mistake: the mint answer is not a token", () => {
  // The page's callback must give the token string, not the mint answer.
  const config: Published.SetChatConfig = {
    siteApiKey: "site_x",
    // @ts-expect-error the mint answer is an object, not the `token` string
    getVisitorToken: () => Promise.resolve({ token: "eyJ…", expiresIn: 300 }),
  };
  assert.equal(config.siteApiKey, "site_x");
});
