// One sample of the ttrpc row, in a fresh process so the benchmark's own event loop stays out of
// it: the project's ttrpc Server and Client on one unix socket (a one-method echo service), or
// the floor — a plain `net` echo moving the same number of bytes per call. Both ends live in this
// process, as they do for both variants. Bundled to build/bench/runners/ttrpc-child.cjs; prints
// one JSON line.
//
//   ttrpc-child latency ttrpc|net CALLS     one call at a time: {"us": [per-call µs …]}
//   ttrpc-child rate ttrpc|net CALLS WINDOW  WINDOW calls in flight: {"callsPerSecond": …}
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, KeyValue, Request, Server, createClient } from "../../ttrpc/index.js";

/** Request size: a small message, about what a shim's Start or Wait carries. */
const PAYLOAD_BYTES = 128;

/** Echo: KeyValue in, the same KeyValue out. */
const EchoDefinition = {
  name: "Echo",
  fullName: "bench.Echo",
  methods: {
    echo: {
      name: "Echo",
      requestType: KeyValue,
      responseType: KeyValue,
      requestStream: false,
      responseStream: false,
      options: {},
    },
  },
} as const;

const message: KeyValue = { key: "k", value: "x".repeat(PAYLOAD_BYTES) };

/** The bytes one ttrpc request puts on the wire: a 10-byte frame header plus the Request. */
const frameBytes =
  10 +
  Request.encode({
    service: EchoDefinition.fullName,
    method: "Echo",
    payload: KeyValue.encode(message).finish(),
    timeoutNano: 0,
    metadata: [],
  }).finish().length;

/** Something that makes one call and resolves when its answer is in. */
interface Endpoint {
  call(): Promise<void>;
  close(): Promise<void>;
}

async function ttrpcEndpoint(socketPath: string): Promise<Endpoint> {
  const server = new Server().register(EchoDefinition, { echo: (request) => request });
  await server.listen(socketPath);
  const client = await Client.connect(socketPath);
  const echo = createClient(EchoDefinition, client);
  return {
    call: async () => {
      await echo.echo(message);
    },
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

async function netEndpoint(socketPath: string): Promise<Endpoint> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const socket = net.createConnection({ path: socketPath });
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  socket.setNoDelay(true);
  const payload = Buffer.alloc(frameBytes, 120);
  // Calls are answered in order, so a FIFO of waiters and a byte count match them up.
  const waiters: Array<() => void> = [];
  let received = 0;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
    while (received >= frameBytes && waiters.length > 0) {
      received -= frameBytes;
      waiters.shift()!();
    }
  });
  return {
    call: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        socket.write(payload);
      }),
    close: async () => {
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function latency(endpoint: Endpoint, calls: number): Promise<object> {
  for (let i = 0; i < Math.min(200, calls); i++) await endpoint.call(); // warm up the JIT
  const us: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    await endpoint.call();
    us.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return { us, frameBytes };
}

async function rate(endpoint: Endpoint, calls: number, window: number): Promise<object> {
  const run = async (n: number) => {
    let started = 0;
    const lane = async () => {
      while (started < n) {
        started++;
        await endpoint.call();
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
  };
  await run(Math.min(1000, calls)); // warm up
  const start = process.hrtime.bigint();
  await run(calls);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { callsPerSecond: calls / seconds, frameBytes };
}

async function main(): Promise<void> {
  const [what, kind, calls, window] = process.argv.slice(2);
  if ((what !== "latency" && what !== "rate") || (kind !== "ttrpc" && kind !== "net")) {
    process.stderr.write("usage: ttrpc-child latency|rate ttrpc|net CALLS [WINDOW]\n");
    process.exit(2);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "bench-ttrpc-"));
  try {
    const socketPath = path.join(dir, "echo.sock");
    const endpoint = await (kind === "ttrpc" ? ttrpcEndpoint(socketPath) : netEndpoint(socketPath));
    const result =
      what === "latency"
        ? await latency(endpoint, Number(calls))
        : await rate(endpoint, Number(calls), Number(window ?? 32));
    await endpoint.close();
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The bundle is CommonJS, which has no top-level await.
main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
