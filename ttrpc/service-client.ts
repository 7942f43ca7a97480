// Typed calls from a ts-proto generic definition: `createClient(EventsDefinition, client)` gives
// `{ forward(request, options) }`, each method encoding its request init with the definition's
// codec and decoding the response.
import type { CallOptions, Client } from "./client.js";
import { Code } from "./code.js";
import type {
  DeepPartial,
  MethodDefinition,
  RequestOf,
  ResponseOf,
  ServiceDefinition,
} from "./definition.js";
import { TtrpcError } from "./error.js";

/** A typed method: takes a request init, resolves to the decoded response. */
export type ClientMethod<M extends MethodDefinition> = (
  request: DeepPartial<RequestOf<M>>,
  options?: CallOptions,
) => Promise<ResponseOf<M>>;

/** One typed method per entry of `definition.methods`, under the same keys. */
export type ServiceClient<D extends ServiceDefinition> = {
  readonly [K in keyof D["methods"]]: ClientMethod<D["methods"][K]>;
};

/** Options of {@link createClient}. */
export interface ServiceClientOptions {
  /** Call this service name instead of `definition.fullName` (e.g. "containerd.task.v3.Task"). */
  readonly service?: string;
  /** Defaults for every call; a call's own options win, key by key. */
  readonly defaults?: CallOptions;
}

/**
 * Makes a typed client for `definition` over a connected {@link Client}. Methods reject with a
 * TtrpcError (see `Client.invoke`), and with INTERNAL when a response does not decode.
 */
export function createClient<D extends ServiceDefinition>(
  definition: D,
  client: Client,
  options: ServiceClientOptions = {},
): ServiceClient<D> {
  const service = options.service ?? definition.fullName;
  const methods: Record<string, ClientMethod<MethodDefinition>> = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    methods[key] = async (request, callOptions) => {
      const { requestType, responseType } = method;
      const payload = requestType.encode(requestType.fromPartial(request)).finish();
      const response = await client.invoke(service, method.name, payload, {
        ...options.defaults,
        ...callOptions,
      });
      try {
        return responseType.decode(response);
      } catch (err) {
        throw new TtrpcError(
          Code.Internal,
          `ttrpc: cannot decode the response of ${service}.${method.name}: ${String(err)}`,
          { cause: err },
        );
      }
    };
  }
  return methods as ServiceClient<D>;
}
