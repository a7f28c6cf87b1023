import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import { DependencyUnavailableError, isDependencyUnavailable } from '../errors.js';

/** The codes of API.md: every error a client sees carries exactly one in `extensions.code`. */
export type ErrorCode =
  'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'UNAVAILABLE' | 'INTERNAL';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
]);

/** Which setting a request ran into, so a client can tell limits apart from plain mistakes. */
export interface LimitDetails {
  limit: string;
  max: number;
}

export interface BadInputDetails extends Partial<LimitDetails> {
  /** Where the bad value sits: an argument path such as `metric.filter[1].equals`. */
  argument?: string;
  /** HTTP status when the error ends the request before execution (413 for an oversized body). */
  status?: number;
}

const apiError = (
  message: string,
  code: ErrorCode,
  extensions: Record<string, unknown> = {},
  options?: GraphQLErrorOptions,
) => new GraphQLError(message, { ...options, extensions: { ...extensions, code } });

export function badUserInput(message: string, details: BadInputDetails = {}): GraphQLError {
  const { status, ...rest } = details;
  return apiError(message, 'BAD_USER_INPUT', status ? { ...rest, http: { status } } : rest);
}

export const unauthenticated = (message: string): GraphQLError =>
  apiError(message, 'UNAUTHENTICATED', {
    http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
  });

export const forbidden = (message: string): GraphQLError =>
  apiError(message, 'FORBIDDEN', { http: { status: 403 } });

export function rateLimited(
  message: string,
  details: LimitDetails & { retryAfterMs?: number },
): GraphQLError {
  const { retryAfterMs, ...limit } = details;
  if (retryAfterMs === undefined) return apiError(message, 'RATE_LIMITED', limit);
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return apiError(message, 'RATE_LIMITED', {
    ...limit,
    retryAfterMs,
    http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
  });
}

export const isApiErrorCode = (code: string | undefined): code is ErrorCode =>
  code !== undefined && CODES.has(code);

export const errorCode = (error: unknown): string | undefined =>
  error instanceof GraphQLError && typeof error.extensions?.code === 'string'
    ? error.extensions.code
    : undefined;

/** The located copy's position, so a masked error still says which field failed. */
const location = (error: unknown): GraphQLErrorOptions =>
  error instanceof GraphQLError
    ? { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path }
    : {};

function dependencyName(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof DependencyUnavailableError) return current.dependency;
    current = current.cause;
  }
  return undefined;
}

/** The innermost error of a GraphQLError chain (graphql-js and yoga wrap errors in new ones). */
function rootCause(error: unknown): unknown {
  let current = error;
  for (
    let depth = 0;
    current instanceof GraphQLError && current.originalError && depth < 10;
    depth++
  )
    current = current.originalError;
  return current;
}

/**
 * Yoga's `maskedErrors.maskError`: maps everything thrown anywhere in a request to one of the
 * codes. Errors the API raised on purpose pass through. Errors graphql-js or yoga raised about the
 * request itself (syntax, bad variables, unreadable or oversized bodies: GraphQL errors down to
 * the root, outside any field) are the client's: BAD_USER_INPUT, in place. A backing store that
 * cannot be reached is UNAVAILABLE; anything else, including a field error without a code (a
 * resolver bug such as a null for a non-null field), is INTERNAL, with nothing from inside.
 */
export const createMaskError =
  (limits: { MAX_BODY_BYTES: number }) =>
  (error: unknown): GraphQLError => {
    if (!(error instanceof GraphQLError)) return maskUnexpected(error);
    if (isApiErrorCode(errorCode(error))) return error;
    const root = rootCause(error);
    if (!(root instanceof GraphQLError) || error.path !== undefined) return maskUnexpected(error);
    // Mutated in place (as yoga does) so that yoga does not log it as an unexpected failure.
    const extensions = error.extensions as Record<string, unknown>;
    if (errorCode(root) === 'REQUEST_ENTITY_TOO_LARGE') {
      error.message = `the request body is larger than MAX_BODY_BYTES (${limits.MAX_BODY_BYTES} bytes)`;
      Object.assign(extensions, { limit: 'MAX_BODY_BYTES', max: limits.MAX_BODY_BYTES });
    }
    extensions.code = isApiErrorCode(errorCode(root)) ? errorCode(root) : 'BAD_USER_INPUT';
    return error;
  };

function maskUnexpected(error: unknown): GraphQLError {
  const root = rootCause(error);
  if (isDependencyUnavailable(root)) {
    const dependency = dependencyName(root);
    return apiError(
      `${dependency ? `${dependency} is` : 'a backing service is'} unavailable; retry later`,
      'UNAVAILABLE',
      { http: { status: 503 }, ...(dependency ? { dependency } : {}) },
      location(error),
    );
  }
  return apiError('Internal error.', 'INTERNAL', {}, location(error));
}
