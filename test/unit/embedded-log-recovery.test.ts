import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedEventLog } from '../../src/adapters/embedded-log/event-log.js';
import { CorruptLogError } from '../../src/adapters/embedded-log/record-frame.js';
import type { ConsumerHandlers, EventLog, LogRecord } from '../../src/ports/event-log.js';

const open: EventLog[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((log) => log.close()));
});

const openLog = (dir: string) => {
  const log = createEmbeddedEventLog({ dir, logger: pino({ level: 'silent' }) });
  open.push(log);
  return log;
};
const closeLog = async (log: EventLog) => {
  open.splice(open.indexOf(log), 1);
  await log.close();
};
const messages = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    key: 'k',
    value: Buffer.from(`value-${from + i}`),
    headers: { n: String(from + i) },
  }));
const partitionFile = (dir: string, topic: string, partition = 0) =>
  join(dir, 'topics', topic, `${partition}.log`);

/** Starts a consumer and resolves with every record once `count` arrived (or with the crash). */
async function consume(log: EventLog, groupId: string, topics: string[], count: number) {
  const records: LogRecord[] = [];
  const batchSizes: number[] = [];
  let crash: unknown;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const handlers: ConsumerHandlers = {
    onAssigned: async () => new Map(),
    onRevoked: async () => {},
    async onBatch(batch) {
      records.push(...batch.records);
      batchSizes.push(batch.records.length);
      if (records.length >= count) done();
    },
    onCrash(error) {
      crash = error;
      done();
    },
  };
  const consumer = log.consumer({ groupId, topics });
  await consumer.start(handlers);
  if (count > 0) await finished;
  await consumer.stop();
  return { records, batchSizes, crash };
}

/**
 * Leaves `dir` as a crash in a second session would: one clean close after `cleanCount` records,
 * then `moreCount` records appended by a process that died without closing.
 */
async function crashedLog(cleanCount: number, moreCount: number) {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
  const first = openLog(dir);
  await first.ensureTopics(['t'], 1);
  await first.producer().send('t', messages(0, cleanCount));
  await closeLog(first);
  const cleanClose = readFileSync(join(dir, 'clean-close.json'));
  const second = openLog(dir);
  await second.producer().send('t', messages(cleanCount, moreCount));
  await closeLog(second);
  writeFileSync(join(dir, 'clean-close.json'), cleanClose);
  return dir;
}

describe('embedded event log on disk', () => {
  it.each([
    ['cut mid-record', 9, (file: string) => truncateSync(file, statSync(file).size - 5)],
    [
      'damaged in its last record',
      9,
      (file: string) => {
        const bytes = readFileSync(file);
        bytes[bytes.length - 3]! ^= 0xff;
        writeFileSync(file, bytes);
      },
    ],
    ['of zeros', 10, (file: string) => appendFileSync(file, Buffer.alloc(4096))],
  ])(
    'drops a tail %s after a crash, and appends the next record at the right offset',
    async (_, survivors, damage) => {
      const dir = await crashedLog(5, 5);
      damage(partitionFile(dir, 't'));
      const log = openLog(dir);
      expect(await log.endOffsets(['t'])).toEqual([
        { topic: 't', partition: 0, offset: survivors },
      ]);
      await log.producer().send('t', messages(100, 1));
      const { records } = await consume(log, 'g', ['t'], survivors + 1);
      expect(records.map((r) => r.offset)).toEqual(
        Array.from({ length: survivors + 1 }, (_, i) => i),
      );
      expect(records.at(-1)!.value.toString()).toBe('value-100');
      expect(records.slice(0, survivors).map((r) => r.headers.n)).toEqual(
        Array.from({ length: survivors }, (_, i) => String(i)),
      );
    },
  );

  it('refuses to open a partition damaged inside what a clean close vouched for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    await log.ensureTopics(['t'], 1);
    await log.producer().send('t', messages(0, 10));
    await closeLog(log);
    const file = partitionFile(dir, 't');
    const bytes = readFileSync(file);
    const at = bytes.indexOf('value-4');
    bytes[at]! ^= 0x01;
    writeFileSync(file, bytes);

    const reopened = openLog(dir);
    const failure = reopened.endOffsets(['t']);
    await expect(failure).rejects.toBeInstanceOf(CorruptLogError);
    await expect(failure).rejects.toThrow(/offset 4/);
  });

  it('stops a consumer that reads a record whose CRC no longer matches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    await log.ensureTopics(['t'], 1);
    await log.producer().send('t', messages(0, 10));
    const file = partitionFile(dir, 't');
    const bytes = readFileSync(file);
    bytes[bytes.indexOf('value-6')]! ^= 0x01;
    writeFileSync(file, bytes);

    const { records, crash } = await consume(log, 'g', ['t'], 10);
    expect(records).toEqual([]);
    expect(crash).toBeInstanceOf(CorruptLogError);
    expect((crash as Error).message).toMatch(/offset 6/);
  });

  it('keeps records and group positions across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    await log.ensureTopics(['t'], 3);
    await log.producer().send('t', messages(0, 20));
    await consume(log, 'g', ['t'], 20);
    await closeLog(log);

    const reopened = openLog(dir);
    expect(await reopened.consumer({ groupId: 'g', topics: ['t'] }).lag()).toBe(0);
    expect(await reopened.consumer({ groupId: 'other', topics: ['t'] }).lag()).toBe(20);
    await reopened.producer().send('t', messages(20, 5));
    const { records } = await consume(reopened, 'g', ['t'], 5);
    expect(records.map((r) => r.value.toString())).toEqual(
      messages(20, 5).map((m) => m.value.toString()),
    );
    expect(records[0]!.offset).toBe(20);
    const ends = await reopened.endOffsets(['t']);
    expect(ends.map((e) => e.offset).reduce((a, b) => a + b)).toBe(25);
  });

  it('allows one open instance per directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    expect(() => createEmbeddedEventLog({ dir })).toThrow(/already open/);
    await closeLog(log);
    openLog(dir);
  });

  it('takes over the lock of a process that died', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    writeFileSync(join(dir, 'LOCK'), '2147483646');
    const log = openLog(dir);
    await log.ensureTopics(['t'], 1);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
  });

  it('bounds batches to 5000 records, and hands a record larger than the byte bound alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    await log.ensureTopics(['t'], 1);
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await log.producer().send('t', [...messages(0, 12_000), { key: 'k', value: big, headers: {} }]);
    const { records, batchSizes } = await consume(log, 'g', ['t'], 12_001);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(5000);
    expect(batchSizes.at(-1)).toBe(1);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 12_001 }, (_, i) => i));
    expect(Buffer.compare(records.at(-1)!.value, big)).toBe(0);
  });

  it('commits concurrent sends together and spreads null keys round robin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    await log.ensureTopics(['keys', 'nulls'], 4);
    const producer = log.producer();
    await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send('keys', messages(i, 1))));
    const { records } = await consume(log, 'g', ['keys'], 50);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));

    await producer.send(
      'nulls',
      Array.from({ length: 8 }, () => ({ key: null, value: Buffer.from('x'), headers: {} })),
    );
    expect((await log.endOffsets(['nulls'])).map((e) => e.offset)).toEqual([2, 2, 2, 2]);
  });

  it('keeps group positions in a file named safely after any group id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    const log = openLog(dir);
    await log.ensureTopics(['t'], 1);
    await log.producer().send('t', messages(0, 3));
    await consume(log, '../a.b/c', ['t'], 3);
    expect(readdirSync(join(dir, 'groups'))).toEqual(['%2E%2E%2Fa%2Eb%2Fc.json']);
    expect(
      JSON.parse(readFileSync(join(dir, 'groups', '%2E%2E%2Fa%2Eb%2Fc.json'), 'utf8')),
    ).toEqual({
      't:0': 3,
    });
  });
});
