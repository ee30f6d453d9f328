/** The JSON Schema of fixture files (`fixtures/fixture.schema.json`, written by `deno task docs`), for editors. */
import { fixtureJsonSchema } from "../conformance/fixture_schema.ts";

/** The schema file's text. */
export function fixtureSchemaText(): string {
  return JSON.stringify(fixtureJsonSchema(), null, 2) + "\n";
}
