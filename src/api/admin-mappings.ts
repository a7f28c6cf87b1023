import { reservedTopicProblem } from '../mappings/file.js';
import { compileMapping, MappingError, type CompiledMapping } from '../mappings/compile.js';
import { topicMappingSpec, type TopicMappingSpec } from '../mappings/spec.js';
import type { ApiContext } from './context.js';
import { badUserInput, forbidden } from './errors.js';

export function requireAdmin(context: ApiContext, what: string): void {
  if (!context.principal.isAdmin) throw forbidden(`only an admin API key (:admin) may ${what}`);
}

/**
 * A mapping from the admin API, checked like the mappings file's and pinned to the caller's
 * tenant: a key can only ever map messages into its own tenant.
 */
export function mappingFromInput(
  context: ApiContext,
  input: unknown,
): { spec: TopicMappingSpec; compiled: CompiledMapping } {
  const parsed = topicMappingSpec.safeParse(withoutNulls(input));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.join('.');
    throw badUserInput(`mapping.${at}: ${issue.message}`, { argument: `mapping.${at}` });
  }
  const spec = parsed.data;
  const reserved = reservedTopicProblem(spec.topic, context.services.config.kafka);
  if (reserved) throw badUserInput(reserved, { argument: 'mapping.topic' });
  try {
    return { spec, compiled: compileMapping(spec, context.tenant) };
  } catch (error) {
    if (error instanceof MappingError)
      throw badUserInput(`mapping: ${error.message}`, { argument: 'mapping' });
    throw error;
  }
}

/** GraphQL gives explicit nulls for optional fields; the spec has them absent. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}
