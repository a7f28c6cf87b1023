import { crc32 } from 'node:zlib';
import type { LogMessage, LogRecord } from '../../ports/event-log.js';

/**
 * One record on disk: [u32 body length][u32 CRC32 of the body][body], little endian, where the
 * body is [f64 timestamp][i32 key length, -1 for null][key][u16 header count]
 * ([u16 name length][name][u32 value length][value])* and then the value up to the body's end.
 */
export const FRAME_HEADER_BYTES = 8;
const MIN_BODY_BYTES = 8 + 4 + 2;
/** A larger length can only come from a torn or damaged header. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export class CorruptLogError extends Error {
  override name = 'CorruptLogError';
}

/** The frames of `messages`, back to back, ready for one append. */
export function encodeFrames(messages: readonly LogMessage[], timestamp: number): Buffer {
  let bound = 0;
  for (const { key, value, headers } of messages) {
    bound += FRAME_HEADER_BYTES + MIN_BODY_BYTES + (key === null ? 0 : key.length * 3);
    for (const name in headers) bound += 6 + (name.length + headers[name]!.length) * 3;
    bound += value.length;
  }
  const out = Buffer.allocUnsafe(bound);
  let p = 0;
  for (const { key, value, headers } of messages) {
    const start = p;
    p += FRAME_HEADER_BYTES;
    p = out.writeDoubleLE(timestamp, p);
    if (key === null) p = out.writeInt32LE(-1, p);
    else {
      const length = out.write(key, p + 4);
      out.writeInt32LE(length, p);
      p += 4 + length;
    }
    const countAt = p;
    p += 2;
    let count = 0;
    for (const name in headers) {
      const nameLength = out.write(name, p + 2);
      if (nameLength > 0xffff) throw new RangeError(`header name longer than 65535 bytes`);
      out.writeUInt16LE(nameLength, p);
      p += 2 + nameLength;
      const valueLength = out.write(headers[name]!, p + 4);
      out.writeUInt32LE(valueLength, p);
      p += 4 + valueLength;
      count++;
    }
    if (count > 0xffff) throw new RangeError(`more than 65535 headers`);
    out.writeUInt16LE(count, countAt);
    p += value.copy(out, p);
    const bodyLength = p - start - FRAME_HEADER_BYTES;
    if (bodyLength > MAX_BODY_BYTES)
      throw new RangeError(`record larger than ${MAX_BODY_BYTES} bytes`);
    out.writeUInt32LE(bodyLength, start);
    out.writeUInt32LE(crc32(out.subarray(start + FRAME_HEADER_BYTES, p)), start + 4);
  }
  return out.subarray(0, p);
}

/**
 * The byte length of the intact frame at `pos` of `buf` (which holds bytes up to `end`), or why
 * there is none there: 'incomplete' when more bytes are needed, 'corrupt' when its length or CRC
 * is wrong.
 */
export function checkFrame(
  buf: Buffer,
  pos: number,
  end: number,
): number | 'incomplete' | 'corrupt' {
  if (end - pos < FRAME_HEADER_BYTES) return 'incomplete';
  const bodyLength = buf.readUInt32LE(pos);
  if (bodyLength < MIN_BODY_BYTES || bodyLength > MAX_BODY_BYTES) return 'corrupt';
  const frameEnd = pos + FRAME_HEADER_BYTES + bodyLength;
  if (frameEnd > end) return 'incomplete';
  const body = buf.subarray(pos + FRAME_HEADER_BYTES, frameEnd);
  return crc32(body) === buf.readUInt32LE(pos + 4) ? FRAME_HEADER_BYTES + bodyLength : 'corrupt';
}

/** Byte length of the frame at `pos`, read from its header alone (the frame is known intact). */
export const frameLength = (buf: Buffer, pos: number): number =>
  FRAME_HEADER_BYTES + buf.readUInt32LE(pos);

/** The record of the intact frame at `pos`; its value is a view into `buf`, not a copy. */
export function decodeFrame(
  buf: Buffer,
  pos: number,
  length: number,
  topic: string,
  partition: number,
  offset: number,
): LogRecord {
  const end = pos + length;
  let p = pos + FRAME_HEADER_BYTES;
  const timestamp = buf.readDoubleLE(p);
  const keyLength = buf.readInt32LE(p + 8);
  p += 12;
  let key: string | null = null;
  if (keyLength >= 0) {
    key = buf.toString('utf8', p, p + keyLength);
    p += keyLength;
  }
  let count = buf.readUInt16LE(p);
  p += 2;
  const headers: Record<string, string> = {};
  for (; count > 0; count--) {
    const nameLength = buf.readUInt16LE(p);
    const name = buf.toString('utf8', p + 2, p + 2 + nameLength);
    p += 2 + nameLength;
    const valueLength = buf.readUInt32LE(p);
    headers[name] = buf.toString('utf8', p + 4, p + 4 + valueLength);
    p += 4 + valueLength;
  }
  if (p > end)
    throw new CorruptLogError(`${topic}:${partition} offset ${offset}: fields overrun the record`);
  return { topic, partition, offset, timestamp, key, value: buf.subarray(p, end), headers };
}
