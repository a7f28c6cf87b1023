import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLog, LogMessage } from '../../src/ports/event-log.js';
import {
  EVENT_NAMES as WEIGHTED_NAMES,
  generateEvent,
  singleEventMessage,
} from '../support/events.js';

/** The event names the generator draws from, once each. */
export const EVENT_NAMES = [...new Set(WEIGHTED_NAMES)];

/** The windows every peer computes: 10 s tumbling (for latency) and 1 minute tumbling. */
export const WINDOW_SECONDS = [10, 60] as const;
export const LATENCY_WINDOW_SECONDS = 10;

/** One series of one window: the event name's total (dimKey '') or one dimension value of it. */
export interface SeriesKey {
  seconds: number;
  startMs: number;
  name: string;
  dimKey: string;
  dimValue: string;
}

export const seriesKey = (s: SeriesKey): string =>
  `${s.seconds}|${s.startMs}|${s.name}|${s.dimKey}|${s.dimValue}`;

/** Event counts per series key: what each peer's sink is read into, and the ground truth. */
export type WindowCounts = Map<string, number>;

export interface WindowRef {
  seconds: number;
  startMs: number;
}

/** What a peer is asked for when its counts are checked: the truth's windows, names and keys. */
export interface CountQuery {
  windows: WindowRef[];
  names: string[];
  dimKeys: string[];
}

interface ParsedEvent {
  name: string;
  timestamp: number;
  dimensions: Record<string, string>;
}

const add = (counts: WindowCounts, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/** Adds one event to the counts of every series it belongs to, in both window sizes. */
function countEvent(counts: WindowCounts, json: string): void {
  const event = JSON.parse(json) as ParsedEvent;
  for (const seconds of WINDOW_SECONDS) {
    const startMs = event.timestamp - (event.timestamp % (seconds * 1000));
    const series = { seconds, startMs, name: event.name };
    add(counts, seriesKey({ ...series, dimKey: '', dimValue: '' }));
    for (const [dimKey, dimValue] of Object.entries(event.dimensions))
      add(counts, seriesKey({ ...series, dimKey, dimValue }));
  }
}

/** A window series' count as ClickHouse returns it (JSONEachRow: numbers may come as strings). */
export interface WindowCountRow {
  window_seconds: number | string;
  /** Window start, epoch seconds. */
  start: number | string;
  name: string;
  dim_key: string;
  dim_value: string;
  n: number | string;
}

export function addWindowRows(counts: WindowCounts, rows: WindowCountRow[]): void {
  for (const row of rows)
    counts.set(
      seriesKey({
        seconds: Number(row.window_seconds),
        startMs: Number(row.start) * 1000,
        name: row.name,
        dimKey: row.dim_key,
        dimValue: row.dim_value,
      }),
      Number(row.n),
    );
}

/** The windows, names and dimension keys that occur in a set of counts. */
export function countQuery(truth: WindowCounts): CountQuery {
  const windows = new Map<string, WindowRef>();
  const names = new Set<string>();
  const dimKeys = new Set<string>();
  for (const key of truth.keys()) {
    const [seconds, startMs, name, dimKey] = key.split('|');
    windows.set(`${seconds}|${startMs}`, { seconds: Number(seconds), startMs: Number(startMs) });
    names.add(name!);
    if (dimKey) dimKeys.add(dimKey);
  }
  return { windows: [...windows.values()], names: [...names], dimKeys: [...dimKeys] };
}

/** Series whose count in the peer's sink differs from the truth, as `key: got / expected`. */
export function countDifferences(truth: WindowCounts, got: WindowCounts): string[] {
  const differences: string[] = [];
  for (const [key, expected] of truth) {
    const seen = got.get(key) ?? 0;
    if (seen !== expected) differences.push(`${key}: ${seen} / ${expected}`);
  }
  return differences;
}

export interface FilledWorkload {
  events: number;
  truth: WindowCounts;
}

/**
 * The throughput workload: `events` generated events with event time spread evenly over three
 * minutes ending ten minutes ago (so its 1-minute windows never meet those of the latency runs
 * that follow), one event per message as producers write them, written to the topic before any
 * peer reads it so no peer's rate is bounded by the producer.
 */
export async function fillThroughputTopic(
  log: EventLog,
  topic: string,
  run: string,
  events: number,
): Promise<FilledWorkload> {
  const spanMs = 180_000;
  const firstMs = Date.now() - 600_000 - spanMs;
  const truth: WindowCounts = new Map();
  const producer = log.producer();
  try {
    let chunk: LogMessage[] = [];
    for (let i = 0; i < events; i++) {
      const event = generateEvent(run, i, firstMs + Math.floor((i * spanMs) / events));
      countEvent(truth, event.json);
      chunk.push(singleEventMessage(event));
      if (chunk.length === 10_000) {
        await producer.send(topic, chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await producer.send(topic, chunk);
  } finally {
    await producer.close();
  }
  return { events, truth };
}

/** A measured 10 s window with its event count over all names. */
export interface MeasuredWindow {
  startMs: number;
  expected: number;
}

export interface SteadyRun {
  /** Events produced in all. */
  events: number;
  /** The measured windows (after the warm-up). */
  windows: MeasuredWindow[];
}

export interface SteadyOptions {
  log: EventLog;
  topic: string;
  run: string;
  /** The index of the first generated event: each peer gets the same sequence of events. */
  firstIndex: number;
  eventsPerSecond: number;
  /** Seconds produced before the first measured window starts. */
  warmupSeconds: number;
  /** Measured 10 s windows, back to back. */
  windows: number;
  /**
   * Called every tick (~5 ms) while producing, and after, until it returns true, with the measured
   * windows: the count of each whose end is at or before nowMs is final.
   */
  poll: (nowMs: number, windows: readonly MeasuredWindow[]) => Promise<boolean>;
  /** Gives up polling this long after the last window closed. */
  settleMs: number;
}

/**
 * Produces events stamped with the current time at a steady rate until the last measured window
 * has closed, one event per message, while `poll` looks at the peer's sink; then keeps polling
 * until it is satisfied or `settleMs` has passed. The expected count of a window is final once the
 * wall clock passes its end: every later event is stamped later.
 */
export async function produceSteadily(options: SteadyOptions): Promise<SteadyRun> {
  const windowMs = LATENCY_WINDOW_SECONDS * 1000;
  const started = Date.now();
  const firstWindow = Math.ceil((started + options.warmupSeconds * 1000) / windowMs) * windowMs;
  const endMs = firstWindow + options.windows * windowMs;
  const windows: MeasuredWindow[] = Array.from({ length: options.windows }, (_, k) => ({
    startMs: firstWindow + k * windowMs,
    expected: 0,
  }));
  const producer = options.log.producer();
  const inFlight = new Set<Promise<unknown>>();
  const startedAt = performance.now();
  let produced = 0;
  let sendError: unknown;
  try {
    while (Date.now() < endMs) {
      const due = Math.floor(((performance.now() - startedAt) * options.eventsPerSecond) / 1000);
      const nowMs = Date.now();
      const messages: LogMessage[] = [];
      for (; produced < due && messages.length < 1000; produced++) {
        const event = generateEvent(options.run, options.firstIndex + produced, nowMs);
        messages.push(singleEventMessage(event));
        const window = windows[Math.floor((nowMs - firstWindow) / windowMs)];
        if (nowMs >= firstWindow && window) window.expected++;
      }
      if (messages.length > 0) {
        const send = producer
          .send(options.topic, messages)
          .catch((error: unknown) => (sendError = error));
        inFlight.add(send);
        void send.finally(() => inFlight.delete(send));
      }
      if (sendError) throw sendError;
      await options.poll(nowMs, windows);
      await sleep(5);
    }
    await Promise.all(inFlight);
    if (sendError) throw sendError;
    const settleBy = Date.now() + options.settleMs;
    while (!(await options.poll(Date.now(), windows)) && Date.now() < settleBy) await sleep(5);
  } finally {
    await producer.close();
  }
  return { events: produced, windows };
}

/** Waits `ms`, polling `done` every `everyMs`, and returns whether it became true. */
export async function waitFor(
  done: () => Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}
