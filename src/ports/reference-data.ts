/** Lookup tables for the putLookup join, and the event-id dedup memory. */
export interface LookupTable {
  table: string;
  keyDimension: string;
  /** key -> extra dimensions */
  rows: Map<string, Record<string, string>>;
}

export interface ReferenceStore {
  putLookup(
    tenant: string,
    table: string,
    keyDimension: string,
    rows: { key: string; values: Record<string, string> }[],
  ): Promise<number>;
  /** A number that changes whenever any lookup changes: cheap to poll once per batch. */
  version(): Promise<string>;
  /** All lookup tables per tenant. */
  lookups(): Promise<Map<string, LookupTable[]>>;
  close(): Promise<void>;
}

export interface DedupStore {
  /**
   * Claims each id for its position ("topic:partition:offset"), remembered at least `ttlMs` and
   * at most 2 × `ttlMs` (a store may keep claims in ttl-wide time buckets). Returns, per entry,
   * true when the event is the first with that id or is the same record seen again (a redelivery,
   * which the sinks' offsets handle), false when another record already claimed the id. Within
   * one call the first entry of an id claims it.
   */
  claim(
    entries: { tenant: string; id: string; position: string }[],
    ttlMs: number,
  ): Promise<boolean[]>;
  close(): Promise<void>;
}
