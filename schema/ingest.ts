import type {
  IngestResult as IngestResultShape,
  RejectedEvent as RejectedEventShape,
} from '../src/app/services.js';
import { requireWrite } from '../src/api/context.js';
import { badUserInput } from '../src/api/errors.js';
import { builder } from './builder.js';

const EventInput = builder.inputType('EventInput', {
  fields: (t) => ({
    id: t.id({
      description:
        'Idempotency key: the same id ingested twice counts once. Generated when absent.',
    }),
    name: t.string({ required: true }),
    timestamp: t.field({
      type: 'DateTime',
      description: 'Default: the time the server received it.',
    }),
    userId: t.string(),
    value: t.float(),
    dimensions: t.field({ type: 'JSON', description: 'A flat object of string values.' }),
  }),
});

const RejectedEvent = builder.objectRef<RejectedEventShape>('RejectedEvent').implement({
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the event in `events`.' }),
    reason: t.exposeString('reason'),
  }),
});

const IngestResult = builder.objectRef<IngestResultShape>('IngestResult').implement({
  fields: (t) => ({
    accepted: t.exposeInt('accepted'),
    rejected: t.field({ type: [RejectedEvent], resolve: (r) => r.rejected }),
  }),
});

builder.mutationField('ingest', (t) =>
  t.field({
    type: IngestResult,
    description:
      'Valid events are accepted (written to the log before this returns); invalid ones are listed with the reason.',
    extensions: { cost: 20 },
    args: { events: t.arg({ type: [EventInput], required: true }) },
    resolve(_root, args, context) {
      requireWrite(context, 'ingest events');
      const max = context.limits.MAX_INGEST_BATCH;
      if (args.events.length > max)
        throw badUserInput(`a batch holds at most ${max} events, got ${args.events.length}`, {
          argument: 'events',
          limit: 'MAX_INGEST_BATCH',
          max,
        });
      return context.services.ingestor.ingest(context.tenant, args.events);
    },
  }),
);
