// One accepted connection of a Server: reads requests, runs each concurrently, writes each
// response on its stream id as soon as it is ready (out of order), and ends gracefully or
// abruptly. The order of checks and the error texts follow ttrpc's server.go so that containerd
// sees what it sees from a Go shim.
import type { Duplex } from "node:stream";
import { Channel } from "./channel.js";
import { Code } from "./code.js";
import type { CallContext } from "./definition.js";
import { TtrpcError } from "./error.js";
import { FrameType, type Frame } from "./frame-codec.js";
import { Request, Response } from "./gen/ttrpc/ttrpc.js";
import { metadataFromPairs } from "./metadata.js";

/** Runs one decoded request; the Server's service table. Resolves to the response payload. */
export type Dispatch = (request: Request, context: CallContext) => Promise<Uint8Array>;

/** What a connection needs from its server. */
export interface ServerConnectionOptions {
  readonly dispatch: Dispatch;
  readonly maxFrameBytes: number;
  /** Called once when the connection has ended. */
  readonly onClosed: (connection: ServerConnection) => void;
}

// setTimeout cannot wait longer than this (2^31 - 1 ms, ~24.8 days); longer deadlines are none.
const MAX_TIMER_MS = 0x7fff_ffff;

/** A connection being served. Created by Server; not constructed by users. */
export class ServerConnection {
  readonly #channel: Channel;
  readonly #options: ServerConnectionOptions;
  // One controller per call in flight; all abort when the connection ends or is destroyed. (A
  // set rather than listeners on one shared signal: a thousand calls would be a thousand
  // listeners.)
  readonly #calls = new Set<AbortController>();
  #endReason: TtrpcError | undefined;
  #inFlight = 0;
  #closing = false;
  #waitingForDrain = false;
  readonly #ended: Promise<void>;
  #markEnded!: () => void;

  constructor(socket: Duplex, options: ServerConnectionOptions) {
    this.#options = options;
    this.#ended = new Promise((resolve) => (this.#markEnded = resolve));
    this.#channel = new Channel(
      socket,
      {
        frame: (frame) => this.#onFrame(frame),
        oversize: (streamId, _type, length) =>
          this.#sendError(
            streamId,
            new TtrpcError(
              Code.ResourceExhausted,
              `message length ${length} exceed maximum message size of ${options.maxFrameBytes}`,
            ),
          ),
        closed: () => this.#onClosed(),
      },
      // Only requests are read; responses and unknown types sent to a server are ignored.
      { maxFrameBytes: options.maxFrameBytes, types: [FrameType.Request] },
    );
  }

  /** Resolves when the connection has ended, however it ended. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /**
   * Ends the connection once no call is in flight: at once when idle, else after the last
   * response is written. Calls that arrive meanwhile are still served, as in Go's Shutdown.
   */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#inFlight === 0) this.#channel.end();
    return this.#ended;
  }

  /** Ends the connection now; handlers still running see their signal abort with `reason`. */
  destroy(reason: TtrpcError): Promise<void> {
    this.#abortCalls(reason);
    this.#channel.destroy();
    return this.#ended;
  }

  #onFrame(frame: Frame): void {
    const id = frame.streamId;
    let request: Request;
    try {
      request = Request.decode(frame.payload);
    } catch (err) {
      this.#sendError(
        id,
        new TtrpcError(Code.InvalidArgument, `unmarshal request error: ${errorText(err)}`),
      );
      return;
    }
    if (id % 2 !== 1) {
      this.#sendError(
        id,
        new TtrpcError(Code.InvalidArgument, "StreamID must be odd for client initiated streams"),
      );
      return;
    }
    void this.#run(id, request);
  }

  // Never rejects: every failure becomes a status on the wire.
  async #run(id: number, request: Request): Promise<void> {
    this.#inFlight++;
    const controller = new AbortController();
    if (this.#endReason) controller.abort(this.#endReason);
    this.#calls.add(controller);
    const { deadline, timer } = startDeadline(request.timeoutNano, controller);
    const context: CallContext = {
      service: request.service,
      method: request.method,
      metadata: metadataFromPairs(request.metadata),
      signal: controller.signal,
      deadline,
    };
    let response: Uint8Array;
    try {
      const payload = await this.#options.dispatch(request, context);
      response = Response.encode({ payload }).finish();
    } catch (err) {
      response = encodeError(TtrpcError.from(err));
    } finally {
      clearTimeout(timer);
      this.#calls.delete(controller);
      this.#inFlight--;
    }
    this.#send(id, response);
    if (this.#closing && this.#inFlight === 0) this.#channel.end();
  }

  #sendError(id: number, error: TtrpcError): void {
    this.#send(id, encodeError(error));
  }

  #send(id: number, response: Uint8Array): void {
    try {
      this.#channel.send(id, FrameType.Response, response);
    } catch (err) {
      // Only an oversize response throws; the caller gets the reason instead of silence.
      this.#channel.send(id, FrameType.Response, encodeError(TtrpcError.from(err)));
    }
    this.#applyBackpressure();
  }

  // A peer that sends requests faster than it reads responses must not grow our write buffer
  // without bound: stop reading its requests until the buffer drains (house style §10).
  #applyBackpressure(): void {
    if (this.#channel.writable || this.#waitingForDrain || this.#channel.closed) return;
    this.#waitingForDrain = true;
    this.#channel.pause();
    void this.#channel.drained().then(() => {
      this.#waitingForDrain = false;
      this.#channel.resume();
    });
  }

  #abortCalls(reason: TtrpcError): void {
    this.#endReason ??= reason;
    for (const controller of this.#calls) controller.abort(this.#endReason);
  }

  #onClosed(): void {
    this.#abortCalls(new TtrpcError(Code.Cancelled, "ttrpc: connection closed"));
    this.#markEnded();
    this.#options.onClosed(this);
  }
}

function startDeadline(
  timeoutNano: number,
  controller: AbortController,
): { deadline: number | undefined; timer: NodeJS.Timeout | undefined } {
  if (timeoutNano === 0) return { deadline: undefined, timer: undefined };
  const timeoutMs = Math.max(0, Math.ceil(timeoutNano / 1e6));
  if (timeoutMs > MAX_TIMER_MS) return { deadline: undefined, timer: undefined };
  const timer = setTimeout(
    () => controller.abort(new TtrpcError(Code.DeadlineExceeded, "context deadline exceeded")),
    timeoutMs,
  );
  return { deadline: Date.now() + timeoutMs, timer };
}

/** A Response carrying only a status; success responses carry none (Go sends 0 bytes). */
function encodeError(error: TtrpcError): Uint8Array {
  const code = error.code === Code.Ok ? Code.Unknown : error.code;
  return Response.encode({
    status: { code, message: error.rawMessage, details: [] },
    payload: new Uint8Array(0),
  }).finish();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
