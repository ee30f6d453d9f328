import { OPERATOR_CHECKS } from "./operator_checks.ts";

for (const check of OPERATOR_CHECKS) Deno.test(`operator: ${check.name}`, check.fn);
