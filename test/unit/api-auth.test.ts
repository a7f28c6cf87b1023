import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, hashApiKey } from '../../src/api/auth.js';
import { createRateLimiter } from '../../src/api/rate-limit.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const keys = (...entries: string[]) => loadConfig({ API_KEYS: entries.join(',') }).server.API_KEYS;

const code = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as GraphQLError).extensions?.code;
  }
  return 'none';
};

describe('API keys', () => {
  const auth = createAuthenticator(
    keys(
      `${hashApiKey('k-acme')}:acme`,
      `${hashApiKey('k-ro')}:acme:read`,
      `${hashApiKey('k-globex')}:globex`,
      `${hashApiKey('k-admin')}:acme:admin`,
    ),
  );

  it('maps a Bearer key to its tenant by hash', () => {
    expect(auth.open).toBe(false);
    expect(auth.authenticate('Bearer k-acme')).toEqual({
      tenant: 'acme',
      keyId: hashApiKey('k-acme'),
      canWrite: true,
      isAdmin: false,
    });
    expect(auth.authenticate('bearer   k-globex').tenant).toBe('globex');
    expect(auth.authenticate('Bearer k-ro')).toMatchObject({
      tenant: 'acme',
      canWrite: false,
      isAdmin: false,
    });
    expect(auth.authenticate('Bearer k-admin')).toMatchObject({
      tenant: 'acme',
      canWrite: true,
      isAdmin: true,
    });
  });

  it('answers a key seen before the same, and still refuses a near miss after it', () => {
    const first = auth.authenticate('Bearer k-globex');
    expect(auth.authenticate('Bearer k-globex')).toBe(first);
    expect(code(() => auth.authenticate('Bearer k-globeX'))).toBe('UNAUTHENTICATED');
    expect(code(() => auth.authenticate('Bearer k-globex2'))).toBe('UNAUTHENTICATED');
  });

  it('refuses missing, malformed and unknown keys as UNAUTHENTICATED', () => {
    for (const header of [
      undefined,
      null,
      '',
      'k-acme',
      'Basic k-acme',
      'Bearer',
      'Bearer k-acme extra',
      'Bearer K-ACME',
      `Bearer ${hashApiKey('k-acme')}`,
    ])
      expect(
        code(() => auth.authenticate(header)),
        String(header),
      ).toBe('UNAUTHENTICATED');
  });

  it('refuses malformed settings, and production without keys', () => {
    expect(() => keys('plainkey:acme')).toThrow(ConfigError);
    expect(() => keys(`${hashApiKey('k')}:acme`, `${hashApiKey('k')}:bad tenant`)).toThrow(
      /API_KEYS: entry 2 must be/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /refuses to start without API keys/,
    );
  });

  it('without keys outside production: everything is tenant default', () => {
    const open = createAuthenticator([]);
    expect(open.open).toBe(true);
    expect(open.authenticate(undefined)).toMatchObject({
      tenant: 'default',
      canWrite: true,
      isAdmin: true,
    });
    expect(open.authenticate('Bearer whatever').tenant).toBe('default');
  });
});

describe('rate limit', () => {
  it('a token bucket per key: the burst, then the rate; a clock going back drains nothing', () => {
    let now = 1000;
    const limiter = createRateLimiter({ perSecond: 2, burst: 3, clock: () => now });
    for (let i = 0; i < 3; i++) limiter.take('a');
    expect(code(() => limiter.take('a'))).toBe('RATE_LIMITED');
    limiter.take('b');
    now += 500;
    limiter.take('a');
    expect(code(() => limiter.take('a'))).toBe('RATE_LIMITED');
    now -= 60_000;
    now += 60_500;
    limiter.take('a');
    try {
      limiter.take('a');
    } catch (error) {
      expect((error as GraphQLError).extensions).toMatchObject({
        limit: 'RATE_LIMIT_PER_SECOND',
        max: 2,
        retryAfterMs: 500,
      });
      expect((error as GraphQLError).extensions.http).toEqual({
        status: 429,
        headers: { 'Retry-After': '1' },
      });
    }
  });
});
