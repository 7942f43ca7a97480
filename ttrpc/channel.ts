// One ttrpc connection's byte stream: frames in through the pure FrameDecoder, frames out with
// backpressure, and one well-defined end. Shared by Client and Server (compare ttrpc's
// channel.go). Socket events keep one meaning each, as in undici: 'error' records the error,
// 'close' ends the channel exactly once with it; writes after the end are dropped silently,
// because an answer to a peer that went away has nobody to read it.
import type { Duplex } from "node:stream";
import { FrameDecoder, encodeFrameHeader, type Frame } from "./frame-codec.js";

/** What a Channel reports to its owner. */
export interface ChannelEvents {
  /** A whole frame of an accepted type arrived. */
  frame(frame: Frame): void;
  /** A frame longer than the limit arrived; its payload is being skipped. */
  oversize(streamId: number, type: number, length: number): void;
  /**
   * The stream ended, once. `error` is the socket error if there was one; `midFrame` says that
   * the peer stopped in the middle of a frame.
   */
  closed(error: Error | undefined, midFrame: boolean): void;
}

/** Options of a {@link Channel}. */
export interface ChannelOptions {
  readonly maxFrameBytes: number;
  /** Frame types to deliver; others are skipped. */
  readonly types: readonly number[];
}

/** A framed, backpressure-aware view of a socket. Owns the socket. */
export class Channel {
  readonly #socket: Duplex;
  readonly #events: ChannelEvents;
  readonly #decoder: FrameDecoder;
  readonly #maxFrameBytes: number;
  #error: Error | undefined;
  #closed = false;
  #drainWaiters: (() => void)[] = [];

  constructor(socket: Duplex, events: ChannelEvents, options: ChannelOptions) {
    this.#socket = socket;
    this.#events = events;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#decoder = new FrameDecoder(options);
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("error", (err: Error) => {
      this.#error ??= err;
    });
    socket.on("drain", () => this.#wakeDrainWaiters());
    socket.on("close", () => this.#onClose());
    // A socket that is already dead never emits 'close' again.
    if (socket.destroyed) queueMicrotask(() => this.#onClose());
  }

  /** True once the stream has ended; sends are then dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** False while the socket's write buffer is over its high-water mark. */
  get writable(): boolean {
    return !this.#closed && !this.#socket.writableNeedDrain;
  }

  /**
   * Writes one frame, header and payload together (one writev: the peer never sees a header
   * without its payload delayed behind another frame). Returns false when the frame was dropped
   * because the channel has ended. Throws a RESOURCE_EXHAUSTED TtrpcError for an oversize
   * payload, before writing anything.
   */
  send(streamId: number, type: number, payload: Uint8Array): boolean {
    const header = encodeFrameHeader(payload.length, streamId, type, 0, this.#maxFrameBytes);
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || !socket.writable) return false;
    socket.cork();
    socket.write(header);
    if (payload.length > 0) socket.write(payload);
    socket.uncork();

    return true;
  }

  /** Resolves when the write buffer has drained or the channel has ended, whichever is first. */
  drained(): Promise<void> {
    if (this.writable || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Stops reading: no more frames are delivered until {@link resume}. */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    if (!this.#closed) this.#socket.resume();
  }

  /** Flushes what was written, then closes the socket. */
  end(): void {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed) return;
    socket.end(() => socket.destroy());
  }

  /** Closes the socket now, dropping unwritten data. */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    // Frames are delivered synchronously: a handler that pauses takes effect before the next.
    for (const event of this.#decoder.push(chunk)) {
      if (this.#closed) return;
      if (event.kind === "frame") this.#events.frame(event.frame);
      else this.#events.oversize(event.streamId, event.type, event.length);
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeDrainWaiters();
    this.#events.closed(this.#error, this.#decoder.midFrame);
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
