// A ttrpc server: a table of services built from ts-proto generic definitions, the listeners and
// sockets it serves, and two ways to stop (undici's close/destroy). Per-connection work lives in
// server-connection.ts.
import { chmod } from "node:fs/promises";
import net from "node:net";
import type { Duplex } from "node:stream";
import { Code } from "./code.js";
import type {
  CallContext,
  MethodDefinition,
  ServiceDefinition,
  ServiceImpl,
} from "./definition.js";
import { TtrpcError } from "./error.js";
import { MAX_FRAME_BYTES } from "./frame-codec.js";
import type { Request } from "./gen/ttrpc/ttrpc.js";
import { ServerConnection } from "./server-connection.js";

/** Options of a {@link Server}. */
export interface ServerOptions {
  /** The frame payload limit both ways; default 4 MiB, as every ttrpc peer uses. */
  readonly maxFrameBytes?: number;
}

/** Options of {@link Server.register}. */
export interface RegisterOptions {
  /**
   * The service name to serve under instead of `definition.fullName`, so that one
   * implementation answers a second name (containerd 2.x calls `containerd.task.v3.Task`).
   */
  readonly name?: string;
}

/** Where {@link Server.listen} accepts connections: a unix socket path or an inherited fd. */
export type ListenTarget = string | { readonly fd: number };

// A registered method: its definition and the handler, bound to its impl object.
interface Entry {
  readonly definition: MethodDefinition;
  readonly handler: ((request: unknown, context: CallContext) => unknown) | undefined;
}

/**
 * Serves ttrpc services on unix sockets.
 *
 * ```ts
 * const server = new Server().register(TaskDefinition, impl);
 * await server.listen("/run/x.sock");
 * // … later
 * await server.close();
 * ```
 */
export class Server {
  readonly #maxFrameBytes: number;
  // Service name → wire method name ("Create") → entry.
  readonly #services = new Map<string, Map<string, Entry>>();
  readonly #listeners = new Set<net.Server>();
  readonly #connections = new Set<ServerConnection>();
  #closed: Promise<void> | undefined;
  #destroyed: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  /**
   * Serves `impl` as `definition` (under `options.name` if given). Methods missing from `impl`
   * answer UNIMPLEMENTED "method <Name>". Handlers get the decoded request and a
   * {@link CallContext} and return a message init, which the server completes with
   * `responseType.fromPartial` and encodes; a thrown error is sent as `TtrpcError.from(error)`.
   * Handlers are called with `impl` as `this`. Throws when the name is already registered
   * (as Go's server panics) or a method streams.
   */
  register<D extends ServiceDefinition>(
    definition: D,
    impl: Partial<ServiceImpl<D>>,
    options: RegisterOptions = {},
  ): this {
    const name = options.name ?? definition.fullName;
    if (this.#services.has(name)) throw new Error(`ttrpc: duplicate service ${name} registered`);
    const methods = new Map<string, Entry>();
    for (const [key, method] of Object.entries(definition.methods)) {
      if (method.requestStream || method.responseStream) {
        throw new Error(`ttrpc: ${name}.${method.name} streams; ttrpc 1.1 has unary calls only`);
      }
      const handler = (impl as Record<string, unknown>)[key];
      methods.set(method.name, {
        definition: method,
        handler:
          typeof handler === "function"
            ? (handler as (request: unknown, context: CallContext) => unknown).bind(impl)
            : undefined,
      });
    }
    this.#services.set(name, methods);
    return this;
  }

  /**
   * Listens on a unix socket path (created with mode 0600, as the Go shim does; fails with
   * EADDRINUSE if the path exists) or on an inherited, already bound socket `{ fd }` (how a
   * parent hands over a listener, shim-protocol.md §3.4). Resolves once accepting.
   */
  async listen(target: ListenTarget): Promise<void> {
    this.#assertOpen();
    const listener = net.createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(typeof target === "string" ? { path: target } : { fd: target.fd }, () => {
        listener.off("error", reject);
        resolve();
      });
    });
    if (typeof target === "string") await chmod(target, 0o600);
    if (this.#closed || this.#destroyed) {
      listener.close();
      this.#assertOpen();
    }
    this.serve(listener);
  }

  /**
   * Serves every connection `listener` accepts. The server takes the listener over and closes
   * it on close or destroy (which also unlinks a socket path Node bound).
   */
  serve(listener: net.Server): void {
    this.#assertOpen();
    this.#listeners.add(listener);
    listener.on("connection", (socket: net.Socket) => this.serveSocket(socket));
    // An accept error (EMFILE, …) must not crash the process; Go's server retries with backoff,
    // Node keeps accepting by itself.
    listener.on("error", () => {});
    listener.once("close", () => this.#listeners.delete(listener));
  }

  /** Serves one connected socket (any Duplex). After close or destroy, the socket is destroyed. */
  serveSocket(socket: Duplex): void {
    if (this.#closed || this.#destroyed) {
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(socket, {
      dispatch: (request, context) => this.#dispatch(request, context),
      maxFrameBytes: this.#maxFrameBytes,
      onClosed: (c) => this.#connections.delete(c),
    });
    this.#connections.add(connection);
  }

  /**
   * Stops gracefully: stops accepting, lets calls in flight finish and their responses go out,
   * then closes each connection. Idempotent; every caller gets the same promise. Do not await it
   * inside a handler: it waits for that very call.
   */
  close(): Promise<void> {
    return (this.#closed ??= this.#stop((connection) => connection.close()));
  }

  /**
   * Stops now: closes listeners and connections; handlers still running see their signal abort
   * with `reason` (default UNAVAILABLE "ttrpc: server destroyed") and their results are dropped.
   * Idempotent; also ends a close() in progress.
   */
  destroy(reason?: unknown): Promise<void> {
    const error =
      reason === undefined
        ? new TtrpcError(Code.Unavailable, "ttrpc: server destroyed")
        : TtrpcError.from(reason);
    return (this.#destroyed ??= this.#stop((connection) => connection.destroy(error)));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(end: (connection: ServerConnection) => Promise<void>): Promise<void> {
    const listeners = [...this.#listeners].map(
      (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
    );
    await Promise.all([...[...this.#connections].map(end), ...listeners]);
  }

  #assertOpen(): void {
    if (this.#closed || this.#destroyed) {
      throw new TtrpcError(Code.Unavailable, "ttrpc: server closed");
    }
  }

  async #dispatch(request: Request, context: CallContext): Promise<Uint8Array> {
    const methods = this.#services.get(request.service);
    if (!methods) throw new TtrpcError(Code.Unimplemented, `service ${request.service}`);
    const entry = methods.get(request.method);
    if (!entry?.handler) throw new TtrpcError(Code.Unimplemented, `method ${request.method}`);
    const { requestType, responseType } = entry.definition;
    let message: unknown;
    try {
      message = requestType.decode(request.payload);
    } catch (err) {
      throw new TtrpcError(
        Code.InvalidArgument,
        `ttrpc: error unmarshalling payload: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const init = (await entry.handler(message, context)) ?? {};
    return responseType.encode(responseType.fromPartial(init)).finish();
  }
}
