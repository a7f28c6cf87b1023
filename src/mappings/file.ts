import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compileMapping, MappingError } from './compile.js';
import { topicMappingSpec, type TopicMappingSpec } from './spec.js';

const mappingsFile = z.object({ mappings: z.array(topicMappingSpec) }).strict();

/**
 * Reads and checks the mappings file (`{ "mappings": [...] }`): every mapping must compile and
 * names must be unique. Throws MappingError naming the mapping and the field.
 */
export function readMappingsFile(path: string): TopicMappingSpec[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MappingError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = mappingsFile.safeParse(json);
  if (!parsed.success)
    throw new MappingError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  const names = new Set<string>();
  parsed.data.mappings.forEach((spec, i) => {
    if (names.has(spec.name)) throw new MappingError(`mappings[${i}]: name ${spec.name} repeats`);
    names.add(spec.name);
    try {
      compileMapping(spec);
    } catch (error) {
      if (error instanceof MappingError)
        throw new MappingError(`mappings[${i}] (${spec.name}): ${error.message}`);
      throw error;
    }
  });
  return parsed.data.mappings;
}

/** Topics a mapping may not read: the native ingest topics and the dead-letter topic. */
export function reservedTopicProblem(
  topic: string,
  kafka: { INGEST_TOPICS: readonly string[]; DEAD_LETTER_TOPIC: string },
): string | undefined {
  if (kafka.INGEST_TOPICS.includes(topic))
    return `topic ${topic} is an ingest topic: it carries native events`;
  if (topic === kafka.DEAD_LETTER_TOPIC) return `topic ${topic} is the dead-letter topic`;
  return undefined;
}
