// The usage example of README.md, which includes the part between the markers verbatim;
// example.test.ts checks that the two match and runs it.
import { Client, KeyValue, Server, createClient } from "./index.js";

/**
 * A service definition in ts-proto's generic-definitions shape. Generated code provides these
 * (e.g. `TaskDefinition`); this one is written out over ttrpc's own KeyValue message so that the
 * example needs nothing else.
 */
export const GreeterDefinition = {
  name: "Greeter",
  fullName: "example.Greeter",
  methods: {
    greet: {
      name: "Greet",
      requestType: KeyValue,
      responseType: KeyValue,
      requestStream: false,
      responseStream: false,
      options: {},
    },
  },
} as const;

/** Serves Greeter on `socketPath`, calls it once and returns the reply's value. */
export async function example(socketPath: string): Promise<string> {
  // README:begin
  const server = new Server().register(GreeterDefinition, {
    greet: (request, { metadata }) => ({
      key: request.key,
      value: `hello ${request.key} from ${metadata.get("caller")?.[0]}`,
    }),
  });
  await server.listen(socketPath);

  const client = await Client.connect(`unix://${socketPath}`);
  const greeter = createClient(GreeterDefinition, client);
  const reply = await greeter.greet(
    { key: "ttrpc" },
    { timeoutMs: 1000, metadata: { caller: "me" } },
  );
  // reply.value === "hello ttrpc from me"

  await client.close();
  await server.close();
  // README:end
  return reply.value;
}
