import { GraphQLError, locatedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { badUserInput, createMaskError, unauthenticated } from '../../src/api/errors.js';
import { DependencyUnavailableError } from '../../src/errors.js';

const mask = createMaskError({ MAX_BODY_BYTES: 1024 });
const path = ['history'];

describe('error masking: every error leaves with one of the codes', () => {
  it('errors raised on purpose pass through, also when graphql located them on a field', () => {
    const own = badUserInput('bad interval', { argument: 'interval' });
    expect(mask(own)).toBe(own);
    const located = locatedError(unauthenticated('no key'), [], path);
    expect(mask(located).extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it("the request's own errors (syntax, variables, body) are BAD_USER_INPUT, wrapped or not", () => {
    expect(mask(new GraphQLError('Syntax Error: Unexpected <EOF>.')).extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    const wrapped = new GraphQLError('Variable "$from" got invalid value', {
      originalError: new GraphQLError('not a DateTime'),
    });
    expect(mask(wrapped).extensions.code).toBe('BAD_USER_INPUT');
    const tooLarge = mask(
      new GraphQLError('Request body too large', {
        extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } },
      }),
    );
    expect(tooLarge.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'MAX_BODY_BYTES',
      max: 1024,
      http: { status: 413 },
    });
  });

  it('a store that cannot be reached is UNAVAILABLE (503), naming only the dependency', () => {
    const down = locatedError(
      new DependencyUnavailableError('redis', new Error('connect ECONNREFUSED 10.0.0.7:6379')),
      [],
      path,
    );
    const masked = mask(down);
    expect(masked.extensions).toEqual({
      code: 'UNAVAILABLE',
      dependency: 'redis',
      http: { status: 503 },
    });
    expect(masked.message).not.toMatch(/10\.0\.0\.7/);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(mask(locatedError(refused, [], path)).extensions.code).toBe('UNAVAILABLE');
  });

  it('anything else is INTERNAL: no message, no stack, the field path kept', () => {
    const bug = mask(locatedError(new TypeError('x is undefined at /srv/app.js:12'), [], path));
    expect(bug.message).toBe('Internal error.');
    expect(bug.extensions).toEqual({ code: 'INTERNAL' });
    expect(bug.path).toEqual(path);
    expect(JSON.stringify(bug.toJSON())).not.toMatch(/srv|stack/);
    // A field error graphql raised itself (a null for a non-null field) is a bug too.
    expect(
      mask(new GraphQLError('Cannot return null for non-nullable field', { path })).extensions.code,
    ).toBe('INTERNAL');
    expect(mask('thrown string').extensions.code).toBe('INTERNAL');
  });
});
