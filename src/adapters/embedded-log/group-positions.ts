import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

/** A consumer group's committed positions: per "topic:partition", the next offset to read. */
export interface GroupPositions {
  get(partitionKey: string): number | undefined;
  /** Resolves once the positions are durable (writes overlapping in time share one file write). */
  commit(partitionKey: string, nextOffset: number): Promise<void>;
}

/** Loads `groups/<group>.json`; every commit rewrites it atomically. */
export async function loadGroupPositions(dir: string, groupId: string): Promise<GroupPositions> {
  const groupsDir = join(dir, 'groups');
  await mkdir(groupsDir, { recursive: true });
  // encodeURIComponent keeps '.', which would allow "." and ".." as file names.
  const path = join(groupsDir, `${encodeURIComponent(groupId).replaceAll('.', '%2E')}.json`);
  let positions: Record<string, number> = {};
  try {
    positions = JSON.parse(await readFile(path, 'utf8')) as Record<string, number>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  let writing: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const write = (): Promise<void> =>
    (writing = writeFileAtomic(path, JSON.stringify(positions)).finally(() => {
      writing = undefined;
    }));
  const persist = (): Promise<void> => {
    if (!writing) return write();
    // One write at a time; the next one carries every commit made while the current one runs.
    return (next ??= writing
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return write();
      }));
  };

  return {
    get: (key) => positions[key],
    commit(key, nextOffset) {
      positions[key] = nextOffset;
      return persist();
    },
  };
}
