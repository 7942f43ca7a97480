// Test support for ttrpc's own tests (not exported from index.ts): a small service definition
// over ttrpc's own messages, temporary socket paths, and a raw socket that speaks frames, for
// feeding a server exactly the bytes a test wants.
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { FrameDecoder, encodeFrame, FrameType, type Frame } from "./frame-codec.js";
import { KeyValue, Request, Response } from "./gen/ttrpc/ttrpc.js";
import { Server } from "./server.js";
import { Client } from "./client.js";
import type { ServiceImpl } from "./definition.js";

const unary = { requestStream: false, responseStream: false, options: {} } as const;

/**
 * A service definition shaped like ts-proto's generic definitions, built on messages ttrpc
 * already has: KeyValue (two strings) and Request (which carries a bytes payload).
 */
export const TestDefinition = {
  name: "Test",
  fullName: "ttrpc.test.Test",
  methods: {
    echo: { name: "Echo", requestType: KeyValue, responseType: KeyValue, ...unary },
    /** Answers with the request's payload length; for large frames. */
    size: { name: "Size", requestType: Request, responseType: KeyValue, ...unary },
    /** Answers with a payload of `Number(request.value)` bytes. */
    blob: { name: "Blob", requestType: KeyValue, responseType: Response, ...unary },
    /** Left unimplemented by tests that check UNIMPLEMENTED. */
    missing: { name: "Missing", requestType: KeyValue, responseType: KeyValue, ...unary },
  },
} as const;

/** The default handlers of {@link TestDefinition}, apart from `missing`. */
export const testImpl: Partial<ServiceImpl<typeof TestDefinition>> = {
  echo: (request) => request,
  size: (request) => ({ key: "size", value: String(request.payload.length) }),
  blob: (request) => ({ payload: new Uint8Array(Number(request.value)).fill(7) }),
};

/** A fresh temporary directory, removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ttrpc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A listening server with {@link testImpl} (overridable) and its socket path; cleaned up after. */
export async function startServer(
  t: TestContext,
  impl: Partial<ServiceImpl<typeof TestDefinition>> = testImpl,
): Promise<{ server: Server; socketPath: string }> {
  const socketPath = path.join(await tempDir(t), "ttrpc.sock");
  const server = new Server().register(TestDefinition, impl);
  await server.listen(socketPath);
  t.after(() => server.destroy());
  return { server, socketPath };
}

/** A connected client, destroyed after the test. */
export async function connect(t: TestContext, socketPath: string): Promise<Client> {
  const client = await Client.connect(socketPath);
  t.after(() => client.destroy());
  return client;
}

/** A raw connection that writes bytes and reads frames: a hand-driven ttrpc peer. */
export class RawPeer {
  readonly socket: net.Socket;
  readonly #decoder = new FrameDecoder({ types: [FrameType.Response] });
  readonly #frames: Frame[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      for (const event of this.#decoder.push(chunk)) {
        if (event.kind === "frame") this.#frames.push(event.frame);
      }
      this.#wake?.();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  static async connect(t: TestContext, socketPath: string): Promise<RawPeer> {
    const socket = net.createConnection({ path: socketPath });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    t.after(() => socket.destroy());
    return new RawPeer(socket);
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Writes a request frame calling `method` of the test service. */
  call(streamId: number, method: string, payload: Uint8Array, extra: Partial<Request> = {}) {
    const request = Request.encode(
      Request.fromPartial({ service: TestDefinition.fullName, method, payload, ...extra }),
    ).finish();
    return this.write(encodeFrame({ streamId, type: FrameType.Request, payload: request }));
  }

  /** The next response frame, or undefined when the server closed the connection. */
  async next(): Promise<Frame | undefined> {
    while (this.#frames.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return this.#frames.shift();
  }

  /** The next response, decoded. Throws when the connection closed instead. */
  async response(): Promise<{ streamId: number; response: Response }> {
    const frame = await this.next();
    if (!frame) throw new Error("the server closed the connection");
    return { streamId: frame.streamId, response: Response.decode(frame.payload) };
  }

  /** Resolves when the server has closed the connection. */
  async closed(): Promise<void> {
    while (!this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
  }
}

/** KeyValue bytes: the payload of an Echo call. */
export const keyValue = (key: string, value = ""): Uint8Array =>
  KeyValue.encode({ key, value }).finish();
