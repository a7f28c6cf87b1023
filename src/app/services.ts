import type { Config } from '../config.js';
import type { ChangeFeed } from '../ports/change-feed.js';
import type { HistoryStore } from '../ports/history.js';
import type { LiveWindowStore } from '../ports/live-windows.js';
import type { MappingStore } from '../ports/mappings.js';
import type { ReferenceStore } from '../ports/reference-data.js';

export interface RejectedEvent {
  index: number;
  reason: string;
}

export interface IngestResult {
  accepted: number;
  rejected: RejectedEvent[];
}

/** Validates raw EventInput objects and writes the valid ones to the log before resolving. */
export interface Ingestor {
  ingest(tenant: string, inputs: unknown[]): Promise<IngestResult>;
}

export interface Freshness {
  /** Every record that reached the log before this instant (epoch ms) is folded into both sinks. */
  foldedThrough: number | null;
  lagMs: number | null;
  /** Records in the ingest topics not yet folded. */
  behind: number;
}

export interface FreshnessSource {
  current(): Promise<Freshness>;
}

/** What the GraphQL API is built from: every port, written once against either adapter set. */
export interface ApiServices {
  config: Config;
  live: LiveWindowStore;
  history: HistoryStore;
  changes: ChangeFeed;
  reference: ReferenceStore;
  mappings: MappingStore;
  ingestor: Ingestor;
  freshness: FreshnessSource;
}
