import type { Freshness as FreshnessShape } from '../src/app/services.js';
import { builder } from './builder.js';

export const Freshness = builder.objectRef<FreshnessShape>('Freshness').implement({
  description: 'How current the numbers are.',
  fields: (t) => ({
    foldedThrough: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'Every event that reached the log before this instant is folded into both the live windows and history.',
      resolve: (f) => f.foldedThrough,
    }),
    lagMs: t.exposeInt('lagMs', { nullable: true, description: 'Now minus foldedThrough.' }),
    behind: t.exposeInt('behind', { description: 'Records in the ingest topics not yet folded.' }),
  }),
});

builder.queryField('freshness', (t) =>
  t.field({
    type: Freshness,
    description: 'How fresh the numbers are right now.',
    resolve: (_root, _args, context) => context.freshness(),
  }),
);
