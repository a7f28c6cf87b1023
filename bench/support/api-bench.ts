// The GraphQL API's measurements on the real engines (see bench/api.ts for what each one means):
// the service in child processes (the fold, and the API with ROLE=api) on a database, topic,
// consumer group and Redis prefix of the run, events produced straight to Kafka at a steady rate
// throughout, HTTP queries through wrk and graphql-ws subscribers in child processes.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { arrayMessage, generateEvent, TENANT } from './events.js';
import { startFoldProcess, type FoldProcess } from './fold-process.js';
import { loadAverage } from './proc.js';
import { ROOT } from './stack-env.js';
import { formatCount } from './stats.js';
import { workspaceSettings } from './service-settings.js';
import { hardOpenFileLimit, withOpenFileLimit } from './ulimit.js';
import { createBenchWorkspace } from './workspace.js';
import { ensureWrk, runWrk, type WrkResult } from './wrk.js';
import type { ChildMessage, ParentMessage } from './ws-subscribers.js';

/**
 * A client process takes its sockets' frames one after another, so the last frame of a tick also
 * waits for the process's other sockets: smaller processes take a tick's frames side by side.
 */
const SUBSCRIBERS_PER_PROCESS = 2_000;
const PARTITIONS = 4;
const PRODUCE_TICK_MS = 10;
const EVENTS_PER_MESSAGE = 200;

const LIVE =
  'live(metric: { event: "page_view" }, window: "1m") { group value windowStart windowEnd }';
const operations = {
  hello: '{ __typename }',
  live: `{ ${LIVE} }`,
  grouped:
    '{ live(metric: { event: "page_view", groupBy: "country" }, window: "1m") { group value windowStart windowEnd } }',
  subscription:
    'subscription { live(metric: { event: "page_view" }, window: "1m", every: "1s") { group value windowStart windowEnd } }',
};

export interface HttpRow {
  name: string;
  result: WrkResult;
  apiCores: number;
  load: number;
  foldLagMs: number;
}

interface Clients {
  children: ChildProcess[];
  /** Subscribers each child holds. */
  sizes: number[];
  /** Resolves with the next message of every child. */
  next(): Promise<ChildMessage[]>;
  send(message: ParentMessage): void;
  exited: Promise<unknown>;
}

export interface FanOutRow {
  subscribers: number;
  connectSeconds: number;
  failedToConnect: number;
  lags: number[];
  firstLags: number[];
  frames: number;
  expected: number;
  lost: number;
  errors: string[];
  apiCores: number;
  clientCores: number;
  idleRss: number;
  rss: number;
  peakRss: number;
  load: number;
  foldLagMs: number;
}

export interface ApiBenchOptions {
  /** Events per second produced straight to Kafka throughout. */
  rate: number;
  say: (line: string) => void;
  /** Every API child runs with `node --cpu-prof`, profiles land under this directory. */
  profile?: string;
}

export interface ApiBench {
  /** Creates the database and topic, starts the fold and the steady producer. */
  start(): Promise<void>;
  /** wrk against `{ __typename }` (the baseline) and two `live` queries, on an API of its own. */
  http(seconds: number, connections: number): Promise<HttpRow[]>;
  /** `subscribers` graphql-ws subscribers of `live` every 1 s on a fresh API process. */
  fanOut(subscribers: number, seconds: number): Promise<FanOutRow>;
  /** Events per second produced so far. */
  producedPerSecond(): number;
  /** The service's log lines at warn level or above. */
  problems: string[];
  /** Stops the producer and the fold; removes the run's topic, database and keys unless `keep`. */
  close(keep: boolean): Promise<void>;
}

/** Fails early when this process may not open enough sockets for `subscribers`. */
export function checkOpenFileLimit(subscribers: number): void {
  const limit = hardOpenFileLimit();
  if (limit < subscribers + 1000)
    throw new Error(
      `the open-file hard limit (${limit}) is too low for ${subscribers} subscribers`,
    );
}

export function createApiBench(options: ApiBenchOptions): ApiBench {
  const RATE = options.rate;
  const say = options.say;
  const workspace = createBenchWorkspace('api', { say });
  const { run, database, clickhouse, kafka, log } = workspace;
  const topic = `${workspace.kafkaPrefix}.events`;
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  const settings = workspaceSettings(workspace, {
    topic,
    partitions: PARTITIONS,
    apiKey,
    tenant: TENANT,
  });
  const problems: string[] = [];
  let fold: FoldProcess | undefined;
  let producing: Awaited<ReturnType<typeof startProducing>> | undefined;

  /**
   * Events at a steady rate straight to Kafka, stamped with the time they are sent: every tick the
   * events due, in arrays of at most EVENTS_PER_MESSAGE (a stalled tick stays under Kafka's
   * message size). A plain producer (acks -1) with sends in flight at once: kafkajs' idempotent
   * producer sends one request at a time, and its queue, not the fold, then delayed the events.
   */
  async function startProducing() {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    let produced = 0;
    let failed = 0;
    let firstFailure: string | undefined;
    let stopped = false;
    const pending = new Set<Promise<void>>();
    const started = performance.now();
    const loop = (async () => {
      while (!stopped) {
        const due = Math.floor(((performance.now() - started) * RATE) / 1000) - produced;
        const now = Date.now();
        const messages = [];
        for (let from = 0; from < due; from += EVENTS_PER_MESSAGE)
          messages.push(
            arrayMessage(
              Array.from({ length: Math.min(EVENTS_PER_MESSAGE, due - from) }, (_, k) =>
                generateEvent(run, produced + from + k, now),
              ),
            ),
          );
        if (due > 0) {
          const count = due;
          produced += due;
          const sent = producer
            .send({ topic, acks: -1, messages })
            .then(() => undefined)
            .catch((error: Error) => {
              failed += count;
              firstFailure ??= error.message;
            });
          pending.add(sent);
          void sent.finally(() => pending.delete(sent));
        }
        await sleep(PRODUCE_TICK_MS);
      }
    })();
    return {
      /** Events per second so far. */
      rate: () => (produced * 1000) / (performance.now() - started),
      async stop() {
        stopped = true;
        await loop;
        await Promise.all(pending);
        await producer.disconnect();
        return { produced, failed, firstFailure, seconds: (performance.now() - started) / 1000 };
      },
    };
  }

  async function post(url: string, query: string): Promise<{ data?: unknown; errors?: unknown }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query }),
      // An API that stops answering fails the measurement instead of hanging it.
      signal: AbortSignal.timeout(30_000),
    });
    return (await response.json()) as { data?: unknown; errors?: unknown };
  }

  /** Waits until the fold has made page_views visible to a live query of the API. */
  async function waitForLiveData(url: string): Promise<void> {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const body = await post(url, operations.live);
      const value = (body.data as { live?: { value: number | null }[] } | undefined)?.live?.[0]
        ?.value;
      if (body.errors) throw new Error(`live query failed: ${JSON.stringify(body.errors)}`);
      if (value && value > 0) return;
      if (performance.now() > deadline) throw new Error('no live data after 120 s');
      await sleep(250);
    }
  }

  /** Polls the API's freshness once a second: how far the fold is behind while measuring. */
  function watchFoldLag(url: string) {
    let maxLagMs = 0;
    let watching = true;
    const loop = (async () => {
      while (watching) {
        const body = await post(url, '{ freshness { lagMs } }');
        const lagMs = (body.data as { freshness: { lagMs: number | null } } | undefined)?.freshness
          .lagMs;
        maxLagMs = Math.max(maxLagMs, lagMs ?? Infinity);
        await sleep(1000);
      }
    })();
    return async () => {
      watching = false;
      await loop;
      return maxLagMs;
    };
  }

  function startApi(phase: string): Promise<ApiProcess> {
    if (options.profile) mkdirSync(options.profile, { recursive: true });
    return startApiProcess({
      settings,
      ...(options.profile ? { cpuProfileDir: `${options.profile}/${phase}` } : {}),
    });
  }

  async function httpPhase(
    api: ApiProcess,
    seconds: number,
    connections: number,
  ): Promise<HttpRow[]> {
    ensureWrk(say);
    const rows: HttpRow[] = [];
    for (const [name, query] of [
      ['`{ __typename }` (baseline)', operations.hello],
      ['`live` page_view 1m', operations.live],
      ['`live` page_view 1m by country (20 groups)', operations.grouped],
    ] as const) {
      const check = await post(api.url, query);
      if (check.errors || !check.data)
        throw new Error(`${name} does not answer: ${JSON.stringify(check)}`);
      const before = api.usage().cpuSeconds;
      const foldLag = watchFoldLag(api.url);
      const result = await runWrk(
        {
          url: api.url,
          body: JSON.stringify({ query }),
          headers: { Authorization: `Bearer ${apiKey}` },
        },
        { connections, seconds },
      );
      const apiCores = (api.usage().cpuSeconds - before) / result.seconds;
      const load = loadAverage();
      const foldLagMs = await foldLag();
      say(
        `  ${name}: ${formatCount(result.requests / result.seconds)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.failed} failed, API ${apiCores.toFixed(2)} cores, load ${load}`,
      );
      rows.push({ name, result, apiCores, load, foldLagMs });
    }
    return rows;
  }

  function startClients(count: number): Clients {
    const sizes: number[] = [];
    for (let left = count; left > 0; left -= SUBSCRIBERS_PER_PROCESS)
      sizes.push(Math.min(left, SUBSCRIBERS_PER_PROCESS));
    const inboxes = sizes.map(() => [] as ChildMessage[]);
    const waiters = sizes.map(() => [] as ((message: ChildMessage) => void)[]);
    const children = sizes.map((_, i) => {
      const [command, childArgs] = withOpenFileLimit(process.execPath, [
        '--import',
        'tsx',
        'bench/support/ws-subscribers.ts',
      ]);
      const child = spawn(command, childArgs, {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (message: ChildMessage) => {
        const waiter = waiters[i]!.shift();
        if (waiter) waiter(message);
        else inboxes[i]!.push(message);
      });
      return child;
    });
    const exited = Promise.all(
      children.map((child) => new Promise((resolve) => child.once('exit', resolve))),
    );
    return {
      children,
      exited,
      next: () =>
        Promise.race([
          Promise.all(
            children.map(
              (_, i) =>
                new Promise<ChildMessage>((resolve) => {
                  const queued = inboxes[i]!.shift();
                  if (queued) resolve(queued);
                  else waiters[i]!.push(resolve);
                }),
            ),
          ),
          exited.then(() => {
            throw new Error('a subscriber process exited early');
          }),
        ]),
      sizes,
      send(message) {
        children.forEach((child) => child.send(message));
      },
    };
  }

  async function fanOutLevel(subscribers: number, seconds: number): Promise<FanOutRow> {
    const api = await startApi(`fanout-${subscribers}`);
    const clients = startClients(subscribers);
    try {
      clients.children.forEach((child, i) =>
        child.send({
          type: 'start',
          url: api.url,
          key: apiKey,
          query: operations.subscription,
          count: clients.sizes[i]!,
        } satisfies ParentMessage),
      );
      const ready = (await clients.next()) as Extract<ChildMessage, { type: 'ready' }>[];
      const connectSeconds = Math.max(...ready.map((r) => r.connectSeconds));
      const failedToConnect = ready.reduce((n, r) => n + r.failed, 0);
      say(
        `  ${formatCount(subscribers - failedToConnect)} subscribed in ${connectSeconds.toFixed(1)} s (${failedToConnect} failed)`,
      );
      if (failedToConnect === subscribers)
        throw new Error(`none of ${subscribers} subscribers could subscribe to ${api.url}`);
      // Half a second past a tick, so each tick's frames fall wholly inside or outside the window.
      const fromMs = Math.ceil((Date.now() + 2000) / 1000) * 1000 + 500;
      const toMs = fromMs + seconds * 1000;
      clients.send({ type: 'measure', fromMs, toMs });
      await sleep(fromMs - Date.now());
      const before = api.usage();
      const foldLag = watchFoldLag(api.url);
      await sleep(toMs - Date.now());
      const after = api.usage();
      const load = loadAverage();
      const foldLagMs = await foldLag();
      const results = (await clients.next()) as Extract<ChildMessage, { type: 'result' }>[];
      const firstArrival = new Map<number, number>();
      for (const r of results)
        for (const [tick, at] of Object.entries(r.firstArrival))
          firstArrival.set(Number(tick), Math.min(firstArrival.get(Number(tick)) ?? Infinity, at));
      const sorted = (values: number[]) => values.sort((a, b) => a - b);
      return {
        subscribers: subscribers - failedToConnect,
        connectSeconds,
        failedToConnect,
        lags: sorted(results.flatMap((r) => r.lags)),
        firstLags: sorted([...firstArrival].map(([tick, at]) => at - tick)),
        frames: results.reduce((n, r) => n + r.frames, 0),
        expected: results.reduce((n, r) => n + r.expected, 0),
        lost: results.reduce((n, r) => n + r.lost, 0),
        errors: results.flatMap((r) => r.errors),
        apiCores: (after.cpuSeconds - before.cpuSeconds) / seconds,
        clientCores: results.reduce((n, r) => n + r.cpuSeconds, 0) / (seconds + 1.5),
        idleRss: api.idle.rssBytes,
        rss: after.rssBytes,
        peakRss: after.peakRssBytes,
        load,
        foldLagMs,
      };
    } finally {
      clients.send({ type: 'close' });
      await clients.exited;
      await api.stop();
      problems.push(...api.problems);
    }
  }

  return {
    problems,
    async start() {
      say(`API run ${run}: ${formatCount(RATE)} events/s to ${topic}, load ${loadAverage()}`);
      await createMigrator({ client: clickhouse, database }).apply();
      await log.ensureTopics([topic, `${topic}.dlq`], PARTITIONS);
      fold = await startFoldProcess({ settings });
      producing = await startProducing();
    },
    async http(seconds, connections) {
      const api = await startApi('http');
      try {
        await waitForLiveData(api.url);
        say(`HTTP: wrk, 1 thread, ${connections} connections, ${seconds} s per operation`);
        return await httpPhase(api, seconds, connections);
      } finally {
        await api.stop();
        problems.push(...api.problems);
      }
    },
    fanOut: fanOutLevel,
    producedPerSecond: () => producing?.rate() ?? 0,
    async close(keep) {
      try {
        if (producing) {
          const sent = await producing.stop();
          if (sent.failed > 0)
            say(
              `${sent.failed} of ${sent.produced} events failed to send, first: ${sent.firstFailure}`,
            );
        }
        if (fold) {
          await fold.stop();
          problems.push(...fold.problems);
        }
      } finally {
        await workspace.close(keep);
      }
    },
  };
}
