/**
 * The rules of a GitHub Action's metadata file (`action.yml`), as GitHub's
 * "Metadata syntax reference" states them, for the composite action this
 * repository publishes: what GitHub would refuse, or silently ignore, fails
 * validation here instead.
 */
import { z } from "zod";

/** An input or output id: starts with a letter or `_`, then letters, digits, `-` or `_`. */
const Id = z.string().regex(
  /^[A-Za-z_][A-Za-z0-9_-]*$/,
  "an id starts with a letter or _ and holds only letters, digits, - and _",
);

/** An input: a description is required; a default is a string, as every input value is. */
const Input = z.strictObject({
  description: z.string().min(1),
  required: z.boolean().optional(),
  default: z.string().optional(),
  deprecationMessage: z.string().optional(),
});

/** An output of a composite action: its description, and the value it maps from a step's output. */
const CompositeOutput = z.strictObject({
  description: z.string().min(1),
  value: z.string().min(1),
});

/** A step of a composite action: a `run` (then `shell` is required) or a `uses`, never both. */
const CompositeStep = z.strictObject({
  id: Id.optional(),
  name: z.string().optional(),
  if: z.string().optional(),
  run: z.string().optional(),
  shell: z.string().optional(),
  uses: z.string().optional(),
  with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  "working-directory": z.string().optional(),
  "continue-on-error": z.union([z.boolean(), z.string()]).optional(),
}).check((ctx) => {
  const step = ctx.value;
  if ((step.run === undefined) === (step.uses === undefined)) {
    ctx.issues.push({ code: "custom", input: step, message: "a step has either run or uses" });
  }
  if (step.run !== undefined && step.shell === undefined) {
    ctx.issues.push({
      code: "custom",
      input: step,
      path: ["shell"],
      message: "a run step of a composite action needs a shell",
    });
  }
});

const COLORS = ["white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"] as const;

/** The metadata file of a composite action. */
export const CompositeActionMetadata = z.strictObject({
  name: z.string().min(1),
  author: z.string().optional(),
  description: z.string().min(1),
  inputs: z.record(Id, Input).optional(),
  outputs: z.record(Id, CompositeOutput).optional(),
  runs: z.strictObject({
    using: z.literal("composite"),
    steps: z.array(CompositeStep).min(1),
  }),
  branding: z.strictObject({ icon: z.string().min(1).optional(), color: z.enum(COLORS).optional() }).optional(),
});
export type CompositeActionMetadata = z.infer<typeof CompositeActionMetadata>;
