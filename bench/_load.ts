/**
 * A loopback load generator, run as its own process so that it does not share
 * the server's event loop: keep-alive `node:http`, a fixed concurrency, a
 * warm-up, then a timed window. Prints one JSON line of results.
 */
import http from "node:http";

/** What the load generator is asked to do. */
export interface LoadSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
}

const spec = JSON.parse(Deno.args[0]!) as LoadSpec;
const url = new URL(spec.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const headers = {
  ...spec.headers,
  ...(spec.body ? { "content-length": String(new TextEncoder().encode(spec.body).length) } : {}),
};

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: spec.method, headers },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(spec.body);
  });
}

async function run(seconds: number): Promise<{ count: number; statuses: Record<number, number>; elapsed: number }> {
  const statuses: Record<number, number> = {};
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: spec.concurrency }, async () => {
    while (performance.now() < end) {
      const status = await once();
      statuses[status] = (statuses[status] ?? 0) + 1;
      count++;
    }
  }));
  return { count, statuses, elapsed: (performance.now() - start) / 1000 };
}

await run(spec.warmupSeconds);
const { count, statuses, elapsed } = await run(spec.seconds);
agent.destroy();
console.log(JSON.stringify({ requestsPerSecond: count / elapsed, count, statuses }));
