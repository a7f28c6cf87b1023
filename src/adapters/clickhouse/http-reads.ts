import { Agent, request } from 'node:http';

/** A SELECT's answer in JSONCompact: the columns, then each row as an array in that order. */
export interface CompactAnswer<T extends unknown[]> {
  meta: { name: string; type: string }[];
  data: T[];
}

export interface ClickHouseReads {
  /**
   * Runs one SELECT (no FORMAT clause) with these settings besides the reads' own, and returns
   * its JSONCompact answer, 64-bit integers as numbers.
   */
  select<T extends unknown[]>(
    query: string,
    settings?: Record<string, string | number>,
  ): Promise<CompactAnswer<T>>;
  close(): void;
}

export interface ClickHouseReadsOptions {
  /** http://host:port of the server. */
  url: string;
  username?: string;
  password?: string;
  database: string;
  /** A query that has not answered by then fails (default 30 s, the client's default). */
  timeoutMs?: number;
}

/**
 * Idle keep-alive sockets are closed before the server's keep_alive_timeout (3 s by default)
 * would close them under a request.
 */
const IDLE_SOCKET_MS = 2000;

/**
 * SELECTs over Node's own HTTP keep-alive, one write per request (query and settings in the
 * body and URL) and one JSON.parse per answer. @clickhouse/client took ~2.5 ms longer per query
 * on the same machine (its request and response streams, socket housekeeping and logging): the
 * most of a month-at-1h history answer from the hour rollup. Inserts and commands stay on the
 * client. Errors: the server's message for a non-2xx answer; Node's network errors (ECONNREFUSED,
 * ECONNRESET...) as they are, which isDependencyUnavailable recognises. A reused socket the
 * server closed meanwhile (ECONNRESET, EPIPE) gets the SELECT sent once more.
 */
export function createClickHouseReads(options: ClickHouseReadsOptions): ClickHouseReads {
  const url = new URL(options.url);
  url.searchParams.set('database', options.database);
  url.searchParams.set('default_format', 'JSONCompact');
  url.searchParams.set('output_format_json_quote_64bit_integers', '0');
  // Short reads (a rollup's series) skip decompressing the same blocks again: ClickHouse uses
  // the cache only below merge_tree_max_rows_to_use_cache rows, so long scans are unaffected.
  url.searchParams.set('use_uncompressed_cache', '1');
  const agent = new Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  const headers: Record<string, string> = {};
  if (options.username !== undefined || options.password !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${options.username ?? 'default'}:${options.password ?? ''}`).toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? 30_000;

  const urlWith = (settings: Record<string, string | number>): URL => {
    const target = new URL(url);
    for (const [name, value] of Object.entries(settings))
      target.searchParams.set(name, String(value));
    return target;
  };

  const send = (query: string, target: URL): Promise<string> =>
    new Promise((resolve, reject) => {
      const body = Buffer.from(query);
      const req = request(target, {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': body.length },
        signal: AbortSignal.timeout(timeoutMs),
      });
      req.on('error', (error: Error & { reused?: boolean }) => {
        error.reused = req.reusedSocket;
        reject(error);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const answer = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(answer);
          else reject(new Error(`ClickHouse answered ${status}: ${answer.trim()}`));
        });
      });
      req.end(body);
    });

  return {
    async select<T extends unknown[]>(query: string, settings = {}) {
      const target = Object.keys(settings).length === 0 ? url : urlWith(settings);
      let answer;
      try {
        answer = await send(query, target);
      } catch (error) {
        const failed = error as { code?: string; reused?: boolean };
        if (!(failed.reused && (failed.code === 'ECONNRESET' || failed.code === 'EPIPE')))
          throw error;
        answer = await send(query, target);
      }
      return JSON.parse(answer) as CompactAnswer<T>;
    },
    close: () => agent.destroy(),
  };
}
