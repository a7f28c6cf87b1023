import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import { syncDirectory, writeFileAtomic } from './files.js';
import { openPartitionLog, type PartitionLog } from './partition-log.js';

export interface TopicLog {
  name: string;
  partitions: PartitionLog[];
}

export interface TopicStore {
  /** Opens the topic, creating it with `partitions` partitions when missing. */
  topic(name: string, partitions?: number): Promise<TopicLog>;
  /** Opens the topic when it exists. */
  existing(name: string): Promise<TopicLog | undefined>;
  /** Closes every partition and records how far each is intact (the next open trusts that far). */
  close(): Promise<void>;
}

/** Kafka's rule for topic names, which also keeps them safe as directory names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Topics on disk: `topics/<name>/topic.json` (written last, so a half-created topic does not
 * exist) and one `<partition>.log` per partition; `clean-close.json` holds the intact byte length
 * of every partition at the last clean close.
 */
export function createTopicStore(options: {
  dir: string;
  defaultPartitions: number;
  logger: Logger;
}): TopicStore {
  const { dir, defaultPartitions, logger } = options;
  const cleanClosePath = join(dir, 'clean-close.json');
  const opened = new Map<string, Promise<TopicLog>>();
  let trusted: Promise<Record<string, number>> | undefined;

  const trustedBytes = () =>
    (trusted ??= readFile(cleanClosePath, 'utf8').then(
      (text) => JSON.parse(text) as Record<string, number>,
      (error: unknown): Record<string, number> => {
        if (isMissing(error)) return {};
        throw error;
      },
    ));

  const topicDir = (name: string) => {
    if (!TOPIC_NAME.test(name) || name === '.' || name === '..')
      throw new Error(`invalid topic name ${JSON.stringify(name)}: use 1-249 of [A-Za-z0-9._-]`);
    return join(dir, 'topics', name);
  };

  const partitionCount = async (name: string): Promise<number | undefined> => {
    try {
      const meta = JSON.parse(await readFile(join(topicDir(name), 'topic.json'), 'utf8')) as {
        partitions: number;
      };
      return meta.partitions;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };

  const create = async (name: string, partitions: number) => {
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new Error(`a topic needs at least one partition, got ${partitions}`);
    const path = topicDir(name);
    await mkdir(path, { recursive: true });
    for (let p = 0; p < partitions; p++) await (await open(join(path, `${p}.log`), 'a')).close();
    await syncDirectory(path);
    await writeFileAtomic(join(path, 'topic.json'), JSON.stringify({ partitions }));
  };

  const load = async (name: string, partitions: number): Promise<TopicLog> => {
    const trust = await trustedBytes();
    const logs: PartitionLog[] = [];
    try {
      for (let partition = 0; partition < partitions; partition++)
        logs.push(
          await openPartitionLog({
            path: join(topicDir(name), `${partition}.log`),
            topic: name,
            partition,
            trustedBytes: trust[`${name}:${partition}`] ?? 0,
            logger,
          }),
        );
    } catch (error) {
      await Promise.all(logs.map((log) => log.close()));
      throw error;
    }
    return { name, partitions: logs };
  };

  const remember = (name: string, opening: Promise<TopicLog>) => {
    opening.catch(() => opened.delete(name));
    opened.set(name, opening);
    return opening;
  };

  return {
    topic(name, partitions = defaultPartitions) {
      return (
        opened.get(name) ??
        remember(
          name,
          (async () => {
            let count = await partitionCount(name);
            if (count === undefined) {
              await create(name, partitions);
              count = partitions;
            }
            return load(name, count);
          })(),
        )
      );
    },
    async existing(name) {
      const open = opened.get(name);
      if (open) return open;
      const count = await partitionCount(name);
      if (count === undefined) return undefined;
      return opened.get(name) ?? remember(name, load(name, count));
    },
    async close() {
      const topics = await Promise.allSettled(opened.values());
      opened.clear();
      const trust: Record<string, number> = { ...(await trustedBytes()) };
      for (const topic of topics) {
        if (topic.status === 'rejected') continue;
        for (const log of topic.value.partitions)
          trust[`${log.topic}:${log.partition}`] = await log.close();
      }
      await writeFileAtomic(cleanClosePath, JSON.stringify(trust));
    },
  };
}
