/**
 * Shared tickers: every subscriber of the same key (tenant, metric, window, cadence) shares ONE
 * computation per tick. A ticker starts with its first subscriber, computes at once and then at
 * every whole multiple of `everyMs` since the epoch (never two computations of one key at a
 * time: a tick that overruns skips the boundaries it missed), and stops when its last subscriber
 * leaves. A subscriber that joins a running ticker gets its latest frame at once.
 * Ticks on the clock's boundaries do not drift, every API process pushes the same key at the same
 * instants, and a 1 s window computed at a tick ends exactly 1 s after it: a client can tell how
 * late a frame is (bench/api.ts measures push lag so). `clock` is the one the feeds compute with.
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

export function createFanOut(options: {
  onError: (error: unknown, key: string) => void;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
}): FanOut {
  const clock = options.clock ?? Date.now;
  const running = new Map<string, Running>();

  const schedule = (key: string, entry: Running, due: number): void => {
    // Timers run on the monotonic clock: one may fire a little before the clock reaches `due`.
    entry.timer = setTimeout(
      () => (clock() < due ? schedule(key, entry, due) : void tick(key, entry)),
      Math.max(1, due - clock()),
    );
    entry.timer.unref();
  };

  const tick = async (key: string, entry: Running): Promise<void> => {
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
    const { everyMs } = entry.ticker;
    schedule(key, entry, (Math.floor(clock() / everyMs) + 1) * everyMs);
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
