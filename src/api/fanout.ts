/**
 * Shared tickers: every subscriber of the same key (tenant, metric, window, cadence) shares ONE
 * computation per tick. A ticker starts with its first subscriber, computes at once and then
 * every `everyMs` (never two computations of one key at a time), and stops when its last
 * subscriber leaves. A subscriber that joins a running ticker gets its latest frame at once.
 */
export interface Ticker<F> {
  everyMs: number;
  /** The next frame, or undefined when there is nothing new to push this tick. */
  compute(): Promise<F | undefined>;
  /** Called once, when the last subscriber has left or the fan-out closes. */
  stop?(): void;
}

export interface FanOut {
  /**
   * Subscribes `listener` to the ticker of `key`, made by `create` when none runs. Listeners
   * must be cheap and must not throw: they only hand the frame over (to a one-slot buffer).
   * Returns the unsubscribe function.
   */
  subscribe<F>(key: string, create: () => Ticker<F>, listener: (frame: F) => void): () => void;
  /** Keys with a running ticker. */
  keys(): string[];
  close(): void;
}

interface Running {
  ticker: Ticker<unknown>;
  listeners: Set<(frame: unknown) => void>;
  last: { frame: unknown } | undefined;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export function createFanOut(options: { onError: (error: unknown, key: string) => void }): FanOut {
  const running = new Map<string, Running>();

  const tick = async (key: string, entry: Running): Promise<void> => {
    const started = Date.now();
    try {
      const frame = await entry.ticker.compute();
      if (frame !== undefined && !entry.stopped) {
        entry.last = { frame };
        for (const listener of entry.listeners) listener(frame);
      }
    } catch (error) {
      options.onError(error, key);
    }
    if (entry.stopped) return;
    const wait = Math.max(0, entry.ticker.everyMs - (Date.now() - started));
    entry.timer = setTimeout(() => void tick(key, entry), wait);
    entry.timer.unref();
  };

  const stop = (key: string, entry: Running) => {
    entry.stopped = true;
    clearTimeout(entry.timer);
    entry.ticker.stop?.();
    if (running.get(key) === entry) running.delete(key);
  };

  return {
    subscribe<F>(key: string, create: () => Ticker<F>, listener: (frame: F) => void) {
      const untyped = listener as (frame: unknown) => void;
      let entry = running.get(key);
      if (entry) {
        entry.listeners.add(untyped);
        if (entry.last) untyped(entry.last.frame);
      } else {
        entry = {
          ticker: create(),
          listeners: new Set([untyped]),
          last: undefined,
          timer: undefined,
          stopped: false,
        };
        running.set(key, entry);
        void tick(key, entry);
      }
      const mine = entry;
      return () => {
        mine.listeners.delete(untyped);
        if (mine.listeners.size === 0) stop(key, mine);
      };
    },
    keys: () => [...running.keys()],
    close() {
      for (const [key, entry] of running) stop(key, entry);
    },
  };
}
