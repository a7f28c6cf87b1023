// The real service as `npm start` runs it, in a child process on the embedded engines
// (test/support/service-process.ts), talked to only through the public GraphQL API.
import { waitFor } from '../support/services.js';

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POSTs one operation; throws on a transport failure or any GraphQL error. */
export async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  if (body.errors?.length || !body.data)
    throw new Error(`GraphQL error (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

interface FreshnessAnswer {
  freshness: { behind: number; foldedThrough: string | null };
}

/**
 * Waits until everything in the log when this is called has been folded: `behind` is 0 in an
 * answer computed after the call (foldedThrough is the computing instant when nothing is behind;
 * the API reuses an answer for a moment, so a bare `behind: 0` may predate the last ingest).
 */
export async function waitUntilFolded(url: string, timeout = 60_000): Promise<void> {
  const since = Date.now();
  await waitFor(
    async () => {
      const { freshness } = await graphql<FreshnessAnswer>(
        url,
        '{ freshness { behind foldedThrough } }',
      );
      return (
        freshness.behind === 0 &&
        freshness.foldedThrough !== null &&
        Date.parse(freshness.foldedThrough) > since
      );
    },
    { timeout, interval: 50, message: 'the fold to catch up with the log' },
  );
}
