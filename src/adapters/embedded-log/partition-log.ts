import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../logger.js';
import type { LogRecord, TopicPartition } from '../../ports/event-log.js';
import { readExactly, writeAll } from './files.js';
import { signal } from './signal.js';
import {
  CorruptLogError,
  FRAME_HEADER_BYTES,
  checkFrame,
  decodeFrame,
  frameLength,
} from './record-frame.js';

/** A record boundary: the offset of a record and the byte where its frame starts. */
export interface Cursor {
  offset: number;
  position: number;
}

export interface PartitionLog extends TopicPartition {
  /** The offset the next record gets: every record below it is on disk and fsync'd. */
  endOffset(): number;
  /** Appends encoded frames; resolves once they are fsync'd and visible to readers. */
  append(frames: Buffer): Promise<void>;
  /** The cursor of `offset`, clamped to [0, endOffset]. */
  cursorAt(offset: number): Promise<Cursor>;
  /** Up to `maxRecords` records from `from` (more than `maxBytes` only for one large record). */
  read(
    from: Cursor,
    maxRecords: number,
    maxBytes: number,
  ): Promise<{ records: LogRecord[]; next: Cursor }>;
  /** Resolves at the next durable append. */
  appended(): Promise<void>;
  /** Waits for appends in progress, then closes the file. Returns the durable byte length. */
  close(): Promise<number>;
}

/** Every this many records the index keeps a byte position: a seek reads at most that many headers. */
const INDEX_INTERVAL = 128;
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

interface Scan {
  count: number;
  /** Bytes up to the first incomplete or damaged frame. */
  validBytes: number;
  index: number[];
}

async function scanFrames(handle: FileHandle, size: number): Promise<Scan> {
  let buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  const index: number[] = [];
  let count = 0;
  let position = 0;
  while (position < size) {
    const length = Math.min(buffer.length, size - position);
    await readExactly(handle, buffer, length, position);
    let p = 0;
    for (;;) {
      const check = checkFrame(buffer, p, length);
      if (typeof check === 'number') {
        if (count % INDEX_INTERVAL === 0) index.push(position + p);
        count++;
        p += check;
        continue;
      }
      if (check === 'corrupt' || position + length === size)
        return { count, validBytes: position + p, index };
      // A frame larger than the chunk: read it whole next time round.
      if (p === 0) buffer = Buffer.allocUnsafe(frameLength(buffer, 0));
      break;
    }
    position += p;
  }
  return { count, validBytes: position, index };
}

interface PendingAppend {
  frames: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface OpenPartitionLogOptions extends TopicPartition {
  path: string;
  /**
   * Bytes known intact at the last clean close. Damage below it is corruption and refuses to
   * open; damage above it is the torn tail of an unacknowledged append and is cut off.
   */
  trustedBytes: number;
  logger: Logger;
}

/**
 * One topic-partition's append-only file. Opening scans every frame (CRC included), rebuilds the
 * sparse offset index and cuts a torn tail. Concurrent appends are group-committed: one write and
 * one fsync for everything queued while the previous fsync ran.
 */
export async function openPartitionLog(options: OpenPartitionLogOptions): Promise<PartitionLog> {
  const { path, topic, partition, trustedBytes, logger } = options;
  const handle = await open(path, 'r+');
  let scan: Scan;
  try {
    const { size } = await handle.stat();
    scan = await scanFrames(handle, size);
    if (scan.validBytes < trustedBytes)
      throw new CorruptLogError(
        `${path}: record at offset ${scan.count} (byte ${scan.validBytes}) is damaged, yet it was intact at the last clean close`,
      );
    if (scan.validBytes < size) {
      logger.warn(
        { path, offset: scan.count, droppedBytes: size - scan.validBytes },
        'embedded log: cut a torn record off the end of a partition',
      );
      await handle.truncate(scan.validBytes);
      await handle.sync();
    }
  } catch (error) {
    await handle.close();
    throw error;
  }

  const { index } = scan;
  let endOffset = scan.count;
  let endPosition = scan.validBytes;
  let pending: PendingAppend[] = [];
  let flushing: Promise<void> | undefined;
  let failed: unknown;
  let closed = false;
  let wake = signal();

  const indexFrames = (frames: Buffer) => {
    for (let p = 0; p < frames.length; p += frameLength(frames, p)) {
      if (endOffset % INDEX_INTERVAL === 0) index.push(endPosition + p);
      endOffset++;
    }
    endPosition += frames.length;
  };

  const flush = async () => {
    while (pending.length > 0) {
      const group = pending;
      pending = [];
      try {
        if (failed !== undefined) throw failed;
        const frames = group.map((g) => g.frames);
        await writeAll(handle, frames, endPosition);
        await handle.datasync();
        for (const f of frames) indexFrames(f);
      } catch (error) {
        // After a failed write or fsync the file's tail is unknown: refuse appends until reopened,
        // which cuts the tail back to the last intact record.
        failed ??= error;
        for (const g of group) g.reject(error);
        continue;
      }
      for (const g of group) g.resolve();
      wake.fire();
      wake = signal();
    }
    flushing = undefined;
  };

  return {
    topic,
    partition,
    endOffset: () => endOffset,
    append(frames) {
      if (closed) return Promise.reject(new Error(`${topic}:${partition} is closed`));
      if (frames.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ frames, resolve, reject });
        flushing ??= flush();
      });
    },
    async cursorAt(offset) {
      const target = Math.max(0, Math.min(offset, endOffset));
      if (target === endOffset) return { offset: target, position: endPosition };
      const slot = Math.floor(target / INDEX_INTERVAL);
      let position = index[slot]!;
      const header = Buffer.allocUnsafe(4);
      for (let at = slot * INDEX_INTERVAL; at < target; at++) {
        await readExactly(handle, header, 4, position);
        position += FRAME_HEADER_BYTES + header.readUInt32LE(0);
      }
      return { offset: target, position };
    },
    async read(from, maxRecords, maxBytes) {
      const lastOffset = endOffset;
      if (from.offset >= lastOffset) return { records: [], next: from };
      let length = Math.min(endPosition - from.position, maxBytes);
      let buffer = Buffer.allocUnsafe(length);
      await readExactly(handle, buffer, length, from.position);
      if (checkFrame(buffer, 0, length) === 'incomplete') {
        length = frameLength(buffer, 0);
        buffer = Buffer.allocUnsafe(length);
        await readExactly(handle, buffer, length, from.position);
      }
      const records: LogRecord[] = [];
      let p = 0;
      let offset = from.offset;
      while (records.length < maxRecords && offset < lastOffset) {
        const check = checkFrame(buffer, p, length);
        if (check === 'incomplete') break;
        if (check === 'corrupt')
          throw new CorruptLogError(
            `${path}: record at offset ${offset} (byte ${from.position + p}) fails its CRC check`,
          );
        records.push(decodeFrame(buffer, p, check, topic, partition, offset));
        p += check;
        offset++;
      }
      return { records, next: { offset, position: from.position + p } };
    },
    appended: () => wake.promise,
    async close() {
      closed = true;
      await flushing;
      await handle.close();
      return endPosition;
    },
  };
}
