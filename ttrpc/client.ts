// A ttrpc client connection: many concurrent calls on one socket, odd stream ids from 1 up by 2,
// responses matched by id in any order (ttrpc's client.go). When the connection dies, every
// pending call fails with the same UNAVAILABLE "ttrpc: closed", which containerd reads as "the
// peer died".
import net from "node:net";
import type { Duplex } from "node:stream";
import { Channel } from "./channel.js";
import { Code, toCode } from "./code.js";
import { TtrpcError, isTtrpcError } from "./error.js";
import { FrameType, MAX_FRAME_BYTES, type Frame } from "./frame-codec.js";
import { Request, Response } from "./gen/ttrpc/ttrpc.js";
import { metadataToPairs, type MetadataInit } from "./metadata.js";

/** Per-call options. */
export interface CallOptions {
  /**
   * Give up after this long: the call rejects with DEADLINE_EXCEEDED, and the server is told the
   * deadline (`timeout_nano`) so it can stop too. Default: no deadline.
   */
  readonly timeoutMs?: number;
  /** Metadata to send, e.g. `{ "containerd-namespace-ttrpc": "default" }`. */
  readonly metadata?: MetadataInit;
  /** Abandons the call: it rejects with CANCELLED (DEADLINE_EXCEEDED for a TimeoutError). */
  readonly signal?: AbortSignal;
}

/** Options of a {@link Client}. */
export interface ClientOptions {
  /** The frame payload limit both ways; default 4 MiB, as every ttrpc peer uses. */
  readonly maxFrameBytes?: number;
}

interface PendingCall {
  resolve(payload: Uint8Array): void;
  reject(error: TtrpcError): void;
}

const MAX_STREAM_ID = 0xffff_ffff;

/** One ttrpc connection, used as a client. Typed calls: see `createClient`. */
export class Client {
  readonly #channel: Channel;
  readonly #maxFrameBytes: number;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  // Set once: why new calls fail. Shared by every call that was pending when it was set.
  #failure: TtrpcError | undefined;
  #closing: Promise<void> | undefined;
  // Set by close() while it waits for pending calls; called when none is left.
  #onIdle: (() => void) | undefined;
  readonly #ended: Promise<void>;
  #markEnded!: () => void;

  /**
   * Dials a unix socket: a path or a `unix://` address, as shims print them. Rejects with
   * UNAVAILABLE when nothing listens there (the error's cause is the system error).
   */
  static connect(address: string, options: ClientOptions = {}): Promise<Client> {
    const path = address.startsWith("unix://") ? address.slice("unix://".length) : address;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path });
      const onError = (err: Error) =>
        reject(
          new TtrpcError(Code.Unavailable, `ttrpc: dial ${path}: ${err.message}`, { cause: err }),
        );
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        resolve(new Client(socket, options));
      });
    });
  }

  /** Wraps a connected socket (any Duplex); the client owns it from now on. */
  constructor(socket: Duplex, options: ClientOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#ended = new Promise((resolve) => (this.#markEnded = resolve));
    this.#channel = new Channel(
      socket,
      {
        frame: (frame) => this.#onResponse(frame),
        // Go's client hands the status of an oversize frame to that stream's caller.
        oversize: (streamId, _type, length) =>
          this.#settle(streamId, (call) =>
            call.reject(
              new TtrpcError(
                Code.ResourceExhausted,
                `message length ${length} exceed maximum message size of ${this.#maxFrameBytes}`,
              ),
            ),
          ),
        closed: (error) => this.#onClosed(error),
      },
      // A client reads responses only; anything else from the server is ignored.
      { maxFrameBytes: this.#maxFrameBytes, types: [FrameType.Response] },
    );
  }

  /** True once the connection has ended or close/destroy was called. */
  get closed(): boolean {
    return this.#failure !== undefined || this.#closing !== undefined;
  }

  /** Resolves when the connection has ended, for whatever reason (e.g. the server went away). */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /**
   * Calls `service`/`method` with an encoded request and resolves to the encoded response.
   * Rejects with a TtrpcError: the server's status, DEADLINE_EXCEEDED or CANCELLED from the
   * options, RESOURCE_EXHAUSTED for a request over the frame limit, or UNAVAILABLE
   * "ttrpc: closed" when the connection is or becomes closed.
   */
  async invoke(
    service: string,
    method: string,
    payload: Uint8Array,
    options: CallOptions = {},
  ): Promise<Uint8Array> {
    const { timeoutMs, signal } = options;
    if (this.#failure) throw this.#failure;
    if (this.#closing) throw new TtrpcError(Code.Unavailable, "ttrpc: closed");
    if (signal?.aborted) throw abortError(signal.reason);
    const request = Request.encode({
      service,
      method,
      payload,
      timeoutNano: timeoutMs === undefined ? 0 : Math.max(1, Math.round(timeoutMs * 1e6)),
      metadata: metadataToPairs(options.metadata),
    }).finish();
    // Backpressure: while the socket buffer is full, new calls wait instead of piling up.
    if (!this.#channel.writable) await this.#channel.drained();
    if (this.#failure) throw this.#failure;

    const id = this.#takeStreamId();
    return new Promise<Uint8Array>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => this.#settle(id, (call) => call.reject(abortError(signal?.reason)));
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.#pending.set(id, {
        resolve: (value) => (cleanup(), resolve(value)),
        reject: (error) => (cleanup(), reject(error)),
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            this.#settle(id, (call) =>
              call.reject(new TtrpcError(Code.DeadlineExceeded, "context deadline exceeded")),
            ),
          timeoutMs,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        if (!this.#channel.send(id, FrameType.Request, request)) {
          this.#settle(id, (call) => call.reject(this.#closedError()));
        }
      } catch (err) {
        this.#settle(id, (call) => call.reject(TtrpcError.from(err)));
      }
    });
  }

  /**
   * Closes gracefully: new calls fail at once, pending calls may still complete, then the
   * connection closes. Idempotent; every caller gets the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#pending.size > 0) await new Promise<void>((resolve) => (this.#onIdle = resolve));
      this.#channel.end();
      await this.#ended;
    })();
    return this.#closing;
  }

  /** Closes now; pending calls fail with `reason` (default UNAVAILABLE "ttrpc: closed"). */
  destroy(reason?: unknown): Promise<void> {
    this.#fail(reason === undefined ? this.#closedError() : TtrpcError.from(reason));
    this.#channel.destroy();
    return this.#ended;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #takeStreamId(): number {
    const id = this.#nextId;
    // ids stay odd; after 2^31 calls they wrap, as Go's uint32 does.
    this.#nextId = id + 2 > MAX_STREAM_ID ? 1 : id + 2;
    return id;
  }

  #onResponse(frame: Frame): void {
    this.#settle(frame.streamId, (call) => {
      let response: Response;
      try {
        response = Response.decode(frame.payload);
      } catch (err) {
        call.reject(
          new TtrpcError(Code.Internal, `ttrpc: invalid response: ${String(err)}`, { cause: err }),
        );
        return;
      }
      const status = response.status;
      // Go fails a call only when a status is present with a non-zero code.
      if (status && status.code !== Code.Ok) {
        call.reject(new TtrpcError(toCode(status.code), status.message));
      } else {
        call.resolve(response.payload);
      }
    });
  }

  // Removes the call from the table and runs `action`, once; a late or unknown id is ignored
  // (its caller already gave up).
  #settle(id: number, action: (call: PendingCall) => void): void {
    const call = this.#pending.get(id);
    if (!call) return;
    this.#pending.delete(id);
    action(call);
    if (this.#pending.size === 0) this.#onIdle?.();
  }

  #closedError(cause?: Error): TtrpcError {
    return new TtrpcError(Code.Unavailable, "ttrpc: closed", cause ? { cause } : undefined);
  }

  #onClosed(error: Error | undefined): void {
    this.#fail(this.#closedError(error));
    this.#markEnded();
  }

  #fail(error: TtrpcError): void {
    this.#failure ??= error;
    const calls = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of calls) call.reject(this.#failure);
    this.#onIdle?.();
  }
}

function abortError(reason: unknown): TtrpcError {
  if (isTtrpcError(reason)) return reason;
  const timedOut = (reason as { name?: unknown } | undefined)?.name === "TimeoutError";
  return timedOut
    ? new TtrpcError(Code.DeadlineExceeded, "context deadline exceeded", { cause: reason })
    : new TtrpcError(Code.Cancelled, "context canceled", { cause: reason });
}
