import type { ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { Freshness } from '../app/services.js';
import { olderFreshness, type ApiContext } from './context.js';
import { isoInstant } from './iso-instant.js';

/** `extensions.freshness` carries the Freshness type's fields, as they appear in the schema. */
export const formatFreshness = (freshness: Freshness) => ({
  foldedThrough: freshness.foldedThrough === null ? null : isoInstant(freshness.foldedThrough),
  lagMs: freshness.lagMs,
  behind: freshness.behind,
});

function responseExtensions(context: ApiContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { historyPaths } = context.response;
  // A live answer may have been read before the operation's freshness was known: the older is told.
  const freshness = olderFreshness(context.response.freshness, context.response.readFreshness);
  if (freshness) out.freshness = formatFreshness(freshness);
  // One history field: its path. Several (aliases): the path of each, by response key.
  if (historyPaths.size === 1) out.historyPath = [...historyPaths.values()][0];
  else if (historyPaths.size > 1) out.historyPath = Object.fromEntries(historyPaths);
  return out;
}

/**
 * Adds what the resolvers recorded in `context.response` (freshness, the history path) to the
 * response's `extensions`: once for a query, on every event of a subscription (whose resolver
 * records the freshness of the frame it resolves).
 */
export function useResponseExtensions(): Plugin<ApiContext> {
  const merge =
    (context: ApiContext) =>
    ({
      result,
      setResult,
    }: {
      result: ExecutionResult;
      setResult: (result: ExecutionResult) => void;
    }) => {
      const extra = responseExtensions(context);
      if (Object.keys(extra).length > 0)
        setResult({ ...result, extensions: { ...result.extensions, ...extra } });
    };
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: (payload) =>
        handleStreamOrSingleExecutionResult(payload, merge(args.contextValue)),
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) =>
        handleStreamOrSingleExecutionResult(payload, merge(args.contextValue)),
    }),
  };
}
