/** The published schemas, by the name fixtures use (their OpenAPI component name). */
import { z } from "zod";
import * as agent from "../src/contract/agent.ts";
import * as common from "../src/contract/common.ts";
import * as meta from "../src/contract/meta.ts";
import * as s2s from "../src/contract/s2s.ts";
import * as widget from "../src/contract/widget.ts";

/** Every schema of the contract that has a published name. */
export const PUBLISHED_SCHEMAS: ReadonlyMap<string, z.ZodType> = (() => {
  const out = new Map<string, z.ZodType>();
  for (const module of [agent, common, meta, s2s, widget]) {
    for (const value of Object.values(module)) {
      if (!(value instanceof z.ZodType)) continue;
      const id = z.globalRegistry.get(value)?.id;
      if (id) out.set(id, value);
    }
  }
  return out;
})();
