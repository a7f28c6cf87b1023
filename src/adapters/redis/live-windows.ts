import { readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';
import { PERCENTILES } from '../../events/metric.js';
import {
  bucketExpiresAt,
  minuteOf,
  rollUpMinutes,
  windowBuckets,
  MINUTE_SECONDS,
  type SecondBuckets,
} from '../../live/buckets.js';
import { emptyWindowStats, rankGroups } from '../../live/compute.js';
import { knownSeries, seriesMatcher } from '../../live/series.js';
import { mergeScalars } from '../../live/stats.js';
import { partitionKey, type TopicPartition } from '../../ports/event-log.js';
import type {
  LiveApplyRequest,
  LiveConflict,
  LiveGroupDelta,
  LiveGroupKey,
  LiveMergedApplyRequest,
  LiveRange,
  LiveWindowStore,
  WindowStats,
} from '../../ports/live-windows.js';
import { createPfaddOrder } from './live-hll-order.js';
import { createSentUsers } from './live-sent-users.js';
import { decodeScalars, decodeSketchInto, encodeScalars, encodeSketch } from './live-codec.js';
import { liveKeys, type LiveKeys } from './live-keys.js';

export interface RedisLiveWindowsOptions {
  /** The caller's connection: close() leaves it open. */
  redis: Redis;
  prefix: string;
  horizonMs: number;
}

const APPLY = 'pulsegraphLiveApply';
const RAISE_FLOOR = 'pulsegraphLiveRaiseFloor';
const RAISE_FLOOR_LUA = `local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end`;

/** The commands defineCommand adds (EVALSHA, with EVAL on a connection that lacks the script). */
interface LiveCommands {
  [APPLY](
    keyCount: number,
    keys: string[],
    args: (string | number)[],
  ): Promise<[status: number, stored: number]>;
  [RAISE_FLOOR](keyCount: 1, key: string, offset: number): Promise<unknown>;
}

type Reply = [error: Error | null, result: unknown];

async function exec(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) as Reply[] | null;
  if (!replies) throw new Error('Redis pipeline was discarded');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

/**
 * Live windows in Redis (key layout in live-keys.ts). apply() sends one Lua script per
 * (tenant, event) group, then the groups' PFADDs, all of a request in one pipeline: one round trip
 * per batch (applyMerged: per merged request, several partitions' ranges in each script).
 * read() takes one round trip, one more for UNIQUES (PFCOUNT over the union of the matched
 * HyperLogLogs) and one before for series it cannot name (their names, from the minute buckets).
 */
export function createRedisLiveWindows(options: RedisLiveWindowsOptions): LiveWindowStore {
  const { redis, horizonMs } = options;
  const keys = liveKeys(options.prefix);
  redis.defineCommand(APPLY, {
    lua: readFileSync(new URL('./live-apply.lua', import.meta.url), 'utf8'),
  });
  redis.defineCommand(RAISE_FLOOR, { lua: RAISE_FLOOR_LUA });
  const scripts = redis as Redis & LiveCommands;
  // the current and the previous minute, and the last seconds
  const sentUsers = createSentUsers({ keepSeconds: 2 * MINUTE_SECONDS, maxPerKey: 4096 });
  const forgetSentUsers = () => sentUsers.clear();
  redis.on('close', forgetSentUsers);

  /** Runs live-apply.lua per group, all in one pipeline; its [status, stored] per group. */
  async function applyGroups(
    groups: readonly { delta: LiveGroupDelta; ranges: readonly LiveRange[] }[],
  ): Promise<[status: number, stored: number][]> {
    if (groups.length === 0) return [];
    const order = createPfaddOrder();
    // in the order Redis inserts fastest, without the users this process added before
    const toSend = (users: UserKey, remembered: boolean) =>
      order(
        remembered ? sentUsers.unsent(users.bucketEndSec, users.key, users.members) : users.members,
      );
    // One write for all groups' scripts: each round trip costs both processes a wake-up.
    const pipeline = redis.pipeline() as ChainableCommander & LiveCommands;
    const sent = groups.map(({ delta, ranges }) => {
      const script = buildScript(keys, delta, ranges, horizonMs, toSend);
      pipeline[APPLY](script.keys.length, script.keys, script.args);
      return script.sent;
    });
    const replies = (await exec(pipeline)) as [status: number, stored: number][];
    sent.forEach((users, i) => {
      if (replies[i]![0] !== 1) return;
      for (const { bucketEndSec, key, members } of users)
        sentUsers.record(bucketEndSec, key, members);
    });
    return replies;
  }

  return {
    horizonMs,

    async apply(request: LiveApplyRequest): Promise<LiveConflict[]> {
      const replies = await applyGroups(
        request.groups.map((delta) => ({ delta, ranges: [request] })),
      );
      const conflicts: LiveConflict[] = [];
      request.groups.forEach((group, i) => {
        const [status, stored] = replies[i]!;
        if (status === 2)
          conflicts.push({ tenant: group.tenant, event: group.event, storedOffset: stored });
      });
      return conflicts;
    },

    async applyMerged(request: LiveMergedApplyRequest): Promise<LiveGroupKey[]> {
      const replies = await applyGroups(
        request.groups.map((delta) => ({
          delta,
          ranges: delta.ranges.map((i) => request.ranges[i]!),
        })),
      );
      return request.groups
        .filter((_, i) => replies[i]![0] !== 1)
        .map(({ tenant, event }) => ({ tenant, event }));
    },

    async setFloor(partition: TopicPartition, offset: number): Promise<void> {
      await scripts[RAISE_FLOOR](1, keys.floor(partition), offset);
    },

    async floors(partitions: TopicPartition[]): Promise<number[]> {
      if (partitions.length === 0) return [];
      const values = await redis.mget(partitions.map((p) => keys.floor(p)));
      return values.map((value) => (value === null ? -1 : Number(value)));
    },

    async read({ tenant, metric, fromMs, toMs, maxGroups }): Promise<WindowStats[]> {
      const group = keys.group(tenant, metric.event);
      const { seconds, minutes } = windowBuckets(fromMs, toMs);
      const buckets = [
        ...seconds.map((s) => keys.bucket(group, 's', s)),
        ...minutes.map((m) => keys.bucket(group, 'm', m)),
      ];
      const wantsSketch = PERCENTILES[metric.aggregate] !== undefined;
      const wantsUsers = metric.aggregate === 'UNIQUES';
      const match = seriesMatcher(metric);
      const known =
        knownSeries(metric) ?? (await seriesInWindow(redis, keys, group, seconds, minutes, match));
      if (known.length === 0) return rankGroups([], metric, maxGroups);

      // The stats and, when asked, the sketches of the series read; then the uniques, when asked.
      const first = redis.pipeline();
      for (const bucket of buckets) {
        first.hmget(bucket, ...known);
        if (wantsSketch) first.hmget(keys.sketch(bucket), ...known);
      }
      const replies = await exec(first);
      const perBucket = wantsSketch ? 2 : 1;

      const groups = new Map<string | null, WindowStats>();
      const userKeys = new Map<WindowStats, string[]>();
      buckets.forEach((bucket, b) => {
        const scalars = replies[b * perBucket] as (string | null)[];
        const sketches = wantsSketch ? (replies[b * perBucket + 1] as (string | null)[]) : null;
        known.forEach((series, j) => {
          const name = scalars[j] === null ? undefined : match(series);
          if (name === undefined) return;
          let stats = groups.get(name);
          if (!stats) groups.set(name, (stats = emptyWindowStats(name)));
          mergeScalars(stats, decodeScalars(scalars[j]!));
          if (wantsUsers) {
            const list = userKeys.get(stats);
            if (list) list.push(keys.users(bucket, series));
            else userKeys.set(stats, [keys.users(bucket, series)]);
          }
          const sketch = sketches?.[j];
          if (sketch) decodeSketchInto(stats.sketch, sketch);
        });
      });

      if (userKeys.size > 0) {
        const second = redis.pipeline();
        for (const list of userKeys.values()) second.pfcount(list);
        const counts = await exec(second);
        [...userKeys.keys()].forEach((stats, i) => (stats.uniques = counts[i] as number));
      }
      return rankGroups([...groups.values()], metric, maxGroups);
    },

    async close(): Promise<void> {
      redis.off('close', forgetSentUsers);
      sentUsers.clear();
    },
  };
}

/**
 * The series of a window that `match` takes, named by the minute buckets over the window (a minute
 * holds every series of its seconds: the same script writes both). A grouped read then fetches its
 * few series from each bucket, not every series stored there (~270 per second of page_view in
 * bench/api.ts, against 20 countries).
 */
async function seriesInWindow(
  redis: Redis,
  keys: LiveKeys,
  group: string,
  seconds: number[],
  minutes: number[],
  match: (series: string) => string | null | undefined,
): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const minute of new Set([...seconds.map(minuteOf), ...minutes]))
    pipeline.hkeys(keys.bucket(group, 'm', minute));
  const names = new Set<string>();
  for (const reply of await exec(pipeline))
    for (const series of reply as string[]) if (match(series) !== undefined) names.add(series);
  return [...names];
}

/** The users of one HyperLogLog key. */
interface UserKey<Members = ReadonlySet<string>> {
  key: string;
  bucketEndSec: number;
  members: Members;
}

/**
 * The keys and arguments of live-apply.lua for one group: its seconds and their minutes, with the
 * users `toSend` picks for each series' HyperLogLog; and the users sent to minute HyperLogLogs,
 * the ones worth remembering: a minute hears from every write of its minute, mostly about the same
 * users, while a second is written about once (remembering its users cost more than re-adding them).
 */
function buildScript(
  keys: LiveKeys,
  delta: LiveGroupDelta,
  ranges: readonly LiveRange[],
  horizonMs: number,
  toSend: (users: UserKey, remembered: boolean) => string[],
): { keys: string[]; args: (string | number)[]; sent: UserKey<string[]>[] } {
  const group = keys.group(delta.tenant, delta.event);
  const scriptKeys = [keys.offsets(group)];
  const args: (string | number)[] = [ranges.length];
  for (const range of ranges) args.push(partitionKey(range), range.fromOffset, range.toOffset);
  const sent: UserKey<string[]>[] = [];
  const payload: unknown[][] = [];
  const levels: ['s' | 'm', SecondBuckets, number][] = [
    ['s', delta.seconds, 1],
    ['m', rollUpMinutes(delta.seconds), MINUTE_SECONDS],
  ];
  for (const [level, buckets, length] of levels) {
    for (const [second, series] of buckets) {
      const bucket = keys.bucket(group, level, second);
      const expireAt = bucketExpiresAt(second, length, horizonMs);
      scriptKeys.push(bucket, keys.sketch(bucket));
      const entry: unknown[] = [String(expireAt)];
      for (const [id, stats] of series) {
        const users: UserKey = {
          key: keys.users(bucket, id),
          bucketEndSec: second + length,
          members: stats.users,
        };
        const members = stats.users.size > 0 ? toSend(users, level === 'm') : [];
        if (members.length > 0 && level === 'm') sent.push({ ...users, members });
        entry.push(
          id,
          encodeScalars(stats),
          stats.sketch.size > 0 ? encodeSketch(stats.sketch) : '',
          members.length > 0 ? members : 0,
        );
      }
      payload.push(entry);
    }
  }
  args.push(toWellFormedJson(payload));
  return { keys: scriptKeys, args, sent };
}

/**
 * JSON whose lone surrogates (JSON.stringify escapes them as \udXXX) are U+FFFD, as a UTF-8
 * argument would have them: Redis's cjson refuses such escapes.
 */
function toWellFormedJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\ud')
    ? json.replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g, '$1\\ufffd')
    : json;
}
