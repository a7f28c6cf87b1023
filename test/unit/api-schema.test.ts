import { buildSchema, findBreakingChanges, findDangerousChanges, printSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.js';

/** The schema core of API.md (/work/shared/design/API.md), verbatim: names and meanings are fixed. */
const API_CORE = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  enum Aggregate {
    COUNT
    SUM
    AVG
    MIN
    MAX
    UNIQUES
    P50
    P90
    P95
    P99
  }
  input DimensionFilter {
    key: String!
    equals: String
    in: [String!]
  }
  input MetricInput {
    event: String!
    aggregate: Aggregate! = COUNT
    filter: [DimensionFilter!]
    groupBy: String
  }
  type Point {
    time: DateTime!
    value: Float
  }
  type Series {
    group: String
    points: [Point!]!
  }
  type WindowValue {
    group: String
    value: Float
    windowStart: DateTime!
    windowEnd: DateTime!
  }
  input EventInput {
    id: ID
    name: String!
    timestamp: DateTime
    userId: String
    value: Float
    dimensions: JSON
  }
  type RejectedEvent {
    index: Int!
    reason: String!
  }
  type IngestResult {
    accepted: Int!
    rejected: [RejectedEvent!]!
  }
  type Query {
    history(
      metric: MetricInput!
      from: DateTime!
      to: DateTime
      interval: String! = "1m"
    ): [Series!]!
    live(metric: MetricInput!, window: String! = "1m"): [WindowValue!]!
    eventNames(limit: Int = 100): [String!]!
    freshness: Freshness!
  }
  type Freshness {
    foldedThrough: DateTime
    lagMs: Int
    behind: Int!
  }
  input LookupRow {
    key: String!
    values: JSON!
  }
  type Mutation {
    ingest(events: [EventInput!]!): IngestResult!
    putLookup(table: String!, keyDimension: String!, rows: [LookupRow!]!): Int!
  }
  type Subscription {
    live(metric: MetricInput!, window: String! = "1m", every: String! = "1s"): [WindowValue!]!
    series(metric: MetricInput!, since: DateTime!, interval: String! = "1m"): SeriesUpdate!
  }
  type SeriesUpdate {
    group: String
    point: Point!
    final: Boolean!
  }
`;

/** The types of the topic-mapping admin API, which API.md does not fix. */
const MAPPING_TYPES = [
  'TimestampFormat',
  'MappedTimestampInput',
  'MappedDimensionInput',
  'MappingFilterInput',
  'TopicMappingInput',
  'MappedTimestamp',
  'MappedDimension',
  'MappingFilter',
  'TopicMapping',
  'MappedEvent',
  'MappedMessage',
];

describe('the schema keeps the fixed core of API.md', () => {
  const core = buildSchema(API_CORE);

  it('drops, renames or retypes nothing, and changes no default', () => {
    expect(findBreakingChanges(core, schema)).toEqual([]);
    expect(findDangerousChanges(core, schema)).toEqual([]);
  });

  it('holds exactly the core, and the admin API of topic mappings (issue 8) beside it', () => {
    const extras = findBreakingChanges(schema, core).map((change) => change.description);
    expect(extras.sort()).toEqual(
      [
        ...MAPPING_TYPES.map((type) => `${type} was removed.`),
        'Query.topicMappings was removed.',
        'Query.dryRunTopicMapping was removed.',
        'Mutation.setTopicMapping was removed.',
        'Mutation.deleteTopicMapping was removed.',
      ].sort(),
    );
  });

  it('schema/schema.graphql is what the code prints (npm run schema:print)', () => {
    const printed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(printed).toBe(`${printSchema(schema)}\n`);
  });
});
