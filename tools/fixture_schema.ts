/**
 * The fixture files `deno task docs` writes: the JSON Schema of fixture files (`fixtures/fixture.schema.json`), for
 * editors, and the negative inputs generated from the published request schemas (`fixtures/generated_inputs.json`).
 */
import { fixtureJsonSchema } from "../conformance/fixture_schema.ts";
import { negativeInputFile } from "../conformance/negative_inputs.ts";

/** The schema file's text. */
export function fixtureSchemaText(): string {
  return JSON.stringify(fixtureJsonSchema(), null, 2) + "\n";
}

/** Where the generated negative inputs are. */
export const GENERATED_INPUTS = new URL("../fixtures/generated_inputs.json", import.meta.url);

/** The generated negative inputs' text. */
export function generatedInputsText(): string {
  return JSON.stringify(negativeInputFile(), null, 2) + "\n";
}
