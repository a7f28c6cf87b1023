/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query History($metric: MetricInput!, $from: DateTime!, $to: DateTime, $interval: String! = \"1m\") {\n  history(metric: $metric, from: $from, to: $to, interval: $interval) {\n    group\n    points {\n      time\n      value\n    }\n  }\n}\n\nquery Live($metric: MetricInput!, $window: String! = \"1m\") {\n  live(metric: $metric, window: $window) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nquery EventNames($limit: Int) {\n  eventNames(limit: $limit)\n}\n\nquery FreshnessNow {\n  freshness {\n    foldedThrough\n    lagMs\n    behind\n  }\n}\n\nmutation Ingest($events: [EventInput!]!) {\n  ingest(events: $events) {\n    accepted\n    rejected {\n      index\n      reason\n    }\n  }\n}\n\nmutation PutLookup($table: String!, $keyDimension: String!, $rows: [LookupRow!]!) {\n  putLookup(table: $table, keyDimension: $keyDimension, rows: $rows)\n}\n\nsubscription WatchLive($metric: MetricInput!, $window: String! = \"1m\", $every: String! = \"1s\") {\n  live(metric: $metric, window: $window, every: $every) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nsubscription WatchSeries($metric: MetricInput!, $since: DateTime!, $interval: String! = \"1m\") {\n  series(metric: $metric, since: $since, interval: $interval) {\n    group\n    point {\n      time\n      value\n    }\n    final\n  }\n}": typeof types.HistoryDocument,
};
const documents: Documents = {
    "query History($metric: MetricInput!, $from: DateTime!, $to: DateTime, $interval: String! = \"1m\") {\n  history(metric: $metric, from: $from, to: $to, interval: $interval) {\n    group\n    points {\n      time\n      value\n    }\n  }\n}\n\nquery Live($metric: MetricInput!, $window: String! = \"1m\") {\n  live(metric: $metric, window: $window) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nquery EventNames($limit: Int) {\n  eventNames(limit: $limit)\n}\n\nquery FreshnessNow {\n  freshness {\n    foldedThrough\n    lagMs\n    behind\n  }\n}\n\nmutation Ingest($events: [EventInput!]!) {\n  ingest(events: $events) {\n    accepted\n    rejected {\n      index\n      reason\n    }\n  }\n}\n\nmutation PutLookup($table: String!, $keyDimension: String!, $rows: [LookupRow!]!) {\n  putLookup(table: $table, keyDimension: $keyDimension, rows: $rows)\n}\n\nsubscription WatchLive($metric: MetricInput!, $window: String! = \"1m\", $every: String! = \"1s\") {\n  live(metric: $metric, window: $window, every: $every) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nsubscription WatchSeries($metric: MetricInput!, $since: DateTime!, $interval: String! = \"1m\") {\n  series(metric: $metric, since: $since, interval: $interval) {\n    group\n    point {\n      time\n      value\n    }\n    final\n  }\n}": types.HistoryDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query History($metric: MetricInput!, $from: DateTime!, $to: DateTime, $interval: String! = \"1m\") {\n  history(metric: $metric, from: $from, to: $to, interval: $interval) {\n    group\n    points {\n      time\n      value\n    }\n  }\n}\n\nquery Live($metric: MetricInput!, $window: String! = \"1m\") {\n  live(metric: $metric, window: $window) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nquery EventNames($limit: Int) {\n  eventNames(limit: $limit)\n}\n\nquery FreshnessNow {\n  freshness {\n    foldedThrough\n    lagMs\n    behind\n  }\n}\n\nmutation Ingest($events: [EventInput!]!) {\n  ingest(events: $events) {\n    accepted\n    rejected {\n      index\n      reason\n    }\n  }\n}\n\nmutation PutLookup($table: String!, $keyDimension: String!, $rows: [LookupRow!]!) {\n  putLookup(table: $table, keyDimension: $keyDimension, rows: $rows)\n}\n\nsubscription WatchLive($metric: MetricInput!, $window: String! = \"1m\", $every: String! = \"1s\") {\n  live(metric: $metric, window: $window, every: $every) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nsubscription WatchSeries($metric: MetricInput!, $since: DateTime!, $interval: String! = \"1m\") {\n  series(metric: $metric, since: $since, interval: $interval) {\n    group\n    point {\n      time\n      value\n    }\n    final\n  }\n}"): (typeof documents)["query History($metric: MetricInput!, $from: DateTime!, $to: DateTime, $interval: String! = \"1m\") {\n  history(metric: $metric, from: $from, to: $to, interval: $interval) {\n    group\n    points {\n      time\n      value\n    }\n  }\n}\n\nquery Live($metric: MetricInput!, $window: String! = \"1m\") {\n  live(metric: $metric, window: $window) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nquery EventNames($limit: Int) {\n  eventNames(limit: $limit)\n}\n\nquery FreshnessNow {\n  freshness {\n    foldedThrough\n    lagMs\n    behind\n  }\n}\n\nmutation Ingest($events: [EventInput!]!) {\n  ingest(events: $events) {\n    accepted\n    rejected {\n      index\n      reason\n    }\n  }\n}\n\nmutation PutLookup($table: String!, $keyDimension: String!, $rows: [LookupRow!]!) {\n  putLookup(table: $table, keyDimension: $keyDimension, rows: $rows)\n}\n\nsubscription WatchLive($metric: MetricInput!, $window: String! = \"1m\", $every: String! = \"1s\") {\n  live(metric: $metric, window: $window, every: $every) {\n    group\n    value\n    windowStart\n    windowEnd\n  }\n}\n\nsubscription WatchSeries($metric: MetricInput!, $since: DateTime!, $interval: String! = \"1m\") {\n  series(metric: $metric, since: $since, interval: $interval) {\n    group\n    point {\n      time\n      value\n    }\n    final\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;