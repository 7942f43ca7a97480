// ttrpc for Node.js: the framing, server and client of containerd's ttrpc 1.1 over unix
// sockets, typed by ts-proto generic service definitions. See README.md.

// End-user API.
export { Server } from "./server.js";
export type { ServerOptions, RegisterOptions, ListenTarget } from "./server.js";
export { Client } from "./client.js";
export type { CallOptions, ClientOptions } from "./client.js";
export { createClient } from "./service-client.js";
export type { ServiceClient, ClientMethod, ServiceClientOptions } from "./service-client.js";
export { Code, codeName } from "./code.js";
export { TtrpcError, isTtrpcError } from "./error.js";
export type {
  CallContext,
  ServiceImpl,
  MethodImpl,
  Reply,
  DeepPartial,
  ServiceDefinition,
  MethodDefinition,
  MessageCodec,
  RequestOf,
  ResponseOf,
} from "./definition.js";
export { NAMESPACE_METADATA_KEY } from "./metadata.js";
export type { Metadata, MetadataInit } from "./metadata.js";

// For other libraries and tests that speak the wire format directly (raw frames, own
// transports). Stable, but rarely needed by applications.
export {
  FrameDecoder,
  encodeFrame,
  encodeFrameHeader,
  FrameType,
  FRAME_HEADER_BYTES,
  MAX_FRAME_BYTES,
} from "./frame-codec.js";
export type { Frame, FrameEvent, FrameDecoderOptions } from "./frame-codec.js";
export { toCode } from "./code.js";
export { Request, Response, KeyValue } from "./gen/ttrpc/ttrpc.js";
export { Status as RpcStatus } from "./gen/google/rpc/status.js";
