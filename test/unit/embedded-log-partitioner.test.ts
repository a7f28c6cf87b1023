import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/adapters/embedded-log/partitioner.js';

describe('embedded log partitioner', () => {
  it('puts every key on the partition Kafka (kafkajs DefaultPartitioner) would', () => {
    const kafka = Partitioners.DefaultPartitioner();
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'tenant-1',
      'çødé ✓ 日本',
      ...Array.from({ length: 500 }, (_, i) => randomBytes(1 + (i % 40)).toString('base64')),
    ];
    for (const partitions of [1, 3, 4, 7, 12, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        replicas: [1],
        isr: [1],
        partitionErrorCode: 0,
      }));
      for (const key of keys)
        expect(partitionForKey(key, partitions)).toBe(
          kafka({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
    }
  });
});
