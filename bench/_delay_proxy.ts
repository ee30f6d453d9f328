/**
 * A loopback TCP proxy that puts a fixed distance between a client and a
 * server: every byte reaches the other side half a round trip after it was
 * sent, in order, and a new connection pays the round trip of its handshake
 * before its first byte arrives. A suite run through it shows what a target
 * far away costs, on one machine.
 */

/** A running proxy. */
export interface DelayProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, standing for the upstream. */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
}

/**
 * Copies `from` to `to`, each chunk written `delayMs` after it was read and
 * never before `notBefore`; ends `to`'s writing side when `from` ends.
 */
async function pump(from: Deno.Conn, to: Deno.Conn, delayMs: number, notBefore: number): Promise<void> {
  let writing = Promise.resolve();
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      const chunk = buffer.slice(0, n);
      const due = Math.max(performance.now() + delayMs, notBefore);
      writing = writing.then(async () => {
        await sleep(due - performance.now());
        await writeAll(to, chunk);
      });
    }
    await writing;
    await to.closeWrite();
  } catch {
    // A side went away: the other goes too.
    try {
      to.close();
    } catch { /* already closed */ }
  }
}

/** Starts a proxy to `upstream` (`http://host:port`) that adds `roundTripMs` to every exchange. */
export function startDelayProxy(upstream: string, roundTripMs: number): DelayProxy {
  const { hostname, port } = new URL(upstream);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const pumps = new Set<Promise<void>>();
  let accepted = 0;
  const serve = async (client: Deno.Conn) => {
    accepted++;
    const start = performance.now();
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname, port: Number(port) });
    } catch {
      client.close();
      return;
    }
    open.add(client).add(server);
    const half = roundTripMs / 2;
    // SYN, SYN-ACK: the request's first byte leaves a round trip after connecting.
    const both = Promise.all([pump(client, server, half, start + roundTripMs + half), pump(server, client, half, 0)]);
    const done = both.then(() => {
      for (const c of [client, server]) {
        open.delete(c);
        try {
          c.close();
        } catch { /* already closed */ }
      }
    });
    pumps.add(done);
    await done;
    pumps.delete(done);
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch { /* closed */ }
  })();
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      listener.close();
      await accepting;
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await Promise.all(pumps);
    })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    connections: () => accepted,
    close,
    [Symbol.asyncDispose]: close,
  };
}
