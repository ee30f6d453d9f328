import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../cli.ts";
import { FixtureFile } from "../fixture_schema.ts";
import { kindOf, MUTANTS } from "../proof/mutants.ts";
import { startInProcessTarget, type Target } from "../target.ts";
import { ENV_NAMES } from "../variables.ts";
import { drive } from "./driver.ts";
import { explore, fixturePasses, mergedActors, sendOf } from "./explore.ts";
import { exploredMutants, exploreMutants } from "../proof/mutants_explored.ts";
import { type Action, worldOf } from "./world.ts";

/** The environment that names `target` as a remote one. */
function envOf(target: Target): (name: string) => string | undefined {
  const values: Record<string, string | undefined> = { SETCHAT_API_URL: target.apiUrl };
  for (const [name, variable] of Object.entries(ENV_NAMES)) {
    values[variable] = target.vars[name as keyof typeof ENV_NAMES];
  }
  return (name) => values[name];
}

Deno.test("explore() agrees with the reference for a fixed seed", async () => {
  await using reference = {
    ...await startInProcessTarget(),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  const result = await explore({ target: reference, seed: 1, runs: 40, steps: 30 });
  assert.equal(result.failure, undefined, result.failure?.disagreement.message);
  assert.equal(result.runs, 40);
  assert.equal(result.actions, 40 * 30);
  assert.ok(result.requests > result.actions);
});

Deno.test("explore() alone catches every broken build of the visibility, isolation and logout kinds; each shrunk fixture fails it and passes on the reference", async () => {
  const mutants = exploredMutants();
  const names = mutants.map((m) => m.name);
  for (const name of ["reaches-across-sites", "agent-reads-any-tenant", "user-ids-case-insensitive"]) {
    assert.ok(names.includes(name), `${name} is not among the explored kinds`);
  }
  for (const m of MUTANTS) assert.doesNotThrow(() => kindOf(m), `${m.name} breaks a clause of no kind`);
  await using reference = {
    ...await startInProcessTarget(),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  const rows = await exploreMutants(mutants, { seed: 1, runs: 30, steps: 30, reference });
  for (const r of rows) {
    assert.ok(r.caught, `explore missed ${r.name}`);
    assert.ok(r.shrunk! <= 5, `${r.name}: shrunk to ${r.shrunk} actions`);
    assert.equal(r.fixtureFailsMutant, true, `${r.name}: its fixture passes on it`);
    assert.equal(r.fixturePassesReference, true, `${r.name}: its fixture fails on the reference`);
  }
});

Deno.test("mergedActors() renumbers devices from 0 and drops workspaces, keeping references intact", () => {
  const actions: Action[] = [
    { id: 0, do: "open", d: 2, s: 1, t: 1, mode: "anonymous", u: 0, w: 2, meta: false, browser: false },
    { id: 1, do: "converse", d: 2, s: 1, t: 1, kind: "chat", text: true },
    { id: 2, do: "reply", a: 1, c: 1 },
  ];
  const candidates = mergedActors(actions);
  assert.ok(candidates.some((c) => c.every((a) => a.do !== "open" || a.w === 0)));
  const renumbered = candidates.find((c) => c[0]!.do === "open" && c[0]!.d === 0 && c[1]!.do === "converse");
  assert.ok(renumbered);
  assert.equal((renumbered[1] as { d: number }).d, 0);
  assert.deepEqual(renumbered[2], actions[2]);
});

Deno.test("--explore against a remote broken build prints the shrunk sequence with its seed and writes a ready fixture", async () => {
  const mutant = MUTANTS.find((m) => m.name === "agent-reads-any-tenant")!;
  await using broken = {
    ...await startInProcessTarget(mutant.options()),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  const out = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const { exitCode } = await main(["--explore", "--seed", "7", "--runs", "3", "--out", out], {
      print: (l) => lines.push(l),
      env: envOf(broken),
    });
    const text = lines.join("\n");
    assert.equal(exitCode, 1, text);
    assert.match(text, /Shrunk sequence \(seed 7, run \d+, clause AGENT\)/);
    assert.match(text, /Checked: in a normal run, the fixture fails against this target/);
    const files = [...Deno.readDirSync(join(out, "explore"))].map((e) => e.name);
    assert.equal(files.length, 1);
    const fixture = FixtureFile.parse(JSON.parse(await Deno.readTextFile(join(out, "explore", files[0]!))));
    assert.equal(fixture.cases[0]!.clause, "AGENT");
    assert.equal(await fixturePasses(fixture, broken), false);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("--explore passes on the reference in process, and says how fast", async () => {
  const lines: string[] = [];
  const { exitCode } = await main(["--explore", "--seed", "1", "--runs", "3", "--steps", "10"], {
    print: (l) => lines.push(l),
    env: () => undefined,
  });
  assert.equal(exitCode, 0, lines.join("\n"));
  assert.match(
    lines.join("\n"),
    /Every answer agreed with the model: 3 runs, 30 actions, \d+ requests in [\d.]+ s \([\d.]+ runs\/s\)/,
  );
});

Deno.test("--explore refuses a profile without the widget and agent surfaces, and a bad seed", async () => {
  const lines: string[] = [];
  const s2s = await main(["--explore", "--profile", "s2s", "--runs", "1"], {
    print: (l) => lines.push(l),
    env: () => undefined,
  });
  assert.equal(s2s.exitCode, 2);
  assert.match(lines.join("\n"), /leaves out widget and agent/);
  assert.equal((await main(["--explore", "--seed", "x"], { print: () => {}, env: () => undefined })).exitCode, 2);
});

Deno.test("--explore never prints nor writes the target's credentials, even when an answer echoes one", async () => {
  // A build that shows the server token of the last mint as the session's user id.
  let bearer = "";
  await using echoing = {
    ...await startInProcessTarget({
      wrap: (next) => async (request, info) => {
        const path = new URL(request.url).pathname;
        if (path === "/api/widget/visitor-token") bearer = request.headers.get("authorization")!.slice(7);
        const response = await next(request, info);
        if (path !== "/api/widget/sessions" || response.status !== 201) return response;
        const body = await response.json();
        if (body.identity.verified) body.identity.externalUserId = bearer;
        return Response.json(body, { status: 201 });
      },
    }),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  const out = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const { exitCode } = await main(["--explore", "--runs", "3", "--out", out], {
      print: (l) => lines.push(l),
      env: envOf(echoing),
    });
    const text = lines.join("\n");
    assert.equal(exitCode, 1, text);
    assert.match(text, /identity\.externalUserId/);
    assert.ok(!text.includes(echoing.vars.serverToken!), text);
    assert.ok(!text.includes(echoing.vars.foreignServerToken!), text);
    for (const file of Deno.readDirSync(join(out, "explore"))) {
      const written = await Deno.readTextFile(join(out, "explore", file.name));
      assert.ok(!written.includes(echoing.vars.serverToken!), written);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("explore() agrees with a correct target that lists a conversation's messages newest first", async () => {
  // The contract gives no order to a conversation's messages (only to `?after=`): another order is no failure.
  await using target = {
    ...await startInProcessTarget({
      wrap: (next) => async (request, info) => {
        const response = await next(request, info);
        if (request.method !== "GET" || !/\/conversations\/[^/]+$/.test(new URL(request.url).pathname)) {
          return response;
        }
        const body = await response.json();
        if (Array.isArray(body.messages)) body.messages.reverse();
        return Response.json(body, { status: response.status, headers: response.headers });
      },
    }),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  const result = await explore({ target, seed: 1, runs: 20, steps: 30 });
  assert.equal(result.failure, undefined, result.failure?.disagreement.message);
});

Deno.test("drive() agrees with the reference past the 50 conversations a history listing holds", async () => {
  await using reference = {
    ...await startInProcessTarget(),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  const where = { d: 0, s: 0, t: 0 };
  const actions: Action[] = [
    { id: 0, do: "open", ...where, mode: "anonymous", u: 0, w: 0, meta: false, browser: false },
    ...Array.from(
      { length: 52 },
      (_, i): Action => ({ id: i + 1, do: "converse", ...where, kind: "chat", text: false }),
    ),
  ];
  const world = worldOf(reference.vars);
  const run = await drive(actions, {
    world,
    send: sendOf(reference),
    apiUrl: reference.apiUrl,
    vars: reference.vars,
    unique: crypto.randomUUID().slice(0, 8),
  });
  assert.equal(run.disagreement, undefined, run.disagreement?.message);
  assert.equal(run.ran.filter(Boolean).length, 53);
});
