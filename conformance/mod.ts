/**
 * The conformance runner: `deno task conformance --help`. Drives the
 * fixtures under `fixtures/` against any SetChat-compatible base URL, or the
 * reference in process, and gates CI with its exit code and reports.
 */
import { main } from "./cli.ts";

if (import.meta.main) {
  const { exitCode } = await main(Deno.args);
  Deno.exit(exitCode);
}
