import { performance } from 'node:perf_hooks';
import type { PeerSystem } from './peer.js';
import {
  countDifferences,
  countQuery,
  LATENCY_WINDOW_SECONDS,
  produceSteadily,
  waitFor,
  type FilledWorkload,
  type MeasuredWindow,
  type SteadyOptions,
} from './workload.js';

export interface ThroughputMeasure {
  /** Null when it did not fold every event in time. */
  eventsPerSecond: number | null;
  /** Series of the truth whose count differs in the peer's sink. */
  differences: string[];
  notes: string[];
}

/**
 * Starts the peer on the filled topic and waits until its sink holds every event: events over the
 * time from its consumer's start (its engines and job up) to then.
 */
export async function measureThroughput(
  system: PeerSystem,
  topic: string,
  workload: FilledWorkload,
  timeoutMs: number,
): Promise<ThroughputMeasure> {
  const peer = await system.start(topic);
  try {
    let folded = 0;
    const done = await waitFor(
      async () => (folded = await peer.folded()) >= workload.events,
      timeoutMs,
      system.pollMs,
    );
    const doneAt = performance.now();
    if (!done)
      return {
        eventsPerSecond: null,
        differences: [],
        notes: [
          ...peer.notes(),
          `folded ${folded} of ${workload.events} events in ${timeoutMs / 1000} s`,
        ],
      };
    const counts = await peer.windowCounts(countQuery(workload.truth));
    return {
      eventsPerSecond: workload.events / ((doneAt - peer.readyAt) / 1000),
      differences: countDifferences(workload.truth, counts),
      notes: peer.notes(),
    };
  } finally {
    await peer.stop();
  }
}

/** The steady run's settings: everything but the polling, which the measurement does. */
export type LatencyOptions = Omit<SteadyOptions, 'poll'>;

export interface LatencyMeasure {
  /** Window end → its final count visible in the sink, ms, ascending, one per window that got there. */
  latencies: number[];
  windows: MeasuredWindow[];
  /** Windows whose sink count never equalled the events produced in them, as `start: got / expected`. */
  wrong: string[];
  notes: string[];
}

/**
 * Starts the peer on an empty topic, produces events stamped `now` at a steady rate and, from
 * each 10 s window's end on, reads the window's total count in the peer's sink until it equals the
 * events produced in the window: that moment minus the window's end is its latency.
 */
export async function measureLatency(
  system: PeerSystem,
  options: LatencyOptions,
): Promise<LatencyMeasure> {
  const peer = await system.start(options.topic);
  const windowMs = LATENCY_WINDOW_SECONDS * 1000;
  const visibleAt = new Map<number, number>();
  const lastSeen = new Map<number, number>();
  let lastPoll = -Infinity;
  try {
    const run = await produceSteadily({
      ...options,
      async poll(nowMs, windows) {
        const closed = windows.filter((w) => w.startMs + windowMs <= nowMs);
        if (performance.now() - lastPoll >= system.pollMs) {
          lastPoll = performance.now();
          for (const window of closed) {
            if (visibleAt.has(window.startMs)) continue;
            const total = await peer.windowTotal(window.startMs);
            lastSeen.set(window.startMs, total);
            if (total === window.expected) visibleAt.set(window.startMs, Date.now());
          }
        }
        return closed.length === windows.length && visibleAt.size === windows.length;
      },
    });
    return {
      latencies: run.windows
        .filter((w) => visibleAt.has(w.startMs))
        .map((w) => visibleAt.get(w.startMs)! - (w.startMs + windowMs))
        .sort((a, b) => a - b),
      windows: run.windows,
      wrong: run.windows
        .filter((w) => !visibleAt.has(w.startMs))
        .map(
          (w) =>
            `${new Date(w.startMs).toISOString()}: ${lastSeen.get(w.startMs) ?? 0} / ${w.expected}`,
        ),
      notes: peer.notes(),
    };
  } finally {
    await peer.stop();
  }
}
