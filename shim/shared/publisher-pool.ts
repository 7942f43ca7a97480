import type { EventSink } from "../events.js";
import type { Logger } from "../log.js";
import { EventPublisher } from "../publisher.js";

/** How long a closing publisher may take to deliver what is queued. */
const flushTimeoutMs = 2_000;

interface Shared {
  readonly publisher: EventPublisher;
  refs: number;
}

/** A sandbox's handle on its containerd's publisher. */
export interface PublisherLease {
  readonly events: EventSink;
  /** Gives the lease back; the last one out closes the publisher (after flushing). Idempotent. */
  release(): void;
}

/**
 * One event publisher per containerd (ttrpc address) and namespace, shared by every sandbox of
 * that pair: the daemon holds one connection to each containerd rather than one per sandbox, and
 * events of one namespace keep their order. Each sandbox publishes to the containerd that asked
 * for it, so one daemon can serve several containerd instances.
 */
export class PublisherPool {
  readonly #log: Logger;
  readonly #shared = new Map<string, Shared>();
  readonly #closing = new Set<Promise<void>>();

  constructor(log: Logger) {
    this.#log = log;
  }

  acquire(ttrpcAddress: string, namespace: string): PublisherLease {
    const key = `${ttrpcAddress}\0${namespace}`;
    let shared = this.#shared.get(key);
    if (!shared) {
      const publisher = new EventPublisher({ address: ttrpcAddress, namespace, log: this.#log });
      shared = { publisher, refs: 0 };
      this.#shared.set(key, shared);
    }
    shared.refs++;
    const entry = shared;
    let released = false;
    return {
      events: entry.publisher,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.refs > 0) return;
        if (this.#shared.get(key) === entry) this.#shared.delete(key);
        const closing = entry.publisher.close(flushTimeoutMs).catch(() => {});
        this.#closing.add(closing);
        void closing.then(() => this.#closing.delete(closing));
      },
    };
  }

  /** Waits for publishers that are flushing, and closes those still leased. */
  async close(): Promise<void> {
    const open = [...this.#shared.values()].map((s) => s.publisher.close(flushTimeoutMs));
    this.#shared.clear();
    await Promise.all([...open, ...this.#closing].map((p) => p.catch(() => {})));
  }
}
