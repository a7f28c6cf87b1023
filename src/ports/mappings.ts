import type { StoredMapping, TopicMappingSpec } from '../mappings/spec.js';

/** Topic mappings set through the admin API: durable, per owning tenant, unique by name. */
export interface MappingStore {
  /** Stores (or replaces) the owner's mapping of that name and bumps the version. */
  put(owner: string, spec: TopicMappingSpec): Promise<StoredMapping>;
  /** Removes the owner's mapping of that name; false when there was none. */
  remove(owner: string, name: string): Promise<boolean>;
  /** Every owner's mappings, ordered by owner, then name. */
  list(): Promise<StoredMapping[]>;
  /** A counter (as a decimal string) that grows with every change: cheap to poll once per batch. */
  version(): Promise<string>;
}
