/**
 * Bundles the browser code into `dist/`: the embeddable widget
 * (`dist/widget.js`, one classic script) and the demo's pages' scripts.
 * Prints each bundle's size, minified and gzipped.
 */

const ROOT = new URL("..", import.meta.url);

/** One bundle to build. */
export interface BundleSpec {
  entry: string;
  output: string;
}

/** The bundles the server serves. */
export const BUNDLES: BundleSpec[] = [
  { entry: "widget/mod.ts", output: "dist/widget.js" },
  { entry: "demo/acme.ts", output: "dist/demo/acme.js" },
  { entry: "demo/agent.ts", output: "dist/demo/agent.js" },
];

/** A built bundle and its sizes in bytes. */
export interface Built {
  output: string;
  bytes: number;
  gzipBytes: number;
}

async function gzipSize(data: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** Bundles one entry point, minified, for browsers. */
export async function bundle(spec: BundleSpec, options: { outputRoot?: URL } = {}): Promise<Built> {
  const output = new URL(spec.output, options.outputRoot ?? ROOT).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "browser", "--format", "iife", "--minify", "-o", output, spec.entry],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot bundle ${spec.entry}: ${new TextDecoder().decode(out.stderr)}`);
  }
  const data = await Deno.readFile(output);
  return { output: spec.output, bytes: data.byteLength, gzipBytes: await gzipSize(data) };
}

/** Builds every bundle. */
export async function buildAll(options: { outputRoot?: URL } = {}): Promise<Built[]> {
  return await Promise.all(BUNDLES.map((b) => bundle(b, options)));
}

if (import.meta.main) {
  for (const b of await buildAll()) {
    console.log(
      `${b.output}: ${(b.bytes / 1024).toFixed(1)} KB minified, ${(b.gzipBytes / 1024).toFixed(1)} KB gzipped`,
    );
  }
}
