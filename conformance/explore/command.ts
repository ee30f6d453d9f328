/** `deno task conformance --explore`: the target, its profile, the exploration, the shrunk fixture. */
import type { ProfileName } from "../levels.ts";
import { preflight, profileFor } from "../preflight.ts";
import { Redactor } from "../redact.ts";
import { type RemoteSettings, remoteTarget, startInProcessTarget, type Target } from "../target.ts";
import { cannotExplore, explore, fixturePasses } from "./explore.ts";
import { worldOf } from "./world.ts";

/** What `--explore` needs from the command line. */
export interface ExploreCommand {
  seed: number;
  runs: number;
  steps: number;
  sweep: boolean;
  out: string;
  timeoutMs: number;
  profile?: ProfileName | undefined;
  target: RemoteSettings["flags"];
}

/** Runs explore mode: exit 0 when every run agreed with the model, 1 on a disagreement, 2 when it cannot run. */
export async function exploreCommand(
  o: ExploreCommand,
  settings: {
    env: (name: string) => string | undefined;
    envFile: Record<string, string>;
    print: (line: string) => void;
  },
): Promise<0 | 1 | 2> {
  let target: Target;
  try {
    target = (await remoteTarget({ flags: o.target, env: settings.env, envFile: settings.envFile })) ??
      await startInProcessTarget();
  } catch (error) {
    settings.print((error as Error).message);
    return 2;
  }
  // Answers are quoted in what explore prints: the target's credentials never show, should one come back.
  const redactor = new Redactor().addSettings(target.vars);
  const print = (line: string) => settings.print(redactor.apply(line));
  try {
    const checked = await preflight(target, o.timeoutMs);
    if (checked.problem) {
      print(checked.problem);
      return 2;
    }
    const profile = profileFor(o.profile, target, checked);
    const missing = (["widget", "agent"] as const).filter((s) => !profile.surfaces.includes(s));
    if (missing.length) {
      print(
        `Cannot explore ${target.description}: explore mode drives the widget and agent surfaces, and the ` +
          `${profile.name} profile (${profile.source}) leaves out ${missing.join(" and ")}. ` +
          "Run with --profile full if the target implements them.",
      );
      return 2;
    }
    const world = worldOf(target.vars);
    const why = cannotExplore(world);
    if (why) {
      print(`Cannot explore ${target.description}: ${why}`);
      return 2;
    }
    print(
      `Exploring ${target.description}: ${o.runs} runs of ${o.steps} actions, seed ${o.seed}` +
        ` (${world.tenants.length} tenants, ${world.sites.length} sites${
          o.sweep ? ", every observation after every step" : ""
        })`,
    );
    const result = await explore({
      target,
      seed: o.seed,
      runs: o.runs,
      steps: o.steps,
      sweep: o.sweep,
      out: o.out,
      timeoutMs: o.timeoutMs,
      print,
    });
    const seconds = result.durationMs / 1000;
    const rate = `${result.runs} runs, ${result.actions} actions, ${result.requests} requests in ${
      seconds.toFixed(1)
    } s (${(result.runs / seconds).toFixed(1)} runs/s)`;
    if (!result.failure) {
      print(`Every answer agreed with the model: ${rate}.`);
      return 0;
    }
    print(`Disagreement found: ${rate}, then shrunk.`);
    const fails = !(await fixturePasses(result.failure.fixture, target));
    print(
      fails
        ? "Checked: in a normal run, the fixture fails against this target."
        : "Note: in a normal run, the fixture passes against this target (the failure depends on timing or on " +
          "data left by other runs); the printed sequence is what explore saw.",
    );
    print(`Replay: deno task conformance --explore --seed ${o.seed} --runs ${result.runs} --steps ${o.steps}`);
    return 1;
  } finally {
    await target.close();
  }
}
