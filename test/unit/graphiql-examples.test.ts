import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.js';
import { EXAMPLE_OPERATIONS } from '../../src/api/graphiql.js';

describe('GraphiQL example operations', () => {
  it('are valid against the schema, so a newcomer can run each one', () => {
    const document = parse(EXAMPLE_OPERATIONS);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    const names = document.definitions.map((d) => ('name' in d ? d.name?.value : undefined));
    expect(names).toEqual(expect.arrayContaining(['Ingest', 'LastMinute', 'TryMapping', 'Series']));
  });
});
