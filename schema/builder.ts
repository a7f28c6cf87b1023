import SchemaBuilder from '@pothos/core';
import { GraphQLError, Kind, valueFromASTUntyped, type ValueNode } from 'graphql';
import type { ApiContext } from '../src/api/context.js';
import { isoInstant } from '../src/api/iso-instant.js';
import { parseTimestamp } from '../src/events/validate.js';

export const builder = new SchemaBuilder<{
  Context: ApiContext;
  DefaultFieldNullability: false;
  Scalars: {
    /** Epoch milliseconds inside, ISO-8601 UTC outside. */
    DateTime: { Input: number; Output: number };
    JSON: { Input: unknown; Output: unknown };
  };
}>({ defaultFieldNullability: false });

/** Scalars throw GraphQLError so that graphql-js reports the bad value as the client's. */
function parseDateTime(value: unknown): number {
  if (typeof value !== 'string')
    throw new GraphQLError(`DateTime must be an ISO-8601 string such as "2024-05-01T12:00:00Z"`);
  const parsed = parseTimestamp(value);
  if (typeof parsed === 'string') throw new GraphQLError(`DateTime: ${parsed}`);
  return parsed;
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 instant, UTC ("2024-05-01T12:00:00Z"). Inputs must carry a time zone.',
  serialize: isoInstant,
  parseValue: parseDateTime,
  parseLiteral: (node: ValueNode) =>
    parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node, variables) => valueFromASTUntyped(node, variables),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
