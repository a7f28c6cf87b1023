import { requireWrite } from '../src/api/context.js';
import { badUserInput } from '../src/api/errors.js';
import { lookupRows, lookupTableName, lookupKeyDimension } from '../src/api/lookups.js';
import { builder } from './builder.js';

const LookupRow = builder.inputType('LookupRow', {
  fields: (t) => ({
    key: t.string({ required: true }),
    values: t.field({
      type: 'JSON',
      required: true,
      description: 'A flat object of string values.',
    }),
  }),
});

builder.mutationField('putLookup', (t) =>
  t.field({
    type: 'Int',
    description:
      "Reference data for joins. Every event folded after this call whose dimension `keyDimension` equals a row's key gains that row's values as extra dimensions (an event's own dimensions win). Returns the rows stored.",
    extensions: { cost: 20 },
    args: {
      table: t.arg.string({ required: true }),
      keyDimension: t.arg.string({ required: true }),
      rows: t.arg({ type: [LookupRow], required: true }),
    },
    resolve(_root, args, context) {
      requireWrite(context, 'put lookups');
      const max = context.limits.MAX_INGEST_BATCH;
      if (args.rows.length > max)
        throw badUserInput(`at most ${max} rows per call, got ${args.rows.length}`, {
          argument: 'rows',
          limit: 'MAX_INGEST_BATCH',
          max,
        });
      const table = lookupTableName(args.table);
      const keyDimension = lookupKeyDimension(args.keyDimension, context.inputRules);
      const rows = lookupRows(args.rows, context.inputRules);
      return context.services.reference.putLookup(context.tenant, table, keyDimension, rows);
    },
  }),
);
