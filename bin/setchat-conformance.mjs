#!/usr/bin/env node
// The suite's command as npm installs it: `npx -y @setchat/conformance@VERSION --target … --env-file …`.
// The runner is Deno code. Deno comes from npm, as everywhere in this project, at the version this package's
// `engines.deno` pins, and runs the runner with the package's own configuration (import map and lockfile), from the
// folder the command was typed in.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { engines } = JSON.parse(readFileSync(`${root}package.json`, "utf8"));

const args = [
  "-y",
  `deno@${engines.deno}`,
  "run",
  "--allow-all",
  "--quiet",
  `--config=${root}deno.json`,
  // The lockfile ships with the package: the runner's dependencies are the ones it was tested with.
  "--frozen",
  `${root}conformance/mod.ts`,
  // Node.js 20 reads an `--env-file` it finds anywhere on its command line: after a `--`, it leaves the runner's alone.
  "--",
  ...(process.argv[2] === "--" ? process.argv.slice(3) : process.argv.slice(2)),
];
// npx is a script on Windows: a shell starts it there.
const child = spawn("npx", args, { stdio: "inherit", shell: process.platform === "win32" });

// A CI job's cancellation reaches the runner, which closes its servers and browser before it ends.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  console.error(`Cannot start the conformance suite: ${error.message}`);
  process.exit(2);
});
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 2);
});
