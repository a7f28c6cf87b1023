// The floor of any API in front of ClickHouse, for the history scenario: a Node HTTP server that
// takes a bucket query's SQL as its request body, runs it over the API's own keep-alive reads
// (src/adapters/clickhouse/http-reads.ts) and answers in the shape of the `history` query
// (every bucket of the range, ISO times), with no GraphQL, no auth and no planning.
//   CLICKHOUSE_URL=... CLICKHOUSE_DATABASE=... FROM_MS=... TO_MS=... INTERVAL_MS=...
//   node --import tsx bench/support/bare-history-server.ts
// It logs {"url": ...} once listening (as the service does, for startServiceChild).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClickHouseReads } from '../../src/adapters/clickhouse/http-reads.js';
import { isoInstant } from '../../src/api/iso-instant.js';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const reads = createClickHouseReads({
  url: setting('CLICKHOUSE_URL'),
  database: setting('CLICKHOUSE_DATABASE'),
});
const fromMs = Number(setting('FROM_MS'));
const toMs = Number(setting('TO_MS'));
const intervalMs = Number(setting('INTERVAL_MS'));

/** Rows of (bucket epoch s, value), as the scenario's SQL selects them. */
async function answer(sql: string): Promise<string> {
  // On one thread, as the API reads a rollup slice this small (bucketQuerySettings): the two
  // servers differ in GraphQL only.
  const { data } = await reads.select<[number, number]>(sql, { max_threads: 1 });
  const byBucket = new Map(data.map(([bucket, value]) => [bucket * 1000, value]));
  const points = [];
  for (let time = fromMs; time < toMs; time += intervalMs)
    points.push({ time: isoInstant(time), value: byBucket.get(time) ?? null });
  return JSON.stringify({ data: { history: [{ points }] } });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    answer(Buffer.concat(chunks).toString('utf8')).then(
      (body) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error.message);
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ level: 30, msg: 'listening', url: `http://127.0.0.1:${port}/` }));
});
process.on('SIGTERM', () => {
  server.close();
  reads.close();
});
