import type { MappingStore } from '../ports/mappings.js';
import { compileMapping, type CompiledMapping } from './compile.js';
import type { StoredMapping, TopicMappingSpec } from './spec.js';

/** The mappings a fold process applies: the mappings file's and the admin API's, by topic. */
export interface MappingRegistry {
  /** Reloads the stored mappings when their version moved on. */
  refresh(): Promise<void>;
  forTopic(topic: string): readonly CompiledMapping[] | undefined;
  /** Every mapped topic, sorted. */
  topics(): string[];
}

export interface MappingRegistryOptions {
  store: MappingStore;
  /** From the mappings file: checked when the configuration was loaded. */
  fileMappings: readonly TopicMappingSpec[];
  /** Hears of a stored mapping that no longer compiles (it is left out). */
  onInvalid?: (mapping: StoredMapping, error: unknown) => void;
}

export function createMappingRegistry(options: MappingRegistryOptions): MappingRegistry {
  const fromFile = options.fileMappings.map((spec) => compileMapping(spec));
  let byTopic = group(fromFile);
  let loadedVersion = -1;

  function compileStored(stored: StoredMapping[]): CompiledMapping[] {
    return stored.flatMap((mapping) => {
      try {
        return [compileMapping(mapping.spec, mapping.owner)];
      } catch (error) {
        options.onInvalid?.(mapping, error);
        return [];
      }
    });
  }

  async function refresh() {
    const version = Number(await options.store.version());
    if (version <= loadedVersion) return;
    const stored = await options.store.list();
    // Refreshes overlap (batches folded at once): an older answer must not replace a newer one.
    if (version <= loadedVersion) return;
    byTopic = group([...fromFile, ...compileStored(stored)]);
    loadedVersion = version;
  }

  return {
    // Not shared between batches: a look that began before a change must not stand in for one after.
    refresh,
    forTopic: (topic) => byTopic.get(topic),
    topics: () => [...byTopic.keys()].sort(),
  };
}

function group(mappings: CompiledMapping[]): Map<string, CompiledMapping[]> {
  const byTopic = new Map<string, CompiledMapping[]>();
  for (const mapping of mappings) {
    const list = byTopic.get(mapping.topic);
    if (list) list.push(mapping);
    else byTopic.set(mapping.topic, [mapping]);
  }
  return byTopic;
}

/**
 * Refreshes the registry every `everyMs` (the timer does not hold the process open) and calls
 * `afterRefresh` after each; a failed look is passed to `onError` and tried again next time.
 * Returns the function that stops it.
 */
export function pollMappings(
  registry: MappingRegistry,
  everyMs: number,
  onError: (error: unknown) => void,
  afterRefresh: () => unknown = () => undefined,
): () => void {
  const timer = setInterval(() => {
    registry.refresh().then(afterRefresh).catch(onError);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
