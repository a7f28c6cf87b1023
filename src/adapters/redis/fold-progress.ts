import type { Redis } from 'ioredis';
import {
  FOLD_SINKS,
  slowestSinks,
  type FoldProgressStore,
  type PartitionProgress,
} from '../../ports/fold-progress.js';
import { redisKey } from './keys.js';

/** One hash per sink and topic: field = partition, value = "offset:recordTimestamp". */
export function createRedisFoldProgress({
  redis,
  prefix,
}: {
  redis: Redis;
  prefix: string;
}): FoldProgressStore {
  const topicKey = (sink: string, topic: string) => redisKey(prefix, 'progress', sink, topic);
  return {
    async record(sink, progress) {
      const pipeline = redis.pipeline();
      for (const p of progress)
        pipeline.hset(
          topicKey(sink, p.topic),
          String(p.partition),
          `${p.offset}:${p.recordTimestamp}`,
        );
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
    },
    async read(topics, sink) {
      const sinks = sink ? [sink] : FOLD_SINKS;
      const pipeline = redis.pipeline();
      for (const each of sinks) for (const topic of topics) pipeline.hgetall(topicKey(each, topic));
      const results = (await pipeline.exec()) ?? [];
      const bySink = sinks.map((_, s) =>
        topics.flatMap((topic, t): PartitionProgress[] => {
          const [error, raw] = results[s * topics.length + t] ?? [null, {}];
          if (error) throw error;
          return Object.entries(raw as Record<string, string>).map(([partition, value]) => {
            const [offset, recordTimestamp] = value.split(':').map(Number);
            return {
              topic,
              partition: Number(partition),
              offset: offset!,
              recordTimestamp: recordTimestamp!,
            };
          });
        }),
      );
      return slowestSinks(bySink);
    },
    async close() {},
  };
}
