import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '../config.js';
import { unauthenticated } from './errors.js';

/** Who is asking: the tenant every store call is made for, and what the key may do. */
export interface Principal {
  tenant: string;
  /** Identifies the key (its hash) for the rate limiter; never the key itself. */
  keyId: string;
  /** Keys configured with the `:read` suffix may query and subscribe, not ingest or put lookups. */
  canWrite: boolean;
  /** Keys configured with the `:admin` suffix may also manage the tenant's topic mappings. */
  isAdmin: boolean;
}

export interface Authenticator {
  /** True when no keys are configured (development and test only): everything is tenant `default`. */
  readonly open: boolean;
  /** The principal of an `Authorization` value (`Bearer <key>`); throws UNAUTHENTICATED. */
  authenticate(authorization: string | null | undefined): Principal;
}

export const DEFAULT_TENANT = 'default';

/** The stored form of a key: its SHA-256, hex. `API_KEYS` holds `hashApiKey(key):tenant` pairs. */
export const hashApiKey = (key: string): string =>
  createHash('sha256').update(key, 'utf8').digest('hex');

const BEARER = /^Bearer +(\S+)$/i;

/**
 * Maps API keys to tenants by comparing SHA-256 hashes in constant time: the configuration never
 * holds a key, and every presented key is compared with every entry so timing tells nothing.
 */
export function createAuthenticator(apiKeys: readonly ApiKeyEntry[]): Authenticator {
  const entries = apiKeys.map(({ hash, tenant, role }) => ({
    hash: Buffer.from(hash, 'hex'),
    principal: {
      tenant,
      keyId: hash,
      canWrite: role !== 'read',
      isAdmin: role === 'admin',
    } satisfies Principal,
  }));
  if (entries.length === 0) {
    const principal: Principal = {
      tenant: DEFAULT_TENANT,
      keyId: DEFAULT_TENANT,
      canWrite: true,
      isAdmin: true,
    };
    return { open: true, authenticate: () => principal };
  }
  // Valid keys seen, so each is hashed once: at most one per entry, since only a key whose hash
  // is configured gets in. A hit tells the caller nothing the answer would not.
  const seen = new Map<string, Principal>();
  return {
    open: false,
    authenticate(authorization) {
      if (!authorization)
        throw unauthenticated('missing API key: send the header `Authorization: Bearer <key>`');
      const match = BEARER.exec(authorization.trim());
      if (!match) throw unauthenticated('malformed Authorization header: expected `Bearer <key>`');
      const key = match[1]!;
      const known = seen.get(key);
      if (known) return known;
      const presented = createHash('sha256').update(key, 'utf8').digest();
      let found: Principal | undefined;
      for (const entry of entries)
        if (timingSafeEqual(entry.hash, presented) && !found) found = entry.principal;
      if (!found) throw unauthenticated('invalid API key');
      seen.set(key, found);
      return found;
    },
  };
}
