/** Writes `fixtures/fixture.schema.json`, the JSON Schema of fixture files, for editors. */
import { fixtureJsonSchema } from "../conformance/fixture_schema.ts";

/** The schema file's text. */
export function fixtureSchemaText(): string {
  return JSON.stringify(fixtureJsonSchema(), null, 2) + "\n";
}

if (import.meta.main) {
  await Deno.writeTextFile(new URL("../fixtures/fixture.schema.json", import.meta.url), fixtureSchemaText());
  console.log("fixtures/fixture.schema.json written");
}
