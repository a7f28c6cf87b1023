import { readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';
import { PERCENTILES } from '../../events/metric.js';
import {
  bucketExpiresAt,
  groupByMinute,
  minuteOf,
  windowBuckets,
  MINUTE_SECONDS,
} from '../../live/buckets.js';
import { emptyWindowStats, rankGroups } from '../../live/compute.js';
import { knownSeries, seriesMatcher } from '../../live/series.js';
import { mergeScalars } from '../../live/stats.js';
import { partitionKey, type TopicPartition } from '../../ports/event-log.js';
import type {
  BucketStats,
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
  /** How often the minutes written to are rolled up (default 1 s); 0: only by rollUp(). */
  rollUpEveryMs?: number;
  clock?: () => number;
}

export interface RedisLiveWindows extends LiveWindowStore {
  /** Rolls up the seconds this store wrote that are over (by ROLL_UP_AFTER_SECONDS). */
  rollUp(): Promise<void>;
}

/** A second is rolled up into its minute once it has been over for this long. */
const ROLL_UP_AFTER_SECONDS = 2;
/** Seconds per rollup script: a catch-up of a whole minute does not hold Redis for long. */
const ROLL_UP_SECONDS_PER_SCRIPT = 10;

const APPLY = 'pulsegraphLiveApply';
const ROLL_UP = 'pulsegraphLiveRollUp';
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
  [ROLL_UP](keyCount: number, keys: string[], args: number[]): Promise<number>;
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

/** A script of this directory, after the helpers it shares with the others. */
const luaScript = (file: string) =>
  ['live-common.lua', file]
    .map((name) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'))
    .join('\n');

/**
 * Live windows in Redis (key layout in live-keys.ts). apply() sends one Lua script per
 * (tenant, event) group, then the groups' PFADDs, all of a request in one pipeline: one round trip
 * per batch (applyMerged: per merged request, several partitions' ranges in each script).
 * A write merges stats and users into seconds and their minute, but sketches into seconds only: a
 * minute gets each second's sketches once, rolled up a little after the second is over (rollUp(),
 * on a timer). Merged on every batch, a minute's big sketches cost Redis more than all the
 * seconds' (a merge reads and writes each series' whole sketch). Every minute this store wrote to
 * is rolled up; one left behind (its writer died) is still read right: a read takes the sketches
 * of the seconds its mark has not reached from the seconds themselves.
 * read() takes one round trip, one more for UNIQUES (PFCOUNT over the union of the matched
 * HyperLogLogs), one more for percentiles over minutes not rolled up in full, and one before for
 * series it cannot name (their names, from the minute buckets).
 */
export function createRedisLiveWindows(options: RedisLiveWindowsOptions): RedisLiveWindows {
  const { redis, horizonMs } = options;
  const clock = options.clock ?? Date.now;
  const keys = liveKeys(options.prefix);
  redis.defineCommand(APPLY, { lua: luaScript('live-apply.lua') });
  redis.defineCommand(ROLL_UP, { lua: luaScript('live-rollup.lua') });
  redis.defineCommand(RAISE_FLOOR, { lua: RAISE_FLOOR_LUA });
  const scripts = redis as Redis & LiveCommands;
  /** group -> the minutes written to and not rolled up in full yet */
  const toRollUp = new Map<string, Set<number>>();
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
    const written = groups.map(({ delta, ranges }) => {
      const script = buildScript(keys, delta, ranges, horizonMs, toSend);
      pipeline[APPLY](script.keys.length, script.keys, script.args);
      return script;
    });
    const replies = (await exec(pipeline)) as [status: number, stored: number][];
    written.forEach(({ group, minutes, sent }, i) => {
      if (replies[i]![0] !== 1) return;
      for (const { bucketEndSec, key, members } of sent)
        sentUsers.record(bucketEndSec, key, members);
      let pending = toRollUp.get(group);
      if (!pending) toRollUp.set(group, (pending = new Set()));
      for (const minute of minutes) pending.add(minute);
    });
    return replies;
  }

  /** Rolls one minute up through `last`, a few seconds per script. */
  async function rollUpMinute(group: string, minute: number, last: number): Promise<void> {
    const bucket = keys.bucket(group, 'm', minute);
    const expireAt = bucketExpiresAt(minute, MINUTE_SECONDS, horizonMs);
    let from = minute;
    while (from <= last) {
      const to = Math.min(from + ROLL_UP_SECONDS_PER_SCRIPT - 1, last);
      const scriptKeys = [keys.sketch(bucket), keys.rolled(bucket)];
      for (let second = from; second <= to; second++)
        scriptKeys.push(keys.sketch(keys.bucket(group, 's', second)));
      const mark = await scripts[ROLL_UP](scriptKeys.length, scriptKeys, [
        from,
        to,
        minute,
        expireAt,
      ]);
      from = Math.max(Number(mark), to) + 1;
    }
  }

  async function rollUpDue(): Promise<void> {
    const nowMs = clock();
    const lastOver = Math.floor(nowMs / 1000) - 1 - ROLL_UP_AFTER_SECONDS;
    for (const [group, minutes] of toRollUp) {
      for (const minute of minutes) {
        const end = minute + MINUTE_SECONDS - 1;
        const gone = bucketExpiresAt(minute, MINUTE_SECONDS, horizonMs) <= nowMs;
        if (!gone && lastOver >= minute) await rollUpMinute(group, minute, Math.min(end, lastOver));
        if (gone || lastOver >= end) minutes.delete(minute);
      }
      if (minutes.size === 0) toRollUp.delete(group);
    }
  }
  /** One rollup at a time: a call during one runs after it. */
  let rollingUp: Promise<void> = Promise.resolve();
  const rollUp = () => (rollingUp = rollingUp.catch(() => undefined).then(rollUpDue));
  let ticking = false;
  const tick = () => {
    if (ticking) return;
    ticking = true;
    // A failed rollup (Redis unavailable) leaves its minutes to the next tick; reads stay right.
    rollUp()
      .catch(() => undefined)
      .finally(() => (ticking = false));
  };
  const every = options.rollUpEveryMs ?? 1000;
  const timer = every > 0 ? setInterval(tick, every) : undefined;
  timer?.unref();

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
      const secondBucket = (second: number) => keys.bucket(group, 's', second);
      const minuteBuckets = minutes.map((m) => keys.bucket(group, 'm', m));
      const buckets = [...seconds.map(secondBucket), ...minuteBuckets];
      const wantsSketch = PERCENTILES[metric.aggregate] !== undefined;
      const wantsUsers = metric.aggregate === 'UNIQUES';
      const match = seriesMatcher(metric);
      const known =
        knownSeries(metric) ?? (await seriesInWindow(redis, keys, group, seconds, minutes, match));
      if (known.length === 0) return rankGroups([], metric, maxGroups);

      // The stats and, when asked, the sketches of the series read and how far each minute's are
      // rolled up; then the sketches of seconds not rolled up yet, and the uniques, when asked.
      const first = redis.pipeline();
      for (const bucket of buckets) {
        first.hmget(bucket, ...known);
        if (wantsSketch) first.hmget(keys.sketch(bucket), ...known);
      }
      if (wantsSketch) for (const bucket of minuteBuckets) first.get(keys.rolled(bucket));
      const replies = await exec(first);
      const perBucket = wantsSketch ? 2 : 1;
      const notRolledUp = wantsSketch
        ? secondsNotRolledUp(
            minutes,
            replies.slice(buckets.length * perBucket) as (string | null)[],
          )
        : [];

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

      // The sketches minutes lack, from their seconds: for the groups the minutes' stats hold.
      const lacking = notRolledUp.length === 0 ? [] : seriesOfGroups(known, match, groups);
      if (lacking.length > 0) {
        const pipeline = redis.pipeline();
        for (const second of notRolledUp)
          pipeline.hmget(keys.sketch(secondBucket(second)), ...lacking.map((l) => l.series));
        for (const sketches of (await exec(pipeline)) as (string | null)[][])
          sketches.forEach((sketch, j) => {
            if (sketch) decodeSketchInto(lacking[j]!.stats.sketch, sketch);
          });
      }

      if (userKeys.size > 0) {
        const second = redis.pipeline();
        for (const list of userKeys.values()) second.pfcount(list);
        const counts = await exec(second);
        [...userKeys.keys()].forEach((stats, i) => (stats.uniques = counts[i] as number));
      }
      return rankGroups([...groups.values()], metric, maxGroups);
    },

    rollUp,

    async close(): Promise<void> {
      redis.off('close', forgetSentUsers);
      sentUsers.clear();
      clearInterval(timer);
      await rollingUp.catch(() => undefined);
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

/** The series that belong to one of these groups, with the group's stats. */
function seriesOfGroups(
  known: string[],
  match: (series: string) => string | null | undefined,
  groups: Map<string | null, WindowStats>,
): { series: string; stats: WindowStats }[] {
  return known.flatMap((series) => {
    const name = match(series);
    const stats = name === undefined ? undefined : groups.get(name);
    return stats ? [{ series, stats }] : [];
  });
}

/** The seconds of these minutes past their rolled-up marks (as read: a second, or null for none). */
function secondsNotRolledUp(minutes: number[], marks: (string | null)[]): number[] {
  const out: number[] = [];
  minutes.forEach((minute, i) => {
    const mark = marks[i];
    const through = mark === null || mark === undefined ? minute - 1 : Number(mark);
    for (let second = through + 1; second < minute + MINUTE_SECONDS; second++) out.push(second);
  });
  return out;
}

/** The users of one HyperLogLog key. */
interface UserKey<Members = ReadonlySet<string>> {
  key: string;
  bucketEndSec: number;
  members: Members;
}

/**
 * The keys and arguments of live-apply.lua for one group: per minute, its series' stats and users,
 * then its seconds (stats, sketches, users), the users as `toSend` picks them; the minutes it
 * writes to; and the users sent to minute HyperLogLogs, the ones worth remembering: a minute hears
 * from every write of its minute, mostly about the same users, while a second is written about
 * once (remembering its users cost more than re-adding them).
 */
function buildScript(
  keys: LiveKeys,
  delta: LiveGroupDelta,
  ranges: readonly LiveRange[],
  horizonMs: number,
  toSend: (users: UserKey, remembered: boolean) => string[],
): {
  group: string;
  minutes: number[];
  keys: string[];
  args: (string | number)[];
  sent: UserKey<string[]>[];
} {
  const group = keys.group(delta.tenant, delta.event);
  const scriptKeys = [keys.offsets(group)];
  const args: (string | number)[] = [ranges.length];
  for (const range of ranges) args.push(partitionKey(range), range.fromOffset, range.toOffset);
  const sent: UserKey<string[]>[] = [];
  const minutes = groupByMinute(delta.seconds);
  const payload: unknown[][] = [];
  for (const [minute, { series, seconds }] of minutes) {
    const bucket = keys.bucket(group, 'm', minute);
    scriptKeys.push(bucket, keys.sketch(bucket), keys.rolled(bucket));
    const flat: unknown[] = [];
    for (const [id, stats] of series) {
      const users = { key: keys.users(bucket, id), bucketEndSec: minute + MINUTE_SECONDS };
      const members = stats.users.size > 0 ? toSend({ ...users, members: stats.users }, true) : [];
      if (members.length > 0) sent.push({ ...users, members });
      flat.push(id, encodeScalars(stats), members.length > 0 ? members : 0);
    }
    const entry: unknown[] = [String(bucketExpiresAt(minute, MINUTE_SECONDS, horizonMs)), flat];
    for (const [second, series] of seconds) entry.push(secondEntry(second, series));
    payload.push(entry);
  }
  args.push(toWellFormedJson(payload));
  return { group, minutes: [...minutes.keys()], keys: scriptKeys, args, sent };

  function secondEntry(second: number, series: Map<string, BucketStats>): unknown[] {
    const bucket = keys.bucket(group, 's', second);
    scriptKeys.push(bucket, keys.sketch(bucket));
    const entry: unknown[] = [second, String(bucketExpiresAt(second, 1, horizonMs))];
    for (const [id, stats] of series) {
      const members =
        stats.users.size > 0
          ? toSend(
              { key: keys.users(bucket, id), bucketEndSec: second + 1, members: stats.users },
              false,
            )
          : [];
      entry.push(
        id,
        encodeScalars(stats),
        stats.sketch.size > 0 ? encodeSketch(stats.sketch) : '',
        members.length > 0 ? members : 0,
      );
    }
    return entry;
  }
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
