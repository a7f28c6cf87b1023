import { describe, expect, it } from 'vitest';
import {
  checkFrame,
  decodeFrame,
  encodeFrames,
} from '../../src/adapters/embedded-log/record-frame.js';

const message = {
  key: 'clé',
  value: Buffer.from([1, 2, 3, 250]),
  headers: { source: 'api', ünï: '' },
};

describe('embedded log record frames', () => {
  it('decodes what it encoded, each frame checked by its length and CRC', () => {
    const frames = encodeFrames(
      [message, { key: null, value: Buffer.alloc(0), headers: {} }],
      1234.5,
    );
    const first = checkFrame(frames, 0, frames.length);
    expect(typeof first).toBe('number');
    const second = checkFrame(frames, first as number, frames.length);
    expect((first as number) + (second as number)).toBe(frames.length);

    expect(decodeFrame(frames, 0, first as number, 't', 2, 40)).toEqual({
      topic: 't',
      partition: 2,
      offset: 40,
      timestamp: 1234.5,
      ...message,
    });
    const empty = decodeFrame(frames, first as number, second as number, 't', 2, 41);
    expect([empty.key, empty.value.length, empty.headers]).toEqual([null, 0, {}]);
  });

  it('tells a cut frame (incomplete) from a damaged one (corrupt)', () => {
    const frames = encodeFrames([message], 1);
    expect(checkFrame(frames, 0, frames.length - 1)).toBe('incomplete');
    expect(checkFrame(frames, 0, 5)).toBe('incomplete');
    const damaged = Buffer.from(frames);
    damaged[damaged.length - 1]! ^= 0x10;
    expect(checkFrame(damaged, 0, damaged.length)).toBe('corrupt');
    expect(checkFrame(Buffer.alloc(64), 0, 64)).toBe('corrupt');
  });
});
