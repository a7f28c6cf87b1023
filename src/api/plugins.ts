import type { Plugin } from 'graphql-yoga';
import type { Authenticator, Principal } from './auth.js';
import type { ApiContext } from './context.js';
import { errorCode, isApiErrorCode } from './errors.js';
import { queryLimitRule } from './query-limits.js';
import type { RateLimiter } from './rate-limit.js';

/** What the transports put into yoga's initial context: who is asking. */
export interface ServerContext {
  principal?: Principal;
}

/**
 * HTTP: authenticates the `Authorization` header and takes a rate-limit token before the
 * operation is even parsed. (WebSocket connections authenticate once, on connection_init, and
 * take a token per operation: src/api/websocket.ts.)
 */
export function useHttpAuth(deps: {
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
}): Plugin<Record<string, never>, ServerContext> {
  return {
    onParams({ request, context }) {
      const principal = deps.authenticator.authenticate(request.headers.get('authorization'));
      deps.rateLimiter.take(principal.keyId);
      context.principal = principal;
    },
  };
}

/**
 * Depth and cost limits as a validation rule, and the client's validation errors (unknown
 * fields, bad literals, limits) coded BAD_USER_INPUT: validation results bypass error masking.
 */
export function useQueryLimits(limits: { maxDepth: number; maxCost: number }): Plugin<ApiContext> {
  const rule = queryLimitRule(limits);
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
      return ({ result }) => {
        for (const error of result) {
          if (!isApiErrorCode(errorCode(error)))
            (error.extensions as Record<string, unknown>).code = 'BAD_USER_INPUT';
        }
      };
    },
  };
}
