// The shape of a service as ttrpc sees it: a ts-proto "generic definition"
// (`outputServices=generic-definitions`), declared structurally so that ttrpc needs none of the
// generated code it serves. From one definition come the handler types of the server and the
// method types of the client, as connect-es derives ServiceImpl from its descriptors.
import type { Metadata } from "./metadata.js";

/** A message codec as ts-proto generates it: `X.encode(X.fromPartial(init)).finish()`. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: DeepPartial<T>): T;
}

/** One unary method of a definition, e.g. `TaskDefinition.methods.create`. */
export interface MethodDefinition<Req = unknown, Res = unknown> {
  /** The method name on the wire, e.g. "Create". */
  readonly name: string;
  readonly requestType: MessageCodec<Req>;
  readonly responseType: MessageCodec<Res>;
  /** ttrpc 1.1 has no streams; a streaming method is refused at registration. */
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** A service: `{ name, fullName, methods }`, e.g. `TaskDefinition` from api/. */
export interface ServiceDefinition {
  readonly name: string;
  /** The service name on the wire, e.g. "containerd.task.v2.Task". */
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDefinition };
}

/** The decoded request type of a method definition. */
export type RequestOf<M extends MethodDefinition> = M["requestType"] extends {
  decode(input: Uint8Array): infer T;
}
  ? T
  : never;

/** The decoded response type of a method definition. */
export type ResponseOf<M extends MethodDefinition> = M["responseType"] extends {
  decode(input: Uint8Array): infer T;
}
  ? T
  : never;

type Builtin = Date | ((...args: never[]) => unknown) | Uint8Array | string | number | boolean;

/**
 * A message init: every field optional, recursively; what `fromPartial` accepts. The same
 * shape as ts-proto's own DeepPartial, so generated types and this one interchange.
 */
export type DeepPartial<T> = T extends Builtin | undefined
  ? T
  : T extends Array<infer U>
    ? Array<DeepPartial<U>>
    : T extends ReadonlyArray<infer U>
      ? ReadonlyArray<DeepPartial<U>>
      : T extends object
        ? { [K in keyof T]?: DeepPartial<T[K]> }
        : Partial<T>;

/** What a server passes to every handler besides the request. */
export interface CallContext {
  /** The service name the call used, e.g. "containerd.task.v3.Task" for a second name. */
  readonly service: string;
  /** The method name on the wire, e.g. "Create". */
  readonly method: string;
  /** The request's metadata, keys lower-cased; empty when none was sent (the usual case). */
  readonly metadata: Metadata;
  /**
   * Aborts when the request's deadline (`timeout_nano`) passes — reason: a DEADLINE_EXCEEDED
   * TtrpcError —, when the connection closes, or when the server is destroyed. Pass it to every
   * blocking operation; throwing `signal.reason` answers the call with that code.
   */
  readonly signal: AbortSignal;
  /** The deadline as a `Date.now()` timestamp, or undefined when the caller set none. */
  readonly deadline: number | undefined;
}

/**
 * What a handler returns: a message init, or nothing when the response type has no fields
 * (google.protobuf.Empty). A response with fields must be returned explicitly, so a forgotten
 * `return` does not answer with a message of zeros.
 */
export type Reply<Res> = [keyof Res] extends [never] ? DeepPartial<Res> | void : DeepPartial<Res>;

/** A handler: a plain (async) function of the request and the call context. */
export type MethodImpl<M extends MethodDefinition> = (
  request: RequestOf<M>,
  context: CallContext,
) => Reply<ResponseOf<M>> | Promise<Reply<ResponseOf<M>>>;

/**
 * Handlers for a whole service, keyed like `definition.methods` (`create`, `state`, …).
 * Register a `Partial<ServiceImpl<D>>`: a missing method answers UNIMPLEMENTED.
 */
export type ServiceImpl<D extends ServiceDefinition> = {
  [K in keyof D["methods"]]: MethodImpl<D["methods"][K]>;
};
