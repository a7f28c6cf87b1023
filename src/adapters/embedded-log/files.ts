import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Makes a directory's entries (created, renamed files) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` so that a crash leaves either the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

/** Reads exactly `length` bytes at `position` into the start of `buffer`. */
export async function readExactly(
  handle: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<void> {
  for (let done = 0; done < length;) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/** Writes all of `buffers` back to back at `position`. */
export async function writeAll(
  handle: FileHandle,
  buffers: Buffer[],
  position: number,
): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    while (pending.length > 0 && bytesWritten >= pending[0]!.length) {
      bytesWritten -= pending[0]!.length;
      pending = pending.slice(1);
    }
    if (bytesWritten > 0) pending = [pending[0]!.subarray(bytesWritten), ...pending.slice(1)];
  }
}

const isAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes `dir/LOCK` for this process (a lock left by a dead process is taken over) and returns
 * its release. Two writers appending to the same files would interleave records.
 */
export function lockDirectory(dir: string): () => void {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = Number(readFileSync(path, 'utf8'));
    if (holder === process.pid || isAlive(holder))
      throw new Error(
        `the embedded log in ${dir} is already open by process ${holder}` +
          (holder === process.pid ? ' (this one: share one instance)' : ''),
      );
    rmSync(path, { force: true });
  }
}
