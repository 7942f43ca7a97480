import { EventsDefinition } from "../api/index.js";
import { Client, createClient, type ServiceClient } from "../ttrpc/index.js";
import type { EncodedEvent, EventSink } from "./events.js";
import type { Logger } from "./log.js";

interface Queued {
  readonly topic: string;
  readonly event: EncodedEvent;
  readonly timestamp: Date;
  attempts: number;
}

/** Per-Forward deadline and retry policy of containerd's own publisher (shim-protocol.md §5.2). */
const forwardTimeoutMs = 5_000;
const maxAttempts = 5;
const retryDelayMs = 1_000;

/**
 * Forwards task events to containerd over its ttrpc Events service. `publish` only enqueues; one
 * drain loop sends in order, reconnecting when containerd restarted, retrying a failed event with
 * a growing delay and dropping it (with a log line) after five attempts. Events are stamped when
 * published, not when sent, so a retry does not reorder time.
 */
export class EventPublisher implements EventSink {
  readonly #address: string;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #queue: Queued[] = [];
  #client: Client | undefined;
  #events: ServiceClient<typeof EventsDefinition> | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(options: { address: string; namespace: string; log: Logger }) {
    this.#address = options.address.replace(/^unix:\/\//, "");
    this.#namespace = options.namespace;
    this.#log = options.log;
  }

  publish(topic: string, event: EncodedEvent): void {
    if (this.#closed) return;
    this.#queue.push({ topic, event, timestamp: new Date(), attempts: 0 });
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  /** Sends what is queued, for at most `timeoutMs`, then closes the connection. Idempotent. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.#closed = true;
    if (this.#draining) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#draining,
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.#disconnect();
  }

  #disconnect(): void {
    void this.#client?.close();
    this.#client = undefined;
    this.#events = undefined;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const item = this.#queue[0]!;
      try {
        await this.#forward(item);
        this.#queue.shift();
      } catch (err) {
        this.#disconnect();
        item.attempts++;
        if (item.attempts >= maxAttempts) {
          this.#queue.shift();
          this.#log.error("dropping event after retries", {
            topic: item.topic,
            error: String(err),
          });
          continue;
        }
        this.#log.warn("event forward failed; retrying", { topic: item.topic, error: String(err) });
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * item.attempts));
      }
    }
  }

  async #forward(item: Queued): Promise<void> {
    if (!this.#events) {
      this.#client = await Client.connect(this.#address);
      this.#events = createClient(EventsDefinition, this.#client);
    }
    await this.#events.forward(
      {
        envelope: {
          timestamp: item.timestamp,
          namespace: this.#namespace,
          topic: item.topic,
          event: { typeUrl: item.event.typeUrl, value: item.event.value },
        },
      },
      { timeoutMs: forwardTimeoutMs, metadata: { "containerd-namespace-ttrpc": this.#namespace } },
    );
  }
}
