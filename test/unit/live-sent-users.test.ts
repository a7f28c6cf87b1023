import { describe, expect, it } from 'vitest';
import { createSentUsers } from '../../src/adapters/redis/live-sent-users.js';

const users = (...names: string[]) => new Set(names);

describe('sent users', () => {
  it('holds back only what was recorded for that key', () => {
    const sent = createSentUsers({ keepSeconds: 120, maxPerKey: 100 });
    expect([...sent.unsent(60, 'k', users('a', 'b'))]).toEqual(['a', 'b']);
    sent.record(60, 'k', ['a', 'b']);
    expect([...sent.unsent(60, 'k', users('a', 'b', 'c'))]).toEqual(['c']);
    sent.record(60, 'k', ['c']);
    expect([...sent.unsent(60, 'k', users('a', 'c', 'd'))]).toEqual(['d']);
    expect([...sent.unsent(60, 'other', users('a'))]).toEqual(['a']);
    expect([...sent.unsent(120, 'k', users('a'))]).toEqual(['a']);
  });

  it('forgets buckets that fell behind the newest, and everything on clear', () => {
    const sent = createSentUsers({ keepSeconds: 120, maxPerKey: 100 });
    sent.record(60, 'old', ['a']);
    sent.record(180, 'new', ['a']);
    expect([...sent.unsent(60, 'old', users('a'))]).toEqual([]);
    sent.record(181, 'newer', ['a']);
    expect([...sent.unsent(60, 'old', users('a'))]).toEqual(['a']);
    sent.record(0, 'ancient', ['a']);
    expect([...sent.unsent(0, 'ancient', users('a'))]).toEqual(['a']);
    sent.clear();
    expect([...sent.unsent(180, 'new', users('a'))]).toEqual(['a']);
  });

  it('stops tracking a key past maxPerKey users', () => {
    const sent = createSentUsers({ keepSeconds: 120, maxPerKey: 3 });
    sent.record(60, 'k', ['a', 'b']);
    sent.record(60, 'k', ['c', 'd']);
    expect([...sent.unsent(60, 'k', users('a', 'e'))]).toEqual(['a', 'e']);
    sent.record(60, 'big', ['a', 'b', 'c', 'd']);
    expect([...sent.unsent(60, 'big', users('a'))]).toEqual(['a']);
  });
});
