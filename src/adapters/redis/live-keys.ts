import type { TopicPartition } from '../../ports/event-log.js';
import { keyPart } from './keys.js';

/**
 * Key layout of the live windows. Every key of one (tenant, event) carries the same Redis Cluster
 * hash tag, so one Lua script may touch all of them; tenant and event are percent-encoded inside
 * it, so a `{` or `}` in a name cannot end the tag early.
 *
 *   <p>:lw:{<tenant>|<event>}:off               hash  topic:partition -> last applied offset
 *   <p>:lw:{<tenant>|<event>}:s<sec>            hash  series -> 'count valueCount sum min max' (one second)
 *   <p>:lw:{<tenant>|<event>}:m<sec>            hash  the same for the minute starting at <sec>
 *   <p>:lw:{<tenant>|<event>}:s<sec>:q          hash  series -> sketch, JSON {key: count}
 *   <p>:lw:{<tenant>|<event>}:s<sec>:u:<series> HyperLogLog of the series' userIds
 *   <p>:lw:{floors}:<topic>:<partition>         string: the partition's floor offset
 *
 * Bucket keys expire a little after they leave the horizon; offsets and floors never expire.
 */
export interface LiveKeys {
  /** The common part of a group's keys. */
  group(tenant: string, event: string): string;
  offsets(group: string): string;
  bucket(group: string, level: 's' | 'm', second: number): string;
  sketch(bucket: string): string;
  users(bucket: string, series: string): string;
  floor(partition: TopicPartition): string;
}

export function liveKeys(prefix: string): LiveKeys {
  const root = `${prefix}:lw:`;
  return {
    group: (tenant, event) => `${root}{${keyPart(tenant)}|${keyPart(event)}}`,
    offsets: (group) => `${group}:off`,
    bucket: (group, level, second) => `${group}:${level}${second}`,
    sketch: (bucket) => `${bucket}:q`,
    users: (bucket, series) => `${bucket}:u:${series}`,
    floor: (tp) => `${root}{floors}:${keyPart(tp.topic)}:${tp.partition}`,
  };
}
