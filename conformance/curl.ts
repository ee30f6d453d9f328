/**
 * A failed case as shell commands that reproduce it: one curl per step up to
 * the failure, values captured with jq, and every secret and target value
 * as a `$SETCHAT_…` variable, never in clear.
 */
import type { FixtureCase, HttpStep } from "./fixture_schema.ts";
import { render } from "./template.ts";
import { ENV_NAMES, type TargetVars } from "./target.ts";

function shellName(capture: string): string {
  return capture.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Our body paths as jq paths: `a.0.b` becomes `.a[0].b`. */
function jqPath(path: string): string {
  return "." + path.split(".").map((p) => (/^\d+$/.test(p) ? `[${p}]` : p)).join(".").replace(/\.\[/g, "[");
}

function quote(s: string): string {
  return `"${s.replace(/(["\\`])/g, "\\$1")}"`;
}

/** The shell commands reproducing `c` up to step `upTo` (included). */
export function curlScript(c: FixtureCase, upTo: number, unique: string): string {
  const vars: Record<string, unknown> = { apiUrl: "$SETCHAT_API_URL", unique };
  for (const [name, env] of Object.entries(ENV_NAMES) as [keyof TargetVars, string][]) vars[name] = `$${env}`;
  const lines = [
    `# ${c.id}: ${c.title}`,
    "# Needs curl and jq, and the SETCHAT_* variables of the target (see dev.env).",
  ];
  c.steps.slice(0, upTo + 1).forEach((step, i) => {
    if ("transform" in step) {
      const name = shellName(step.capture);
      vars[step.capture] = `$${name}`;
      lines.push(
        `# step ${i + 1}, ${step.name}: ${name} is ${step.input} after the "${step.transform}" attack ` +
          `(conformance/token_transforms.ts); it cannot be made in the shell`,
        `${name}="<${step.transform} of ${render(step.input, vars)}>"`,
      );
      return;
    }
    if ("set" in step) {
      for (const [name, template] of Object.entries(step.set)) {
        lines.push(`${shellName(name)}=${quote(String(render(template, vars)))}`);
        vars[name] = `$${shellName(name)}`;
      }
      return;
    }
    const s = step as HttpStep;
    const r = render(s.request, vars) as HttpStep["request"];
    const parts = [`curl -sS -X ${r.method} ${quote(`$SETCHAT_API_URL${r.path}`)}`];
    if (r.auth) parts.push(`-H ${quote(`Authorization: Bearer ${r.auth}`)}`);
    for (const [k, v] of Object.entries(r.headers ?? {})) parts.push(`-H ${quote(`${k}: ${v}`)}`);
    let heredoc: string | undefined;
    if (r.json !== undefined) {
      if (!Object.keys(r.headers ?? {}).some((k) => k.toLowerCase() === "content-type")) {
        parts.push(`-H "Content-Type: application/json"`);
      }
      heredoc = JSON.stringify(r.json);
    } else if (r.body !== undefined) {
      heredoc = r.body;
    }
    if (heredoc !== undefined) parts.push("--data-binary @-");
    const command = parts.join(" \\\n  ");
    const body = heredoc === undefined ? "" : ` <<EOF\n${heredoc.replace(/`/g, "\\`")}\nEOF`;
    lines.push(`# step ${i + 1}: ${s.name}${s.parallel ? ` (sent ${s.parallel} times at once)` : ""}`);
    const captures = Object.entries(s.capture ?? {});
    if (captures.length === 0 || i === upTo) {
      lines.push(command + body);
    } else {
      lines.push(`R${i + 1}=$(${command}${body}\n)`);
      for (const [name, path] of captures) {
        vars[name] = `$${shellName(name)}`;
        lines.push(`${shellName(name)}=$(printf '%s' "$R${i + 1}" | jq -r '${jqPath(path)}')`);
      }
    }
  });
  return lines.join("\n");
}
