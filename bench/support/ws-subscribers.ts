// A child process holding many graphql-ws subscribers, one WebSocket each, for bench/api.ts:
//   node --import tsx bench/support/ws-subscribers.ts   (spawned with an IPC channel)
// Speaks `graphql-transport-ws` by hand with `ws` (no client library) so that a frame costs the
// client one JSON.parse. The parent drives it over IPC:
//   parent → {type: 'start', url, key, query, count}        opens and subscribes `count` sockets
//   child  → {type: 'ready', ...}                           each socket has its first frame
//   parent → {type: 'measure', fromMs, toMs}                 records frames arriving in [fromMs, toMs)
//   child  → {type: 'result', ...}                           (1.5 s after toMs, so late frames count)
//   parent → {type: 'close'}                                 closes the sockets and exits
// Push lag of a frame: arrival (Date.now()) minus the tick that computed it. The API ticks on whole
// multiples of `every` (src/api/fanout.ts) and a 1 s resolution window computed at tick t ends at
// t + 1 s, so the tick is `windowEnd - 1000`. Client and server share the machine's clock.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export type ParentMessage =
  | { type: 'start'; url: string; key: string; query: string; count: number }
  | { type: 'measure'; fromMs: number; toMs: number }
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready'; connectSeconds: number; failed: number }
  | {
      type: 'result';
      /** Push lag of every frame received in the window, ms. */
      lags: number[];
      /** Per tick (epoch ms): the earliest arrival among this process's sockets. */
      firstArrival: Record<string, number>;
      /** Frames in the window, and sockets × ticks in the window. */
      frames: number;
      expected: number;
      /** Sockets closed or errored after they were ready, and error messages received. */
      lost: number;
      errors: string[];
      cpuSeconds: number;
    };

/** Connections being opened at once: more only fills the server's accept backlog. */
const OPENING_AT_ONCE = 100;
const TICK_MS = 1000;

const send = (message: ChildMessage) => process.send!(message);

interface Window {
  fromMs: number;
  toMs: number;
  lags: number[];
  firstArrival: Map<number, number>;
  errors: string[];
}

let window: Window | undefined;
let lost = 0;
const sockets: WebSocket[] = [];

const WINDOW_END = '"windowEnd":"';
const ISO_INSTANT_LENGTH = '2026-01-01T00:00:00.000Z'.length;

/**
 * A `next` frame's tick, from its first windowEnd found in the raw bytes: the time this process
 * spends on a frame delays the next frames' arrival times, so it is not spent parsing and making
 * strings. Anything else (errors) is parsed.
 */
function onFrame(at: number, data: Buffer, whenError: (text: string) => void) {
  const found = data.indexOf(WINDOW_END);
  if (found === -1 || data.includes('"errors"')) {
    const message = JSON.parse(data.toString()) as {
      type: string;
      payload?: { errors?: unknown };
    };
    if (message.type === 'error' || message.payload?.errors)
      whenError(JSON.stringify(message.payload));
    return;
  }
  if (!window || at < window.fromMs || at >= window.toMs) return;
  const from = found + WINDOW_END.length;
  const tick = Date.parse(data.toString('latin1', from, from + ISO_INSTANT_LENGTH)) - TICK_MS;
  window.lags.push(at - tick);
  const first = window.firstArrival.get(tick);
  if (first === undefined || at < first) window.firstArrival.set(tick, at);
}

/** Opens one subscriber; resolves when its first frame arrived, rejects when it failed first. */
function subscriber(url: string, key: string, query: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
      perMessageDeflate: false,
    });
    let ready = false;
    const fail = (why: string) => {
      if (ready) {
        lost++;
        window?.errors.push(why);
      } else reject(new Error(why));
    };
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }),
      ),
    );
    socket.on('message', (data) => {
      const at = Date.now();
      if (ready) return onFrame(at, data as Buffer, (text) => window?.errors.push(text));
      const message = JSON.parse(data.toString()) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack')
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      else if (message.type === 'next' && !(message.payload as { errors?: unknown }).errors) {
        ready = true;
        sockets.push(socket);
        resolve();
      } else fail(`unexpected ${data.toString()}`);
    });
    socket.on('error', (error) => fail(error.message));
    socket.on('close', (code, reason) => fail(`closed ${code} ${reason.toString()}`));
  });
}

async function start(url: string, key: string, query: string, count: number) {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const opener = async () => {
    while (next < count) {
      next++;
      await subscriber(url, key, query).catch(() => failed++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, opener));
  send({ type: 'ready', connectSeconds: (performance.now() - started) / 1000, failed });
}

function measure(fromMs: number, toMs: number) {
  const current: Window = { fromMs, toMs, lags: [], firstArrival: new Map(), errors: [] };
  window = current;
  const cpu = process.cpuUsage();
  const lostBefore = lost;
  setTimeout(
    () => {
      const used = process.cpuUsage(cpu);
      const ticks = Math.ceil(toMs / TICK_MS) - Math.ceil(fromMs / TICK_MS);
      send({
        type: 'result',
        lags: current.lags,
        firstArrival: Object.fromEntries(current.firstArrival),
        frames: current.lags.length,
        expected: ticks * sockets.length,
        lost: lost - lostBefore,
        errors: current.errors.slice(0, 5),
        cpuSeconds: (used.user + used.system) / 1e6,
      });
    },
    toMs - Date.now() + 1500,
  );
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'start') void start(message.url, message.key, message.query, message.count);
  else if (message.type === 'measure') measure(message.fromMs, message.toMs);
  else {
    for (const socket of sockets) socket.terminate();
    process.disconnect();
  }
});
