/**
 * The rules of a GitHub Action's metadata file (`action.yml`), as GitHub's
 * "Metadata syntax reference" states them, for the composite action this
 * repository publishes: what GitHub would refuse, or silently ignore, fails
 * validation here instead.
 */
import { parse as parseYaml } from "yaml";
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

const ROOT = new URL("..", import.meta.url);

/** This repository's `action.yml`, parsed as GitHub parses it and held to the rules above. */
export async function readAction(): Promise<CompositeActionMetadata> {
  return CompositeActionMetadata.parse(parseYaml(await Deno.readTextFile(new URL("action.yml", ROOT))));
}

/** What {@linkcode runAction} saw: the steps' output, the last exit code, and the outputs they wrote. */
export interface ActionRun {
  code: number;
  output: string;
  outputs: Record<string, string>;
}

/**
 * Runs the action's steps here as a GitHub runner would: each step's `env`
 * with its expressions evaluated (the inputs given, else their defaults;
 * any other expression is an error), its script in bash as GitHub starts it
 * (`-eo pipefail`), in `cwd`, with `env` as the job's environment.
 */
export async function runAction(
  inputs: Record<string, string>,
  o: { cwd: string; env: Record<string, string> },
): Promise<ActionRun> {
  const action = await readAction();
  const value = (expression: string) => {
    if (expression === "github.action_path") return decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
    const input = /^inputs\.([\w-]+)$/.exec(expression)?.[1];
    const declared = input === undefined ? undefined : action.inputs?.[input];
    if (!declared) throw new Error(`Cannot evaluate \${{ ${expression} }}: the action declares no such input`);
    return inputs[input!] ?? declared.default ?? "";
  };
  for (const name of Object.keys(inputs)) {
    if (!action.inputs?.[name]) throw new Error(`Cannot give input ${name}: the action declares no such input`);
  }
  const outputFile = await Deno.makeTempFile();
  let output = "";
  let code = 0;
  try {
    for (const step of action.runs.steps) {
      if (step.shell !== "bash" || step.run === undefined) {
        throw new Error("Cannot run a step that is not a bash script");
      }
      const stepEnv = Object.fromEntries(
        Object.entries(step.env ?? {}).map((
          [k, v],
        ) => [k, String(v).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, e: string) => value(e))]),
      );
      const out = await new Deno.Command("bash", {
        args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run],
        cwd: o.cwd,
        env: { ...o.env, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_ACTIONS: "true" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      output += new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      code = out.code;
      if (code !== 0) break;
    }
    const outputs = Object.fromEntries(
      (await Deno.readTextFile(outputFile)).split("\n").filter(Boolean).map((
        l,
      ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return { code, output, outputs };
  } finally {
    await Deno.remove(outputFile);
  }
}

/**
 * The runner's arguments the action's step passes for `inputs`, read from a
 * stand-in for npx on the `PATH`: what a workflow's `with:` becomes.
 */
export async function actionArguments(inputs: Record<string, string>): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(`${dir}/bin/npx`, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\n`, { mode: 0o755 });
    const run = await runAction(inputs, {
      cwd: dir,
      env: { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? ""}` },
    });
    if (run.code !== 0) throw new Error(`Cannot read the action's arguments: ${run.output}`);
    const args = (await Deno.readTextFile(`${dir}/args`)).split("\n").slice(0, -1);
    // npx -y <package> -- <the runner's arguments>
    return args.slice(args.indexOf("--") + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
