// ttrpc metadata: string keys with one or more string values, sent as repeated KeyValue pairs in
// Request.metadata (ttrpc metadata.go). Keys are lower-cased and may repeat. containerd's
// namespace travels under "containerd-namespace-ttrpc" (shim-protocol.md §1.4).
import type { KeyValue } from "./gen/ttrpc/ttrpc.js";

/** Received metadata: lower-cased key → its values in arrival order. */
export type Metadata = ReadonlyMap<string, readonly string[]>;

/**
 * Metadata to send: a record or any iterable of pairs; a value may be a list. Keys are
 * lower-cased on the wire, as Go's `MD.Set` does.
 */
export type MetadataInit =
  | Readonly<Record<string, string | readonly string[]>>
  | Iterable<readonly [string, string | readonly string[]]>;

/** The metadata key under which containerd passes its namespace. */
export const NAMESPACE_METADATA_KEY = "containerd-namespace-ttrpc";

const none: Metadata = new Map();

/** Builds received metadata from the pairs of a request. */
export function metadataFromPairs(pairs: readonly KeyValue[]): Metadata {
  if (pairs.length === 0) return none;
  const metadata = new Map<string, string[]>();
  for (const { key, value } of pairs) {
    // Go's server keeps keys as sent (MD.fromRequest); lower-casing here makes lookups by the
    // documented lower-case names work for any peer.
    const name = key.toLowerCase();
    const values = metadata.get(name);
    if (values) values.push(value);
    else metadata.set(name, [value]);
  }
  return metadata;
}

/** Flattens metadata to send into KeyValue pairs. */
export function metadataToPairs(init: MetadataInit | undefined): KeyValue[] {
  if (init === undefined) return [];
  const entries: Iterable<readonly [string, string | readonly string[]]> =
    Symbol.iterator in init
      ? (init as Iterable<readonly [string, string | readonly string[]]>)
      : Object.entries(init);
  const pairs: KeyValue[] = [];
  for (const [key, value] of entries) {
    const name = key.toLowerCase();
    if (typeof value === "string") pairs.push({ key: name, value });
    else for (const v of value) pairs.push({ key: name, value: v });
  }
  return pairs;
}
