// One unary call of a ts-proto generated @grpc/grpc-js client as a promise: what the CRI client
// (test/cri) and the containerd API client (test/containerd-api) both do for every method.
import type { CallOptions, Client, ClientUnaryCall, Metadata, ServiceError } from "@grpc/grpc-js";

/** The generated client methods' full overload: request, metadata, options, callback. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Calls `method` of `client`; rejects with grpc-js's `ServiceError` (`code`, `details`) when the
 * server answers an error. `deadlineMs` undefined: no deadline (a call that lasts as long as what
 * it waits for, such as a task's Wait).
 */
export function unaryCall<Req, Res>(
  client: Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata,
  deadlineMs: number | undefined,
): Promise<Res> {
  const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
  return new Promise((resolve, reject) => {
    // The generated methods are grpc-js prototype methods: they need their client as `this`.
    method.call(client, request, metadata, options, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}
